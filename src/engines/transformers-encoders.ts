import {
  AutoModel,
  AutoModelForSequenceClassification,
  AutoTokenizer,
  Tensor,
  env,
  type PreTrainedModel,
  type PreTrainedTokenizer,
} from '@huggingface/transformers';
import type { ClassifyInput, EmbeddingInfo, LoadContext, LoadedModel, ModelSpec, ModelTask, PreparedPrompt } from '../core/engine.js';
import { nextTask } from '../core/tasks.js';
import { notGenerative } from '../core/endpoints/endpoint.js';
import { BadRequestError } from '../protocol/errors.js';
import type { DeviceKind, Modality } from '../protocol/models.js';
import { modelTokenizer } from './transformers-tokenizer.js';

/**
 * transformers.js encoder-style models that do not generate: embedding models
 * (feature-extraction: BERT/MiniLM, BGE, nomic, E5, Qwen3-Embedding style) and
 * sequence-classification models (cross-encoders, reward models). Pooling and
 * normalization follow what the model declares in its sentence-transformers files
 * (modules.json, 1_Pooling/config.json, a Normalize module); `options.pooling` and
 * `options.normalize` override them. Inputs run one at a time (batch 1): no padding, so
 * every pooling is exact for any architecture.
 */

export type EncoderTask = Exclude<ModelTask, 'generate'>;

/**
 * `options.task` when set; otherwise from `architectures`: `*ForSequenceClassification`
 * classifies, a bare `*Model` (BertModel, NomicBertModel, XLMRobertaModel) embeds. A decoder
 * embedding model whose config names a causal LM (Qwen3-Embedding) needs `options.task: 'embed'`.
 */
export function encoderTask(spec: ModelSpec, config: Record<string, unknown>): EncoderTask | null {
  const task = spec.options?.task;
  if (task === 'embed' || task === 'classify') return task;
  if (task != null) return null;
  const archs = Array.isArray(config.architectures) ? (config.architectures as string[]) : [];
  if (archs.some((a) => a.endsWith('ForSequenceClassification'))) return 'classify';
  if (archs.length > 0 && archs.every((a) => /[a-z]Model$/.test(a))) return 'embed';
  return null;
}

export interface EncoderLoadOptions {
  device: DeviceKind;
  common: { revision: string; progress_callback: (event: never) => void };
  dtype: { dtype?: 'fp32' };
  config: Record<string, unknown>;
}

export async function loadEncoderModel(spec: ModelSpec, ctx: LoadContext, task: EncoderTask, opts: EncoderLoadOptions): Promise<LoadedModel> {
  const load = { ...opts.common, device: opts.device, ...opts.dtype } as never;
  const tokenizer = AutoTokenizer.from_pretrained(spec.source.repo, opts.common as never);
  let model: Promise<PreTrainedModel>;
  if (task === 'classify') {
    // Decoder reward models (Llama, Qwen2 ...ForSequenceClassification) have no transformers.js
    // class: their plain model's session already outputs the pooled `logits`.
    model = AutoModelForSequenceClassification.from_pretrained(spec.source.repo, load)
      .catch(() => AutoModel.from_pretrained(spec.source.repo, load)) as Promise<PreTrainedModel>;
  } else {
    model = AutoModel.from_pretrained(spec.source.repo, load) as Promise<PreTrainedModel>;
  }
  const embedding = task === 'embed' ? await embeddingInfo(spec, opts.config) : undefined;
  const loaded = new TransformersEncoderModel(spec, task, await tokenizer, await model, opts.device, embedding);
  ctx.onProgress({ model: spec.id, phase: 'init', progress: 1, loaded: null, total: null, file: null, text: 'Initializing' });
  return loaded;
}

class TransformersEncoderModel implements LoadedModel {
  readonly engine = 'transformers';
  readonly id: string;
  readonly contextLength: number | null;
  readonly modalities: Modality[] = ['text'];
  readonly defaults = {};
  readonly textTokenizer;
  readonly labels?: string[];

