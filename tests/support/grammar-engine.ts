import { IncrementalDetokenizer } from '../../src/core/detokenizer.js';
import type {
  Engine,
  GenerateOptions,
  GeneratedToken,
  LoadedModel,
  PreparedPrompt,
  PromptInput,
  TokenVocabulary,
} from '../../src/core/engine.js';
import { createRng } from '../../src/core/rng.js';
import { Runtime } from '../../src/core/runtime.js';
import { Sampler } from '../../src/core/sampling.js';

/**
 * A model whose logits are random numbers (seeded by the request's seed), over a raw
 * vocabulary: every printable ASCII character, a few multi-character tokens and EOS. Left
 * alone it writes noise; only a grammar makes it write JSON or tool calls, so whatever
 * valid output it produces was enforced. Drives the real Sampler and core's token mask
 * the way the transformers engine does.
 */
export const EOS = 0;

const MULTI = ['true', 'false', 'null', '{"', '": ', ', "', '"}', '<tool_call>', '</tool_call>', '\n', 'Hello', ' world', '<think>', '</think>', '  '];

export function grammarVocab(): string[] {
  const vocab = ['<eos>'];
  for (let c = 0x20; c < 0x7f; c++) vocab.push(String.fromCharCode(c));
  vocab.push('\t', '\u0001', 'é');
  vocab.push(...MULTI);
  return vocab;
}

export class GrammarModel implements LoadedModel {
  readonly engine = 'random';
  readonly device = 'wasm' as const;
  readonly contextLength = 100_000;
  readonly modalities = ['text' as const];
  readonly defaults = {};
  readonly chatTemplate: string | null = null;
  readonly vocab = grammarVocab();
  /** Generations whose options carried a token mask. */
  masked = 0;
  /** The options of every generate() call. */
  readonly calls: GenerateOptions[] = [];

  constructor(readonly id: string, private readonly rendersTools = true) {}

  tokenVocabulary(): TokenVocabulary {
    return { tokens: ['', ...this.vocab.slice(1)], vocabType: 'raw', prependSpace: false, vocabSize: this.vocab.length, stopTokenIds: [EOS] };
  }

  async prepareChat(input: PromptInput): Promise<PreparedPrompt> {
    const lines = input.messages.map((m) => `${m.role}: ${typeof m.content === 'string' ? m.content : JSON.stringify(m.content)}`);
    if (input.tools && this.rendersTools) lines.unshift(`tools: ${JSON.stringify(input.tools)}`);
    return this.prepareText(lines.join('\n'));
  }

  async prepareText(text: string): Promise<PreparedPrompt> {
    return { text, tokenIds: [1, 2, 3] };
  }

  async *generate(prompt: PreparedPrompt, options: GenerateOptions, signal: AbortSignal): AsyncGenerator<GeneratedToken> {
    this.calls.push(options);
    const sampler = new Sampler({
      params: options.sampling,
      rng: createRng(options.seed),
      eosIds: [EOS],
      minTokens: options.minTokens,
      ignoreEos: options.ignoreEos,
      topLogprobs: options.topLogprobs,
      promptIds: prompt.tokenIds,
    });
    const noise = createRng(options.seed ^ 0x5eed);
    const mask = options.tokenMask ? await options.tokenMask.create() : null;
    if (mask) this.masked++;
    const detok = new IncrementalDetokenizer((ids) => ids.filter((id) => id !== EOS).map((id) => this.vocab[id]).join(''));
    try {
      for (let step = 0; step < options.maxTokens; step++) {
        if (signal.aborted) return;
        const allowed = mask ? await mask.next() : null;
        const logits = Float32Array.from(this.vocab, () => noise() * 4);
        logits[EOS] = step > 4 ? 3 : -5;
        const picked = sampler.sample(logits, allowed);
        if (mask && !mask.accept(picked.id)) throw new Error(`grammar rejected token ${JSON.stringify(this.vocab[picked.id])}`);
        const isEos = picked.id === EOS;
        yield { id: picked.id, text: isEos ? detok.flush() : detok.push(picked.id), tokenText: this.vocab[picked.id]!, isEos };
        if (isEos) return;
        await Promise.resolve();
      }
    } finally {
      mask?.dispose();
    }
  }

  async unload(): Promise<void> {}
}

export function grammarRuntime(options: { rendersTools?: boolean } = {}) {
  const models = new Map<string, GrammarModel>();
  const engine: Engine = {
    name: 'random',
    capabilities: { modalities: ['text'], chatTemplate: true, logits: true, grammar: false, embeddings: false },
    async load(spec) {
      const model = new GrammarModel(spec.id, options.rendersTools ?? true);
      models.set(spec.id, model);
      return model;
    },
  };
  const runtime = new Runtime({
    engines: { random: async () => engine },
    models: [{ id: 'g', engine: 'random', source: { repo: 'test/g' } }],
  });
  return { runtime, model: () => models.get('g')! };
}
