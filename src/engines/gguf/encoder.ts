import type { Wllama } from '@wllama/wllama';
import type { PreTrainedTokenizer } from '@huggingface/transformers';
import type { ClassifyInput, EmbeddingInfo, LoadedModel, ModelSpec, PreparedPrompt } from '../../core/engine.js';
import { notGenerative } from '../../core/endpoints/endpoint.js';
import { BadRequestError } from '../../protocol/errors.js';
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
const POOLING: Record<number, { wllama: 'mean' | 'cls' | 'last' | 'rank'; ours: EmbeddingInfo['pooling'] | 'rank' }> = {
  1: { wllama: 'mean', ours: 'mean' },
  2: { wllama: 'cls', ours: 'cls' },
  3: { wllama: 'last', ours: 'last' },
  4: { wllama: 'rank', ours: 'rank' },
};

/** The pooling an embedding or reranking GGUF declares; null for a generative model. */
export function embeddingPooling(meta: GgufMetadata): (typeof POOLING)[number] | null {
  const arch = metaString(meta, 'general.architecture') ?? '';
  return POOLING[metaNumber(meta, `${arch}.pooling_type`) ?? 0] ?? null;
}

/**
 * llama.cpp's BERT graph adds the first token-type embedding (segment A) to every token: it
 * takes no token_type_ids. A cross-encoder trained with two segments then scores pairs
 * differently from the model (measured on tiny-random-bert-rerank: HF logits -0.04, 2.04, 2.79,
 * 1.07; llama.cpp 1.12, 1.10, 1.12, 1.50, which are HF's with every token typed 0, within
 * 0.01), so such a GGUF is refused rather than served wrong. One-segment rerankers
 * (type_vocab_size 1) are not affected.
 */
export function checkRanker(meta: GgufMetadata, id: string): void {
  const arch = metaString(meta, 'general.architecture') ?? '';
  const types = metaNumber(meta, 'tokenizer.ggml.token_type_count') ?? 1;
  if (types > 1) {
    throw new BadRequestError(
      `Model '${id}': a ${arch} cross-encoder with ${types} token types cannot rerank on llama.cpp (its graph gives every token the first segment's type, so pair scores would differ from the model's); use its ONNX export on the transformers engine.`,
      { param: 'model', code: 'unsupported_model' },
    );
  }
}

export class GgufEncoderModel implements LoadedModel {
  readonly engine = 'gguf';
  readonly task: 'embed' | 'classify';
  readonly id: string;
  readonly modalities: Modality[] = ['text'];
  readonly defaults = {};
  readonly textTokenizer;
  readonly embedding?: EmbeddingInfo;
  /** Rank pooling (a cross-encoder): one score per pair. */
  readonly labels?: string[];

  constructor(
    spec: ModelSpec,
    private readonly wllama: Wllama,
    private readonly tokenizer: PreTrainedTokenizer,
    pooling: EmbeddingInfo['pooling'] | 'rank',
    readonly device: DeviceKind,
    readonly contextLength: number,
  ) {
    this.id = spec.id;
    this.textTokenizer = modelTokenizer(tokenizer);
    this.task = pooling === 'rank' ? 'classify' : 'embed';
    if (pooling === 'rank') this.labels = ['LABEL_0'];
    else this.embedding = { dimensions: wllama.getLoadedContextInfo().n_embd, pooling, normalized: true, matryoshka: null };
  }

  async embed(inputs: number[][], signal: AbortSignal): Promise<Float32Array[]> {
    return this.run(inputs, 2, signal);
  }

  /** A cross-encoder's raw score per pair (llama.cpp's rank pooling), the pair tokenized as HF joins it. */
  async classify(inputs: ClassifyInput[], signal: AbortSignal): Promise<number[][]> {
    const ids = inputs.map((input) => {
      const all = this.tokenizer.encode(input.text, { add_special_tokens: input.addSpecialTokens, ...(input.pair !== undefined ? { text_pair: input.pair } : {}) });
      return input.maxTokens === undefined ? all : all.slice(0, input.maxTokens);
    });
    return (await this.run(ids, -1, signal)).map((v) => Array.from(v));
  }

  /** `normalize`: llama.cpp's embd_normalize (2: L2, -1: raw). */
  private async run(inputs: number[][], normalize: number, signal: AbortSignal): Promise<Float32Array[]> {
    const out: Float32Array[] = [];
    // One input per call: a cancel gets in between, and llama.cpp's batch holds one sequence.
    for (const ids of inputs) {
      if (signal.aborted) throw new DOMException('Aborted', 'AbortError');
      const res = await this.wllama.createEmbedding({ input: [ids], embd_normalize: normalize });
      out.push(Float32Array.from(res.data[0]!.embedding as number[]));
    }
    return out;
  }

  async prepareChat(): Promise<PreparedPrompt> {
    throw notGenerative(this.id, this.task);
  }

  async prepareText(): Promise<PreparedPrompt> {
    throw notGenerative(this.id, this.task);
  }

  // eslint-disable-next-line require-yield
  async *generate(): AsyncGenerator<never> {
    throw notGenerative(this.id, this.task);
  }

  async unload(): Promise<void> {
    await this.wllama.exit();
  }
}