  constructor(
    spec: ModelSpec,
    readonly task: EncoderTask,
    private readonly tokenizer: PreTrainedTokenizer,
    private readonly model: PreTrainedModel,
    readonly device: DeviceKind,
    readonly embedding?: EmbeddingInfo,
  ) {
    this.id = spec.id;
    const config = model.config as unknown as Record<string, unknown>;
    this.contextLength = spec.contextLength ?? (config.max_position_embeddings as number | undefined) ?? null;
    this.textTokenizer = modelTokenizer(tokenizer);
    if (task === 'classify') this.labels = labelsOf(config);
  }

  async embed(inputs: number[][], signal: AbortSignal): Promise<Float32Array[]> {
    const info = this.embedding!;
    const out: Float32Array[] = [];
    for (const ids of inputs) {
      const outputs = await this.run(ids, signal);
      const pooled = outputs.sentence_embedding ? rowOf(outputs.sentence_embedding) : pool(outputs.last_hidden_state ?? outputs.token_embeddings, info.pooling);
      out.push(info.normalized ? l2normalize(pooled) : pooled);
    }
    return out;
  }

  async classify(inputs: ClassifyInput[], signal: AbortSignal): Promise<number[][]> {
    const out: number[][] = [];
    for (const input of inputs) {
      const enc = this.tokenizer(input.text, {
        add_special_tokens: input.addSpecialTokens,
        ...(input.pair !== undefined ? { text_pair: input.pair } : {}),
        ...(input.maxTokens !== undefined ? { truncation: true, max_length: input.maxTokens } : {}),
      }) as Record<string, Tensor>;
      const outputs = await this.forward(enc, signal);
      const logits = outputs.logits!;
      // [1, labels]; a decoder exported without pooling gives [1, seq, labels]: its last token.
      const values = Array.from(logits.data as Float32Array);
      out.push(values.slice(values.length - logits.dims.at(-1)!));
    }
    return out;
  }

  private run(ids: number[], signal: AbortSignal) {
    const input_ids = new Tensor('int64', BigInt64Array.from(ids, (id) => BigInt(id)), [1, ids.length]);
    const attention_mask = new Tensor('int64', new BigInt64Array(ids.length).fill(1n), [1, ids.length]);
    return this.forward({ input_ids, attention_mask }, signal);
  }

  private async forward(inputs: Record<string, Tensor>, signal: AbortSignal): Promise<Record<string, Tensor | undefined>> {
    // One macrotask between inputs: a cancel gets in, and the host keeps answering.
    await nextTask();
    if (signal.aborted) throw new DOMException('Aborted', 'AbortError');
    return (await this.model(inputs)) as Record<string, Tensor>;
  }

  async prepareChat(): Promise<PreparedPrompt> {
    throw this.notGenerative();
  }

  async prepareText(): Promise<PreparedPrompt> {
    throw this.notGenerative();
  }

  // eslint-disable-next-line require-yield
  async *generate(): AsyncGenerator<never> {
    throw this.notGenerative();
  }

  async unload(): Promise<void> {
    await this.model.dispose();
  }

  private notGenerative(): BadRequestError {
    return notGenerative(this.id, this.task);
  }
}

/**
 * The pooling and normalization the model declares: sentence-transformers' modules.json
 * (a Pooling module's config, a Normalize module), overridden by `options.pooling` /
 * `options.normalize`; without either, mean pooling and unit vectors. Matryoshka dimensions
 * from config.json (vLLM's `matryoshka_dimensions` / `is_matryoshka`) or `options.matryoshka`.
 */
