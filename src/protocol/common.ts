import { z } from 'zod';
import { RoutingMode } from './routing.js';

/** Shared pieces of the request schemas (chat and legacy completions). */

export const Stop = z.union([z.string(), z.array(z.string()).max(4)]).nullish();

export const LogitBias = z
  .record(z.string().regex(/^\d+$/, 'keys must be token ids'), z.number().min(-100).max(100))
  .nullish();

export const StreamOptions = z
  .strictObject({
    include_usage: z.boolean().nullish(),
    /** Accepted for compatibility; there is no network observer to obfuscate against. */
    include_obfuscation: z.boolean().nullish(),
  })
  .nullish();

/** Sampling fields common to both endpoints, including the usual server extensions. */
export const samplingFields = {
  temperature: z.number().min(0).max(2).nullish(),
  top_p: z.number().min(0).max(1).nullish(),
  n: z.number().int().min(1).max(128).nullish(),
  stop: Stop,
  seed: z.number().int().nullish(),
  presence_penalty: z.number().min(-2).max(2).nullish(),
  frequency_penalty: z.number().min(-2).max(2).nullish(),
  logit_bias: LogitBias,
  stream: z.boolean().nullish(),
  stream_options: StreamOptions,
  user: z.string().nullish(),
  // Server extensions (vLLM / llama.cpp / Ollama spellings).
  top_k: z.number().int().min(-1).nullish(),
  min_p: z.number().min(0).max(1).nullish(),
  repetition_penalty: z.number().gt(0).max(10).nullish(),
  min_tokens: z.number().int().min(0).nullish(),
  ignore_eos: z.boolean().nullish(),
  /** Extension: this request's hybrid routing (protocol/routing.ts), over the model's own. */
  routing: RoutingMode.nullish(),
};

export const Usage = z.object({
  prompt_tokens: z.number().int(),
  completion_tokens: z.number().int(),
  total_tokens: z.number().int(),
  prompt_tokens_details: z.object({ cached_tokens: z.number().int() }).partial().nullish(),
  completion_tokens_details: z.object({ reasoning_tokens: z.number().int() }).partial().nullish(),
});
export type Usage = z.infer<typeof Usage>;
