import { BadRequestError } from '../protocol/errors.js';
import type { GenerateOptions, LoadedModel, SamplingParams } from './engine.js';
import { randomSeed } from './rng.js';

/** The request fields that shape generation, shared by chat and legacy completions. */
export interface SamplingRequest {
  temperature?: number | null;
  top_p?: number | null;
  top_k?: number | null;
  min_p?: number | null;
  n?: number | null;
  stop?: string | string[] | null;
  seed?: number | null;
  presence_penalty?: number | null;
  frequency_penalty?: number | null;
  repetition_penalty?: number | null;
  logit_bias?: Record<string, number> | null;
  min_tokens?: number | null;
  ignore_eos?: boolean | null;
}

/** How to run a request: one GenerateOptions per choice, plus the stop strings. */
export interface GenerationPlan {
  choices: GenerateOptions[];
  stops: string[];
}

/** OpenAI's defaults, used where neither the request nor the model says otherwise. */
const OPENAI_DEFAULTS: SamplingParams = {
  temperature: 1,
  topP: 1,
  topK: 0,
  minP: 0,
  repetitionPenalty: 1,
  presencePenalty: 0,
  frequencyPenalty: 0,
  logitBias: new Map(),
};

export function planGeneration(
  req: SamplingRequest,
  model: LoadedModel,
  promptTokens: number,
  requestedMaxTokens: number | null,
  topLogprobs: number | null,
  maxTokensParam: string,
): GenerationPlan {
  const maxTokens = resolveMaxTokens(model, promptTokens, requestedMaxTokens, maxTokensParam);
  const d = { ...OPENAI_DEFAULTS, ...model.defaults };
  const sampling: SamplingParams = {
    temperature: req.temperature ?? d.temperature,
    topP: req.top_p ?? d.topP,
    topK: req.top_k ?? d.topK,
    minP: req.min_p ?? d.minP,
    repetitionPenalty: req.repetition_penalty ?? d.repetitionPenalty,
    presencePenalty: req.presence_penalty ?? d.presencePenalty,
    frequencyPenalty: req.frequency_penalty ?? d.frequencyPenalty,
    logitBias: new Map(Object.entries(req.logit_bias ?? {}).map(([k, v]) => [Number(k), v])),
  };
  const minTokens = req.min_tokens ?? 0;
  if (minTokens > maxTokens) {
    throw new BadRequestError(`min_tokens (${minTokens}) must not exceed the maximum number of tokens (${maxTokens}).`, {
      param: 'min_tokens',
    });
  }
  const seed = req.seed ?? randomSeed();
  const n = req.n ?? 1;
  const choices = Array.from({ length: n }, (_, i) => ({
    maxTokens,
    sampling,
    // Each choice draws from its own stream, reproducibly for a given seed.
    seed: seed + i,
    topLogprobs,
    minTokens,
    ignoreEos: req.ignore_eos ?? false,
  }));
  const stops = req.stop == null ? [] : (typeof req.stop === 'string' ? [req.stop] : req.stop).filter((s) => s !== '');
  return { choices, stops };
}

function resolveMaxTokens(model: LoadedModel, promptTokens: number, requested: number | null, param: string): number {
  const limit = model.contextLength;
  if (limit === null) return requested ?? 4096;
  if (promptTokens >= limit) {
    throw new BadRequestError(
      `This model's maximum context length is ${limit} tokens. However, your messages resulted in ${promptTokens} tokens. Please reduce the length of the messages.`,
      { param: 'messages', code: 'context_length_exceeded' },
    );
  }
  if (requested === null) return limit - promptTokens;
  if (promptTokens + requested > limit) {
    throw new BadRequestError(
      `This model's maximum context length is ${limit} tokens. However, you requested ${promptTokens + requested} tokens (${promptTokens} in the messages, ${requested} in the completion). Please reduce the length of the messages or completion.`,
      { param, code: 'context_length_exceeded' },
    );
  }
  return requested;
}
