import { z } from 'zod';

/**
 * `POST /v1/embeddings` as OpenAI documents it (and FastChat's `/v1/engines/{model}/embeddings`).
 * `input`: a string, an array of strings, an array of token ids, or an array of such arrays.
 */

/** OpenAI's limit on inputs per request. */
export const MAX_EMBEDDING_INPUTS = 2048;

const TokenIds = z.array(z.number().int().min(0)).min(1);

export const EmbeddingInput = z.union([
  z.string(),
  z.array(z.string()).min(1).max(MAX_EMBEDDING_INPUTS),
  TokenIds,
  z.array(TokenIds).min(1).max(MAX_EMBEDDING_INPUTS),
]);

export const EmbeddingCreateParams = z.strictObject({
  model: z.string().min(1),
  input: EmbeddingInput,
  /** `base64`: each vector as little-endian float32 bytes, base64 (what the openai SDK asks for by default). */
  encoding_format: z.enum(['float', 'base64']).nullish(),
  /** Matryoshka truncation (then renormalized); a 400 where the model does not declare it. */
  dimensions: z.number().int().min(1).nullish(),
  user: z.string().nullish(),
});
export type EmbeddingCreateParams = z.infer<typeof EmbeddingCreateParams>;

export const Embedding = z.object({
  object: z.literal('embedding'),
  index: z.number().int(),
  embedding: z.union([z.array(z.number()), z.string()]),
});
export type Embedding = z.infer<typeof Embedding>;

export const CreateEmbeddingResponse = z.object({
  object: z.literal('list'),
  data: z.array(Embedding),
  model: z.string(),
  usage: z.object({ prompt_tokens: z.number().int(), total_tokens: z.number().int() }),
});
export type CreateEmbeddingResponse = z.infer<typeof CreateEmbeddingResponse>;
