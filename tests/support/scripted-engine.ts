import { IncrementalDetokenizer } from '../../src/core/detokenizer.js';
import type {
  Engine,
  EngineCapabilities,
  GenerateOptions,
  GeneratedToken,
  LoadContext,
  LoadedModel,
  ModelSpec,
  PreparedPrompt,
  PromptInput,
  SamplingParams,
} from '../../src/core/engine.js';
import { createRng } from '../../src/core/rng.js';
import { Runtime } from '../../src/core/runtime.js';
import { Sampler } from '../../src/core/sampling.js';
import type { ChatMessage } from '../../src/protocol/chat.js';
import type { DeviceKind, Modality } from '../../src/protocol/models.js';

/**
 * A scripted engine for core tests: a fake tokenizer whose tokens are fixed string pieces,
 * and a "model" whose logits strongly favour the scripted next piece (then EOS). Tokens go
 * through the real Sampler (so seeds, penalties, logit_bias and logprobs are real) and the
 * real IncrementalDetokenizer, the way the transformers engine drives them.
 *
 * Vocabulary: id 0 = EOS, id 1 = a prompt word, id 2 = FILLER (what the model says once it
 * wants to stop but may not), then every piece the scripts use, in order of first use.
 */
export const EOS_ID = 0;
export const PROMPT_ID = 1;
export const FILLER_ID = 2;
export const EOS_TEXT = '<eos>';
export const FILLER = '~';
/** The scripted token's logit; every other token gets 0 (FILLER gets PEAK / 2 after the reply). */
export const PEAK = 40;

export interface Script {
  /** The reply, one piece per token, or computed from the rendered prompt text. */
  reply?: readonly string[] | ((prompt: string) => readonly string[]);
  /**
   * Full control instead of `reply`: the logits of each step by piece (EOS is `EOS_TEXT`);
   * pieces left out get -Infinity.
   */
  logits?: (step: number) => Record<string, number>;
  /** Say EOS after the reply (default true); false keeps repeating FILLER. */
  eos?: boolean;
  /** Default 1024; null = unknown. */
  contextLength?: number | null;
  modalities?: Modality[];
  defaults?: Partial<SamplingParams>;
  /** Delay before each token; 0 (default) yields one macrotask turn. */
  stepDelayMs?: number;
  /** Pieces are bytes (chars U+0000..U+00FF) decoded as UTF-8, like a byte-level BPE. */
  byteLevel?: boolean;
  /** Make load() fail with this error. */
  loadError?: Error;
  /** Make generate() throw this error before the token of this step (a device lost mid-generation). */
  failAt?: { step: number; error: Error };
}

/** One generate() call, as the engine saw it. */
export interface GenerateCall {
  model: string;
  prompt: PreparedPrompt;
  options: GenerateOptions;
  /** Sampled ids, EOS included. */
  ids: number[];
  aborted: boolean;
  /** The iterator has settled (finished, broken out of, or aborted). */
  done: boolean;
}

export interface EngineEvent {
  model: string;
  call: number;
  step: number;
}

export class ScriptedEngine implements Engine {
  readonly name = 'scripted';
  readonly capabilities: EngineCapabilities = {
    modalities: ['text', 'image', 'audio'],
    chatTemplate: true,
    logits: true,
    grammar: false,
    embeddings: false,
  };
  readonly vocab: string[] = [EOS_TEXT, '<p>', FILLER];
  readonly calls: GenerateCall[] = [];
  /** Every sampled token of every call, in the order they were produced. */
  readonly log: EngineEvent[] = [];
  readonly models = new Map<string, ScriptedModel>();
  loads = 0;
  running = 0;
  maxRunning = 0;

  constructor(readonly scripts: Record<string, Script>) {}

  async load(spec: ModelSpec, ctx: LoadContext): Promise<LoadedModel> {
    const script = this.scripts[spec.id];
    if (!script) throw new Error(`no script for ${spec.id}`);
    if (script.loadError) throw script.loadError;
    ctx.onProgress({ model: spec.id, phase: 'init', progress: null, loaded: null, total: null, file: null, text: 'scripted' });
    this.loads++;
    const model = new ScriptedModel(this, spec.id, script);
    this.models.set(spec.id, model);
    return model;
  }

  idOf(piece: string): number {
    let id = this.vocab.indexOf(piece);
    if (id === -1) id = this.vocab.push(piece) - 1;
    return id;
  }
}

export class ScriptedModel implements LoadedModel {
  readonly engine = 'scripted';
  readonly device: DeviceKind = 'wasm';
  readonly contextLength: number | null;
  readonly modalities: Modality[];
  readonly defaults: Partial<SamplingParams>;
  unloaded = false;

  constructor(
    private readonly host: ScriptedEngine,
    readonly id: string,
    private readonly script: Script,
  ) {
    this.contextLength = script.contextLength === undefined ? 1024 : script.contextLength;
    this.modalities = script.modalities ?? ['text'];
    this.defaults = script.defaults ?? {};
  }

