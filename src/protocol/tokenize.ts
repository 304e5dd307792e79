import { z } from 'zod';
import { ChatMessage, Tool } from './chat.js';

/**
 * `/v1/tokenize` and `/v1/detokenize` in vLLM's shape (`prompt` or chat `messages`, with the
 * model's template) and llama.cpp's (`content`, `add_special`, `with_pieces`), and FastChat's
 * token count check (`/v1/token_check`). `model` may be left out (llama.cpp sends none) when
 * exactly one model is loaded.
 */

export const TokenizeParams = z.strictObject({
  model: z.string().min(1).nullish(),
  /** vLLM: a text prompt. */
  prompt: z.string().nullish(),
  /** llama.cpp's name for the text. */
  content: z.string().nullish(),
  /** vLLM: a conversation, rendered with the model's chat template (as chat completions render it). */
  messages: z.array(ChatMessage).min(1).nullish(),
  tools: z.array(Tool).nullish(),
  add_generation_prompt: z.boolean().nullish(),
  continue_final_message: z.boolean().nullish(),
  chat_template_kwargs: z.record(z.string(), z.unknown()).nullish(),
  /** Default: true for a text (vLLM), false for messages (the template writes them). */
  add_special_tokens: z.boolean().nullish(),
  /** llama.cpp's name for add_special_tokens (its default: false). */
  add_special: z.boolean().nullish(),
  /** vLLM: also return each token's string (`token_strs`). */
  return_token_strs: z.boolean().nullish(),
  /** llama.cpp: tokens as `{ id, piece }` (the piece is the token's decoded text). */
  with_pieces: z.boolean().nullish(),
});
export type TokenizeParams = z.infer<typeof TokenizeParams>;

export interface TokenizeResponse {
  count: number;
  max_model_len: number | null;
  tokens: number[] | Array<{ id: number; piece: string }>;
  token_strs: string[] | null;
}

export const DetokenizeParams = z.strictObject({
  model: z.string().min(1).nullish(),
  tokens: z.array(z.number().int().min(0)),
});
export type DetokenizeParams = z.infer<typeof DetokenizeParams>;

/** `prompt` is vLLM's field, `content` llama.cpp's: both carry the text. */
export interface DetokenizeResponse {
  prompt: string;
  content: string;
}

/** FastChat's `/api/v1/token_check`: does each prompt plus its max_tokens fit the model's context? */
export const TokenCheckParams = z.strictObject({
  prompts: z.array(z.strictObject({
    model: z.string().min(1),
    prompt: z.string(),
    max_tokens: z.number().int().min(0),
  })).min(1).max(1024),
});
export type TokenCheckParams = z.infer<typeof TokenCheckParams>;

export interface TokenCheckResponse {
  prompts: Array<{ fits: boolean; tokenCount: number; contextLength: number | null }>;
}
