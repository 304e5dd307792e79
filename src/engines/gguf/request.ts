import type { GenerateOptions } from '../../core/engine.js';
import { BadRequestError } from '../../protocol/errors.js';

/**
 * core's GenerateOptions as a llama.cpp (wllama) completion request, and its streamed
 * chunks back as token events. llama.cpp samples; the request pins its sampler chain to
 * core's meaning:
 * - logit_bias first (llama.cpp always applies it first), then penalties, temperature,
 *   min_p, top_k, top_p, as core's Sampler does; llama.cpp's own defaults (top_k 40,
 *   min_p 0.05, typical, DRY, XTC) are switched off unless the request asks;
 * - repetition_penalty over the whole context, prompt included (HF semantics: `repeat_last_n` = the context);
 *   presence/frequency penalties count over that same window, prompt included (OpenAI
 *   counts the completion only);
 * - seed: llama.cpp's own RNG (mt19937), reproducible per seed, not the same draws as
 *   core's sampler on other engines;
 * - `n_probs` always >= 1: each chunk then carries its token's id and, when logprobs are
 *   asked for, its logprob and alternatives from the raw logits (as core reports them).
 * Grammars: the model declares native grammar support; gguf.ts adds core's constraint as
 * GBNF (gguf/gbnf.ts) to this body's `grammar`, which llama.cpp's grammar sampler enforces.
 */

/** `context`: the loaded context length, the penalties' window; `vocabSize`: the model's token count. */
export function completionBody(prompt: string, options: GenerateOptions, context: number, vocabSize: number): Record<string, unknown> {
  const s = options.sampling;
  if (options.minTokens > 0) {
    throw new BadRequestError('min_tokens is not supported on GGUF models (llama.cpp has no such sampler).', { param: 'min_tokens' });
  }
  // llama.cpp would fail on an id outside the vocabulary (a 500): the 400 core gives on other engines.
  const outside = [...s.logitBias.keys()].find((id) => id >= vocabSize);
  if (outside !== undefined) {
    throw new BadRequestError(`Invalid key in 'logit_bias': ${outside} is not a token id of this model (its vocabulary has ids 0 to ${vocabSize - 1}).`, { param: `logit_bias.${outside}`, code: 'invalid_value' });
  }
  return {
    prompt,
    max_tokens: options.maxTokens,
    temperature: s.temperature,
    top_k: s.topK,
    top_p: s.topP,
    min_p: s.minP,
    typical_p: 1,
    repeat_penalty: s.repetitionPenalty,
    repeat_last_n: context,
    presence_penalty: s.presencePenalty,
    frequency_penalty: s.frequencyPenalty,
    logit_bias: [...s.logitBias].map(([id, bias]) => [id, bias]),
    samplers: ['penalties', 'temperature', 'min_p', 'top_k', 'top_p'],
    seed: options.seed >>> 0,
    n_probs: Math.max(1, options.topLogprobs ?? 0),
    // Without logprobs, the report only carries the ids: taken after sampling, its entries are
    // tokens that could be chosen (wllama fails on a reported token that is not valid UTF-8).
    post_sampling_probs: options.topLogprobs === null,
    ignore_eos: options.ignoreEos,
    // llama.cpp keeps the slot's KV state and prefills only after the longest common prefix
    // (the next turn, the n choices of a prompt); per-token timings say how much it reused.
    cache_prompt: true,
    timings_per_token: true,
  };
}

interface ProbEntry {
  id: number;
  logprob: number;
  top_logprobs?: Array<{ id: number; logprob: number }>;
}

export interface WllamaChunk {
  choices?: Array<{ logprobs?: { content?: ProbEntry[] } | null; finish_reason?: string | null }>;
  /** `timings_per_token`: `cache_n` is the prompt tokens llama.cpp took from its cache. */
  timings?: { cache_n?: number };
}

export interface TokenEvent {
  id: number;
  isEos: boolean;
  logprob?: number;
  top?: Array<{ id: number; logprob: number }>;
}

/**
 * The tokens in one streamed chunk. llama.cpp reports the end-of-generation token only
 * as `finish_reason: "stop"` (no stop strings are sent: core matches them): it becomes
 * an EOS event with the model's first end-of-generation id.
 */
export function toTokenEvents(chunk: WllamaChunk, eogIds: readonly number[]): TokenEvent[] {
  const choice = chunk.choices?.[0];
  if (!choice) return [];
  const events: TokenEvent[] = (choice.logprobs?.content ?? []).map((p) => ({
    id: p.id,
    isEos: eogIds.includes(p.id),
    logprob: p.logprob,
    ...(p.top_logprobs ? { top: p.top_logprobs.map((t) => ({ id: t.id, logprob: t.logprob })) } : {}),
  }));
  if (choice.finish_reason === 'stop' && !events.at(-1)?.isEos) events.push({ id: eogIds[0] ?? -1, isEos: true });
  return events;
}
