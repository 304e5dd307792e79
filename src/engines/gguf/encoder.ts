import type { Wllama } from '@wllama/wllama';
import type { PreTrainedTokenizer } from '@huggingface/transformers';
import type { EmbeddingInfo, LoadedModel, ModelSpec, PreparedPrompt } from '../../core/engine.js';
import { notGenerative } from '../../core/endpoints/endpoint.js';
import type { DeviceKind, Modality } from '../../protocol/models.js';
import { modelTokenizer } from '../transformers-tokenizer.js';
import { metaNumber, metaString, type GgufMetadata } from './header.js';

/**
 * GGUF embedding models (BERT, Qwen3-Embedding, ... converted with their pooling): llama.cpp
 * pools as the GGUF declares (`<arch>.pooling_type`) and L2-normalizes, as llama-server's
 * /v1/embeddings does. Inputs are token ids from the GGUF's own vocabulary, with the special
 * tokens llama.cpp adds (tokenizer.ts).
 */

/** llama.cpp's pooling types (llama_pooling_type) by the number a GGUF stores. */
const POOLING: Record<number, { wllama: 'mean' | 'cls' | 'last'; ours: EmbeddingInfo['pooling'] }> = {
  1: { wllama: 'mean', ours: 'mean' },
  2: { wllama: 'cls', ours: 'cls' },
  3: { wllama: 'last', ours: 'last' },
};

/** The pooling an embedding GGUF declares; null for a generative model (none, or rank: see README). */
export function embeddingPooling(meta: GgufMetadata): (typeof POOLING)[number] | null {
  const arch = metaString(meta, 'general.architecture') ?? '';
  return POOLING[metaNumber(meta, `${arch}.pooling_type`) ?? 0] ?? null;
}

export class GgufEmbeddingModel implements LoadedModel {
  readonly engine = 'gguf';
  readonly task = 'embed' as const;
  readonly id: string;
  readonly modalities: Modality[] = ['text'];
  readonly defaults = {};
  readonly textTokenizer;
  readonly embedding: EmbeddingInfo;

  constructor(
    spec: ModelSpec,
    private readonly wllama: Wllama,
    tokenizer: PreTrainedTokenizer,
    pooling: EmbeddingInfo['pooling'],
    readonly device: DeviceKind,
    readonly contextLength: number,
  ) {
    this.id = spec.id;
    this.textTokenizer = modelTokenizer(tokenizer);
    this.embedding = { dimensions: wllama.getLoadedContextInfo().n_embd, pooling, normalized: true, matryoshka: null };
  }

  async embed(inputs: number[][], signal: AbortSignal): Promise<Float32Array[]> {
    const out: Float32Array[] = [];
    // One input per call: a cancel gets in between, and llama.cpp's batch holds one sequence.
    for (const ids of inputs) {
      if (signal.aborted) throw new DOMException('Aborted', 'AbortError');
      const res = await this.wllama.createEmbedding({ input: [ids], embd_normalize: 2 });
      out.push(Float32Array.from(res.data[0]!.embedding as number[]));
    }
    return out;
  }

  async prepareChat(): Promise<PreparedPrompt> {
    throw notGenerative(this.id, 'embed');
  }

  async prepareText(): Promise<PreparedPrompt> {
    throw notGenerative(this.id, 'embed');
  }

  // eslint-disable-next-line require-yield
  async *generate(): AsyncGenerator<never> {
    throw notGenerative(this.id, 'embed');
  }

  async unload(): Promise<void> {
    await this.wllama.exit();
  }
}
