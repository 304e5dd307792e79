import { z } from 'zod';
import { samplingFields, Usage } from './common.js';

/**
 * The legacy Completions contract (`POST /v1/completions`), as OpenAI documents it.
 * Prompts are text: a string, or an array of strings (a batch: choices for every prompt).
 */

export const CompletionPrompt = z.union([z.string(), z.array(z.string()).min(1)]);

export const CompletionCreateParams = z.strictObject({
  model: z.string().min(1),
  prompt: CompletionPrompt,
  ...samplingFields,
  /** OpenAI's legacy default is 16. */
  max_tokens: z.number().int().min(1).nullish(),
  /** The legacy shape: how many top alternatives per token (0 = only the sampled token). */
  logprobs: z.number().int().min(0).max(5).nullish(),
  echo: z.boolean().nullish(),
  /** Fill-in-the-middle; refused with a 400 naming it (no model here has a FIM template). */
  suffix: z.string().nullish(),
  best_of: z.number().int().min(1).max(20).nullish(),
});
export type CompletionCreateParams = z.infer<typeof CompletionCreateParams>;

export const CompletionLogprobs = z.object({
  tokens: z.array(z.string()),
  token_logprobs: z.array(z.number().nullable()),
  top_logprobs: z.array(z.record(z.string(), z.number()).nullable()),
  text_offset: z.array(z.number().int()),
});
export type CompletionLogprobs = z.infer<typeof CompletionLogprobs>;

export const CompletionChoice = z.object({
  index: z.number().int(),
  text: z.string(),
  logprobs: CompletionLogprobs.nullable(),
  finish_reason: z.enum(['stop', 'length', 'content_filter']).nullable(),
});
export type CompletionChoice = z.infer<typeof CompletionChoice>;

/** The non-streaming response and, with `stream: true`, every chunk (same object type). */
export const Completion = z.object({
  id: z.string(),
  object: z.literal('text_completion'),
  created: z.number().int(),
  model: z.string(),
  system_fingerprint: z.string().nullable(),
  choices: z.array(CompletionChoice),
  usage: Usage.nullable().optional(),
});
export type Completion = z.infer<typeof Completion>;