  async prepareChat(input: PromptInput): Promise<PreparedPrompt> {
    return this.prepareText(input.messages.map(messageText).join('\n'));
  }

  /** One prompt token per whitespace-separated word. */
  async prepareText(text: string): Promise<PreparedPrompt> {
    return { text, tokenIds: text.split(/\s+/).filter(Boolean).map(() => PROMPT_ID) };
  }

  decode(ids: number[]): string {
    const joined = ids.filter((id) => id !== EOS_ID).map((id) => this.host.vocab[id]!).join('');
    if (!this.script.byteLevel) return joined;
    return new TextDecoder().decode(Uint8Array.from(joined, (c) => c.charCodeAt(0)));
  }

  tokenText(id: number): string {
    return id === EOS_ID ? EOS_TEXT : this.decode([id]);
  }

  async *generate(prompt: PreparedPrompt, options: GenerateOptions, signal: AbortSignal): AsyncGenerator<GeneratedToken> {
    const { host, script } = this;
    const reply = typeof script.reply === 'function' ? script.reply(prompt.text) : script.reply ?? [];
    const replyIds = reply.map((p) => host.idOf(p));

    const sampler = new Sampler({
      params: options.sampling,
      rng: createRng(options.seed),
      eosIds: [EOS_ID],
      minTokens: options.minTokens,
      ignoreEos: options.ignoreEos,
      topLogprobs: options.topLogprobs,
      promptIds: prompt.tokenIds,
    });
    const detokenizer = new IncrementalDetokenizer((ids) => this.decode(ids));
    const call: GenerateCall = { model: this.id, prompt, options, ids: [], aborted: false, done: false };
    const callIndex = host.calls.push(call) - 1;
    host.running++;
    host.maxRunning = Math.max(host.maxRunning, host.running);
    try {
      for (let step = 0; step < options.maxTokens; step++) {
        await pause(script.stepDelayMs ?? 0);
        if (script.failAt?.step === step) throw script.failAt.error;
        if (signal.aborted) {
          call.aborted = true;
          return;
        }
        const picked = sampler.sample(this.logitsAt(step, replyIds));
        call.ids.push(picked.id);
        host.log.push({ model: this.id, call: callIndex, step });
        const isEos = picked.id === EOS_ID;
        yield {
          id: picked.id,
          text: isEos ? detokenizer.flush() : detokenizer.push(picked.id),
          tokenText: this.tokenText(picked.id),
          isEos,
          ...(picked.logprob === undefined ? {} : { logprob: picked.logprob }),
          ...(picked.top ? { top: picked.top.map((t) => ({ ...t, text: this.tokenText(t.id) })) } : {}),
        };
        if (isEos) return;
      }
    } finally {
      // Ended by the abort, whether the engine saw the signal or was returned because of it.
      if (signal.aborted) call.aborted = true;
      host.running--;
      call.done = true;
    }
  }

  private logitsAt(step: number, replyIds: number[]): Float32Array {
    const vocab = this.host.vocab;
    if (this.script.logits) {
      const entries = Object.entries(this.script.logits(step)).map(([piece, value]) => [this.host.idOf(piece), value] as const);
      const logits = new Float32Array(vocab.length).fill(-Infinity);
      for (const [id, value] of entries) logits[id] = value;
      return logits;
    }
    const logits = new Float32Array(vocab.length);
    if (step < replyIds.length) {
      logits[replyIds[step]!] = PEAK;
    } else {
      if (this.script.eos !== false) logits[EOS_ID] = PEAK;
      logits[FILLER_ID] = PEAK / 2;
    }
    return logits;
  }

  async unload(): Promise<void> {
    this.unloaded = true;
  }
}

function messageText(message: ChatMessage): string {
  const { content } = message;
  if (content == null) return '';
  if (typeof content === 'string') return content;
  return content
    .map((part) => {
      switch (part.type) {
        case 'text': return part.text;
        case 'refusal': return part.refusal;
        case 'image_url': return '<image>';
        case 'input_audio': return '<audio>';
        default: return '<file>';
      }
    })
    .join(' ');
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A Runtime over one ScriptedEngine, one registered model per script. */
export function scriptedRuntime(scripts: Record<string, Script>, options: { maxQueue?: number } = {}) {
  const engine = new ScriptedEngine(scripts);
  const runtime = new Runtime({
    engines: { scripted: async () => engine },
    models: Object.keys(scripts).map((id) => ({ id, engine: 'scripted', source: { repo: `test/${id}` } })),
    ...(options.maxQueue === undefined ? {} : { maxQueue: options.maxQueue }),
  });
  return { runtime, engine };
}

/** `'€'` -> its UTF-8 bytes as one-char pieces, for `byteLevel` scripts. */
export function bytePieces(text: string): string[] {
  return Array.from(new TextEncoder().encode(text), (b) => String.fromCharCode(b));
}

/** Drains an async iterable. */
export async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const value of iterable) out.push(value);
  return out;
}
