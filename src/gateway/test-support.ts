/**
 * Test support for the gateway's Node unit tests (not shipped): a scripted engine behind
 * a real engine host, so requests go through the real Runtime (validation, queue, chunk
 * shapes) without transformers.js doing any work.
 */
import type { Engine, GenerateOptions, GeneratedToken, LoadedModel, ModelSpec, PreparedPrompt } from '../core/engine.js';
import { createHost, type EngineHost } from '../host/host.js';
import type { ModelRegistration } from '../protocol/rpc.js';

export interface ScriptOptions {
  /** Text pieces, one per token, then EOS. */
  reply?: string[];
  /** Wait before each token (ms). */
  delayMs?: number;
  /** Keep producing `reply` in a loop until max tokens or abort (no EOS). */
  endless?: boolean;
  /** Throw (an engine crash, not an API error) before producing this token. */
  failAt?: number;
  /** Expose a vocabulary of this many tokens (each at most 8 bytes): logit_bias and the prompt bound are checked against it. */
  vocabSize?: number;
}

export interface EngineLog {
  loads: number;
  generations: number;
  aborted: number;
  finished: number;
  /** Prompts tokenized (prepareText calls). */
  prepared: number;
  /** Resolves the next time a generation ends (aborted or finished). */
  nextEnd(): Promise<'aborted' | 'finished'>;
}

const EOS = -1;

export function scriptedEngine(): { engine: Engine; log: EngineLog } {
  let endWaiters: Array<(how: 'aborted' | 'finished') => void> = [];
  const log: EngineLog = {
    loads: 0,
    generations: 0,
    aborted: 0,
    finished: 0,
    prepared: 0,
    nextEnd: () => new Promise((resolve) => endWaiters.push(resolve)),
  };
  const ended = (how: 'aborted' | 'finished') => {
    log[how]++;
    const waiters = endWaiters;
    endWaiters = [];
    for (const w of waiters) w(how);
  };
  const engine: Engine = {
    name: 'scripted',
    capabilities: { modalities: ['text'], chatTemplate: false, logits: true, grammar: false, embeddings: false },
    async load(spec: ModelSpec): Promise<LoadedModel> {
      log.loads++;
      const script = (spec.options ?? {}) as ScriptOptions;
      const reply = script.reply ?? ['Hello', ' there', '!'];
      const words = (text: string) => text.split(/\s+/).filter(Boolean);
      const prepareText = async (text: string): Promise<PreparedPrompt> => {
        log.prepared++;
        return { text, tokenIds: words(text).map((_, i) => i + 1) };
      };
      return {
        id: spec.id,
        engine: 'scripted',
        device: 'wasm',
        contextLength: spec.contextLength ?? 4096,
        modalities: ['text'],
        defaults: { temperature: 0 },
        prepareText,
        ...(script.vocabSize ? {
          tokenVocabulary: () => ({
            tokens: Array.from({ length: script.vocabSize! }, (_, i) => `t${i}`.slice(0, 8)),
            vocabType: 'raw' as const, prependSpace: false, vocabSize: script.vocabSize!, stopTokenIds: [],
          }),
        } : {}),
        async prepareChat(input) {
          const text = input.messages.map((m) => (typeof m.content === 'string' ? m.content : '')).join(' ');
          return prepareText(text);
        },
        async *generate(_prompt: PreparedPrompt, options: GenerateOptions, signal: AbortSignal): AsyncGenerator<GeneratedToken> {
          log.generations++;
          let how: 'aborted' | 'finished' = 'finished';
          try {
            for (let i = 0; i < options.maxTokens; i++) {
              if (script.delayMs) await sleep(script.delayMs);
              if (signal.aborted) { how = 'aborted'; return; }
              if (script.failAt === i) throw new Error('engine crashed');
              const atEnd = !script.endless && i >= reply.length;
              const text = atEnd ? '' : reply[i % reply.length]!;
              const logprob = options.topLogprobs === null ? {} : {
                logprob: -0.25,
                top: [{ id: 7, text: text || '<eos>', logprob: -0.25 }, { id: 8, text: 'alt', logprob: -2 }].slice(0, options.topLogprobs),
              };
              yield { id: atEnd ? EOS : i + 100, text, tokenText: atEnd ? '<eos>' : text, isEos: atEnd, ...logprob };
              if (atEnd) return;
            }
          } finally {
            // Leaving early (consumer broke out: abort) counts as aborted.
            if (signal.aborted) how = 'aborted';
            ended(how);
          }
        },
        async unload() {},
      };
    },
  };
  return { engine, log };
}

export interface TestHost {
  host: EngineHost;
  log: EngineLog;
}

/** A real engine host whose models run on the scripted engine. */
export function testHost(models: Array<Omit<ModelRegistration, 'engine'> & { script?: ScriptOptions }>, maxQueue?: number): TestHost {
  const { engine, log } = scriptedEngine();
  const host = createHost(
    {
      maxQueue,
      models: models.map(({ script, ...m }) => ({ ...m, engine: 'scripted', options: { ...script } })),
    },
    { engines: { scripted: async () => engine } },
  );
  return { host, log };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Resolves once `done()` holds (checked every few ms); rejects after `ms`. For events whose delivery time a loaded machine stretches. */
export async function until(done: () => boolean, ms = 2000): Promise<void> {
  const t0 = Date.now();
  while (!done()) {
    if (Date.now() - t0 > ms) throw new Error(`condition not met within ${ms} ms`);
    await sleep(5);
  }
}

/** Splits an SSE body into its `data:` payloads, asserting the exact framing. */
export function parseSse(text: string): string[] {
  if (!text.endsWith('\n\n')) throw new Error(`SSE body does not end with a blank line: ${JSON.stringify(text.slice(-40))}`);
  return text
    .slice(0, -2)
    .split('\n\n')
    .map((frame) => {
      if (!frame.startsWith('data: ') || frame.includes('\n')) throw new Error(`bad SSE frame: ${JSON.stringify(frame)}`);
      return frame.slice('data: '.length);
    });
}
