import type { Response, ResponseStreamEvent } from '../../protocol/responses.js';
import { badResponse, checkObject, type ChunkShape } from './chunks.js';
import { streamError } from './errors.js';

/**
 * A server's own Responses API answer (native pass-through): its events as they come,
 * with `response.model` the registered id; an `error` or `response.failed` event is the
 * typed error. Only the lifecycle events that carry a response are checked for shape:
 * the rest are the server's and go to the caller unchanged.
 */
export function responseShaper(shape: ChunkShape) {
  return {
    push(raw: unknown): ResponseStreamEvent[] {
      const event = checkObject(raw, shape.server);
      if (typeof event.type !== 'string') throw badResponse(shape.server, 'a Responses event without a type');
      if (event.type === 'error') throw streamError({ error: event }, shape.server);
      if (event.type === 'response.failed') throw streamError({ error: event.response?.error ?? { message: 'the response failed' } }, shape.server);
      if ('response' in event) event.response = ownResponse(event.response, shape);
      return [event as ResponseStreamEvent];
    },
    finish: (): ResponseStreamEvent[] => [],
  };
}

/** A non-streaming answer as the one lifecycle event core folds back. */
export function responseAsEvents(raw: unknown, shape: ChunkShape): ResponseStreamEvent[] {
  const response = ownResponse(raw, shape);
  if (response.status === 'failed') throw streamError({ error: response.error ?? { message: 'the response failed' } }, shape.server);
  const type = response.status === 'incomplete' ? 'response.incomplete' : 'response.completed';
  return [{ type, sequence_number: 0, response } as ResponseStreamEvent];
}

function ownResponse(raw: unknown, shape: ChunkShape): Response {
  const response = checkObject(raw, shape.server);
  if (typeof response.id !== 'string' || !Array.isArray(response.output ?? [])) throw badResponse(shape.server, 'a response that is not OpenAI\'s shape');
  return { ...response, model: shape.model } as Response;
}
