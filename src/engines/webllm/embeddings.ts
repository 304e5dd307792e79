import type { MLCEngine } from '@mlc-ai/web-llm';
import type { EmbeddingInfo, LoadedModel, ModelSpec, ModelTokenizer, PreparedPrompt } from '../../core/engine.js';
import { notGenerative } from '../../core/endpoints/endpoint.js';
import { InternalServerError } from '../../protocol/errors.js';
import type { DeviceKind, Modality } from '../../protocol/models.js';

/**
 * web-llm's embedding models (its `embedding` model type: snowflake-arctic-embed), served
 * through MLCEngine.embedding(). Core tokenizes string inputs with the pipeline's own
 * tokenizer (as web-llm's embedStep would) and hands web-llm token ids, so counts and
 * context checks happen before the GPU is asked; the vectors are web-llm's. Reads the
 * loaded pipeline's tokenizer and config (web-llm 0.2.86 internals, as webllm.ts does).
 */

/** What webinfer needs of web-llm's tokenizer (web-tokenizers' Tokenizer). */
export interface WebLLMTokenizer {
  encode(text: string): Int32Array;
  decode(ids: Int32Array): string;
  idToToken?(id: number): string;
}

/** web-llm's tokenizer as core's ModelTokenizer. web-llm encodes text one way (`addSpecialTokens` cannot change it). */
export function webllmTokenizer(tokenizer: WebLLMTokenizer, vocabSize: number): ModelTokenizer {
  return {
    encode: (text) => Array.from(tokenizer.encode(text)),
    decode: (ids) => tokenizer.decode(Int32Array.from(ids)),
    tokenStrings: (ids) => ids.map((id) => tokenizer.idToToken?.(id) ?? tokenizer.decode(Int32Array.of(id))),
    vocabSize,
  };
}

type EmbeddingEngine = Pick<MLCEngine, 'embedding' | 'unload'>;

export class WebLLMEmbeddingModel implements LoadedModel {
  readonly engine = 'webllm';
  readonly task = 'embed';
  readonly id: string;
  readonly device: DeviceKind = 'webgpu';
  readonly contextLength: number | null;
  readonly modalities: Modality[] = ['text'];
  readonly defaults = {};
  readonly textTokenizer: ModelTokenizer;
  /** web-llm's snowflake-arctic-embed models: CLS pooling, unit vectors (their length is learnt from the first answer). */
  readonly embedding: EmbeddingInfo;

  constructor(spec: ModelSpec, private readonly mlc: EmbeddingEngine) {
    this.id = spec.id;
    const pipeline = (mlc as unknown as { loadedModelIdToPipeline?: Map<string, { tokenizer?: WebLLMTokenizer; config?: { context_window_size?: number; vocab_size?: number } }> })
      .loadedModelIdToPipeline?.get(spec.id);
    const tokenizer = pipeline?.tokenizer;
    if (typeof tokenizer?.encode !== 'function' || typeof tokenizer.decode !== 'function') {
      throw new InternalServerError("This web-llm version's embedding pipeline has no tokenizer; webinfer supports @mlc-ai/web-llm 0.2.86.", { code: 'engine_error' });
    }
    const config = pipeline!.config ?? {};
    this.contextLength = (config.context_window_size ?? 0) > 0 ? config.context_window_size! : spec.contextLength ?? null;
    this.textTokenizer = webllmTokenizer(tokenizer, (config.vocab_size ?? 0) > 0 ? config.vocab_size! : Infinity);
    const options = spec.options ?? {};
    this.embedding = {
      dimensions: Number(options.dimensions ?? 0),
      pooling: 'cls',
      normalized: true,
      matryoshka: Array.isArray(options.matryoshka) ? options.matryoshka.map(Number) : options.matryoshka === true ? true : null,
    };
  }

  async embed(inputs: number[][]): Promise<Float32Array[]> {
    const response = await this.mlc.embedding({ model: this.id, input: inputs });
    const vectors = [...response.data].sort((a, b) => a.index - b.index).map((d) => Float32Array.from(d.embedding as number[]));
    if (vectors[0]) this.embedding.dimensions = vectors[0].length;
    return vectors;
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
    await this.mlc.unload();
  }
}