async function embeddingInfo(spec: ModelSpec, config: Record<string, unknown>): Promise<EmbeddingInfo> {
  const modules = (await fetchModelJson(spec, 'modules.json')) as Array<{ path?: string; type?: string }> | null;
  const poolingModule = modules?.find((m) => m.type?.endsWith('Pooling'));
  const poolingConfig = poolingModule ? ((await fetchModelJson(spec, `${poolingModule.path}/config.json`)) as Record<string, unknown> | null) : null;
  const options = spec.options ?? {};
  const hidden = Number(config.hidden_size ?? config.d_model ?? config.n_embd);
  const dimensions = Number(poolingConfig?.word_embedding_dimension ?? poolingConfig?.embedding_dimension ?? hidden);
  const declared = options.matryoshka ?? config.matryoshka_dimensions ?? (config.is_matryoshka ? true : null);
  return {
    dimensions,
    pooling: (options.pooling as EmbeddingInfo['pooling'] | undefined) ?? poolingOf(poolingConfig) ?? 'mean',
    normalized: (options.normalize as boolean | undefined) ?? (modules ? modules.some((m) => m.type?.endsWith('Normalize')) : true),
    matryoshka: Array.isArray(declared) ? declared.map(Number) : declared === true ? true : null,
  };
}

/** Both spellings of a sentence-transformers Pooling config (`pooling_mode`, or the `pooling_mode_*_tokens` flags). */
function poolingOf(config: Record<string, unknown> | null): EmbeddingInfo['pooling'] | null {
  if (!config) return null;
  const mode = config.pooling_mode;
  const byName: Record<string, EmbeddingInfo['pooling']> = { mean: 'mean', cls: 'cls', lasttoken: 'last', max: 'max' };
  if (typeof mode === 'string' && byName[mode]) return byName[mode]!;
  if (config.pooling_mode_cls_token) return 'cls';
  if (config.pooling_mode_lasttoken) return 'last';
  if (config.pooling_mode_max_tokens) return 'max';
  if (config.pooling_mode_mean_tokens) return 'mean';
  return null;
}

/** A file of the model folder next to the ONNX files (transformers.js's env already points at it); null when absent. */
async function fetchModelJson(spec: ModelSpec, file: string): Promise<unknown> {
  const path = env.remotePathTemplate.replaceAll('{model}', spec.source.repo).replaceAll('{revision}', encodeURIComponent(spec.source.revision ?? 'main'));
  const url = new URL(`${path}${path.endsWith('/') || path === '' ? '' : '/'}${file}`, env.remoteHost);
  try {
    const response = await fetch(url);
    return response.ok ? await response.json() : null;
  } catch {
    return null;
  }
}

/** [1, seq, hidden] -> [hidden] (batch 1: every token is real). */
function pool(hidden: Tensor | undefined, how: EmbeddingInfo['pooling']): Float32Array {
  if (!hidden) throw new Error('The embedding model gave neither last_hidden_state nor sentence_embedding.');
  const [, seq, dim] = hidden.dims as [number, number, number];
  const data = hidden.data as Float32Array;
  if (how === 'cls') return data.slice(0, dim);
  if (how === 'last') return data.slice((seq - 1) * dim, seq * dim);
  const out = new Float32Array(dim).fill(how === 'max' ? -Infinity : 0);
  for (let t = 0; t < seq; t++) {
    for (let i = 0; i < dim; i++) {
      const x = data[t * dim + i]!;
      out[i] = how === 'max' ? Math.max(out[i]!, x) : out[i]! + x / seq;
    }
  }
  return out;
}

function rowOf(tensor: Tensor): Float32Array {
  return Float32Array.from(tensor.data as Float32Array);
}

function l2normalize(v: Float32Array): Float32Array {
  let norm = 0;
  for (const x of v) norm += x * x;
  norm = Math.sqrt(norm);
  return norm > 0 ? v.map((x) => x / norm) : v;
}

function labelsOf(config: Record<string, unknown>): string[] {
  const id2label = (config.id2label ?? {}) as Record<string, string>;
  const n = Number(config.num_labels ?? Object.keys(id2label).length ?? 1) || 1;
  return Array.from({ length: n }, (_, i) => id2label[i] ?? `LABEL_${i}`);
}
