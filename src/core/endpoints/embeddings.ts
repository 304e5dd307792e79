import { EmbeddingCreateParams, type CreateEmbeddingResponse } from '../../protocol/embeddings.js';
import { BadRequestError } from '../../protocol/errors.js';
import type { EmbeddingInfo, LoadedModel, ModelTokenizer } from '../engine.js';
import { checkLength, sum, tokenizerOf, unsupportedModel, type Endpoint } from './endpoint.js';

/** `POST /v1/embeddings` (and FastChat's `/v1/engines/{model}/embeddings`): OpenAI's semantics on any embedding model. */
export const embeddingsEndpoint: Endpoint<EmbeddingCreateParams, CreateEmbeddingResponse> = {
  schema: EmbeddingCreateParams,
  models: (p) => [{ id: p.model, param: 'model' }],
  async run(params, ctx) {
    const model = await ctx.model(params.model);
    if (!model.embed || !model.embedding) throw unsupportedModel(model, 'is not an embedding model');
    const dims = matryoshkaDimensions(params.dimensions ?? null, model.embedding, model.id);
    const inputs = tokenIdInputs(params.input, tokenizerOf(model), model);
    const vectors = await model.embed(inputs, ctx.signal);
    const tokens = sum(inputs.map((ids) => ids.length));
    return {
      object: 'list',
      data: vectors.map((v, index) => {
        const vector = dims === null ? v : truncate(v, dims, model.embedding!.normalized);
        return { object: 'embedding', index, embedding: params.encoding_format === 'base64' ? toBase64(vector) : Array.from(vector) };
      }),
      model: params.model,
      usage: { prompt_tokens: tokens, total_tokens: tokens },
    };
  },
};

/** Every input as token ids: strings through the model's tokenizer (special tokens added), ids checked against the vocabulary. */
function tokenIdInputs(input: EmbeddingCreateParams['input'], tokenizer: ModelTokenizer, model: LoadedModel): number[][] {
  const single = typeof input === 'string' || typeof input[0] === 'number';
  const items = (single ? [input] : input) as Array<string | number[]>;
  return items.map((item, i) => {
    const param = single ? 'input' : `input[${i}]`;
    let ids: number[];
    if (typeof item === 'string') {
      if (item === '') throw new BadRequestError(`'${param}' must not be empty.`, { param, code: 'invalid_value' });
      ids = tokenizer.encode(item, { addSpecialTokens: true });
    } else {
      const bad = item.findIndex((id) => id >= tokenizer.vocabSize);
      if (bad !== -1) {
        throw new BadRequestError(`Token id ${item[bad]} is not in model '${model.id}''s vocabulary (size ${tokenizer.vocabSize}).`, {
          param: `${param}[${bad}]`, code: 'invalid_value',
        });
      }
      ids = item;
    }
    checkLength(model, ids.length, param);
    return ids;
  });
}

/** `dimensions`: null when the full vector is asked for; a 400 where the model declares no Matryoshka training. */
function matryoshkaDimensions(asked: number | null, info: EmbeddingInfo, id: string): number | null {
  if (asked === null || asked === info.dimensions) return null;
  if (info.matryoshka === null) {
    throw new BadRequestError(`Model '${id}' does not support 'dimensions' (it declares no Matryoshka training); its vectors have ${info.dimensions}.`, {
      param: 'dimensions', code: 'unsupported_parameter',
    });
  }
  const allowed = info.matryoshka === true ? null : info.matryoshka;
  if (asked > info.dimensions || (allowed && !allowed.includes(asked))) {
    const which = allowed ? `one of ${allowed.join(', ')}` : `at most ${info.dimensions}`;
    throw new BadRequestError(`'dimensions' must be ${which} for model '${id}'.`, { param: 'dimensions', code: 'invalid_value' });
  }
  return asked;
}

/** The first `dims` values; renormalized when the model's vectors are unit length. */
export function truncate(vector: Float32Array, dims: number, normalized: boolean): Float32Array {
  const out = vector.slice(0, dims);
  if (!normalized) return out;
  let norm = 0;
  for (const x of out) norm += x * x;
  norm = Math.sqrt(norm);
  if (norm > 0) for (let i = 0; i < out.length; i++) out[i]! /= norm;
  return out;
}

/** OpenAI's base64 encoding: the float32 values' little-endian bytes. */
export function toBase64(vector: Float32Array): string {
  const bytes = new Uint8Array(vector.length * 4);
  const view = new DataView(bytes.buffer);
  vector.forEach((x, i) => view.setFloat32(i * 4, x, true));
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}
