import type { z } from 'zod';
import { BadRequestError } from '../../protocol/errors.js';
import type { LoadedModel } from '../engine.js';

/**
 * One non-generating route family (embeddings, rerank, score, tokenize): its request
 * schema and what it does with loaded models. The runtime validates the body, checks the
 * named models exist (404) before queueing, then runs it holding the engine queue.
 */
export interface Endpoint<P, R> {
  schema: z.ZodType<P>;
  /** The registered models the request names, with the param a 404 names. */
  models(params: P): Array<{ id: string; param: string }>;
  run(params: P, ctx: EndpointContext): Promise<R>;
}

export interface EndpointContext {
  /** The model, loaded if it is not yet. */
  model(id: string): Promise<LoadedModel>;
  /** The only loaded model (a request that names none, as llama.cpp's); a 400 naming `model` otherwise. */
  soleModel(): LoadedModel;
  signal: AbortSignal;
  newId(prefix: string): string;
}

/** A model that lacks what an endpoint needs: a 400 naming `model`. */
export function unsupportedModel(model: LoadedModel, what: string): BadRequestError {
  return new BadRequestError(`Model '${model.id}' ${what}.`, { param: 'model', code: 'model_not_supported' });
}

/** The model's tokenizer, or a 400 naming `model`. */
export function tokenizerOf(model: LoadedModel) {
  if (!model.textTokenizer) throw unsupportedModel(model, `(engine '${model.engine}') exposes no tokenizer`);
  return model.textTokenizer;
}

/** A prompt longer than the model's context: a 400 naming it. */
export function checkLength(model: LoadedModel, tokens: number, param: string): void {
  if (model.contextLength != null && tokens > model.contextLength) {
    throw new BadRequestError(
      `${param} is ${tokens} tokens; model '${model.id}' takes at most ${model.contextLength}.`,
      { param, code: 'context_length_exceeded' },
    );
  }
}

/** A chat or completion request on an embedding or classification model: a 400 naming `model`. */
export function notGenerative(id: string, task: 'embed' | 'classify'): BadRequestError {
  const what = task === 'embed' ? 'an embedding model: use /v1/embeddings' : 'a classification model: use /v1/rerank, /v1/score or /v1/score/evaluation';
  return new BadRequestError(`Model '${id}' is ${what}; it does not generate text.`, { param: 'model', code: 'model_not_supported' });
}

export function sum(values: number[]): number {
  return values.reduce((a, b) => a + b, 0);
}
