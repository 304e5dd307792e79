import type { PassThroughEngine, PassThroughModel } from '../core/engine.js';
import { AbortError } from '../core/abort.js';
import type { ChatCompletionChunk, ChatCompletionCreateParams } from '../protocol/chat.js';
import { APIError, ServiceUnavailableError } from '../protocol/errors.js';
import type { RemoteTarget } from '../protocol/routing.js';
import { CHAT, COMPLETION, badResponse, chunkShaper, completionAsChunks, textCompletionAsChunks, type ChunkShape } from './remote/chunks.js';
import { responseAsEvents, responseShaper } from './remote/responses.js';
import type { ResponseCreateParams, ResponseStreamEvent } from '../protocol/responses.js';
import type { Completion, CompletionCreateParams } from '../protocol/completions.js';
import { remoteError, streamError } from './remote/errors.js';
import { sseData } from './remote/sse.js';

/**
 * The remote engine: a model that an OpenAI-compatible server runs (vLLM, TGI, llama.cpp
 * server, Ollama, transformers serve, OpenAI). It runs in the engine host, so the API key
 * never reaches a page or the Service Worker. Core hands it validated requests (routing
 * and the request body: core/routing.ts, core/remote-request.ts); this file only talks
 * HTTP: retries with backoff on 429/5xx/network errors until the server accepts, a timeout
 * for the answer and between streamed chunks, abort (the connection is closed, which
 * vLLM and transformers serve take as a cancel), and the server's errors typed.
 */

export const DEFAULT_REMOTE_TIMEOUT_MS = 60_000;
export const DEFAULT_REMOTE_RETRIES = 2;
const RETRY_STATUSES = new Set([408, 409, 429, 500, 502, 503, 504]);
const BACKOFF_BASE_MS = 500;
const BACKOFF_MAX_MS = 8_000;

export interface RemoteEngineOptions {
  fetch?: typeof fetch;
  /** Waits between retries (tests make it instant). */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

export function createRemoteEngine(options: RemoteEngineOptions = {}): PassThroughEngine {
  const doFetch = options.fetch ?? ((input, init) => fetch(input, init));
  const sleep = options.sleep ?? abortableSleep;
  /** Servers found without the Responses API (`responses: 'auto'`): `${baseURL} ${model}`. */
  const noResponsesApi = new Set<string>();
  return {
    name: 'remote',
    passThrough: true,
    open(id: string, target: RemoteTarget): PassThroughModel {
      const base = new URL(target.baseURL.replace(/\/+$/, '') + '/', (globalThis as { location?: Location }).location?.href);
      const server = `Remote server ${base.host}`;
      const timeoutMs = target.timeoutMs ?? DEFAULT_REMOTE_TIMEOUT_MS;
      const headers: Record<string, string> = {
        ...target.headers,
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        ...(target.apiKey ? { authorization: `Bearer ${target.apiKey}` } : {}),
      };

      /** POSTs until the server accepts (2xx) or the retries are spent; every failure typed. */
      async function post(path: string, body: object, signal: AbortSignal, watchdog: Watchdog): Promise<Response> {
        const retries = target.maxRetries ?? DEFAULT_REMOTE_RETRIES;
        for (let attempt = 0; ; attempt++) {
          let failure: APIError;
          let wait: number | null = null;
          try {
            watchdog.arm();
            const response = await doFetch(new URL(path, base), {
              method: 'POST',
              headers,
              body: JSON.stringify(body),
              signal: watchdog.signal,
              // The key and the body are the app's: no cookies of the page's origin go along.
              credentials: 'omit',
            });
            if (response.ok) return response;
            failure = remoteError(response.status, await response.text().catch(() => ''), server);
            wait = retryAfter(response.headers.get('retry-after'));
            if (!RETRY_STATUSES.has(response.status)) throw failure;
          } catch (err) {
            if (signal.aborted) throw new AbortError();
            if (watchdog.fired) failure = timeoutError(server, timeoutMs);
            else if (err instanceof APIError) throw err;
            else failure = new ServiceUnavailableError(`${server} cannot be reached (${(err as Error).message}).`, { code: 'remote_unavailable' });
          }
          if (attempt >= retries) throw failure;
          watchdog.disarm(); // the wait between attempts is not the server's time
          await sleep(wait ?? backoff(attempt), signal);
        }
      }

      /**
       * One validated request: resolves once the server accepted it; a non-streaming answer
       * comes back split as its stream would have been (core folds it back).
       */
      async function call<C>(path: string, body: { stream?: boolean | null; stream_options?: { include_usage?: boolean | null } | null }, signal: AbortSignal, shaper: (shape: ChunkShape) => Shaper<C>, whole: (raw: unknown, shape: ChunkShape) => C[]): Promise<AsyncIterableIterator<C>> {
        const streaming = body.stream === true;
        const shape: ChunkShape = { model: id, includeUsage: !streaming || body.stream_options?.include_usage === true, server };
        const watchdog = new Watchdog(timeoutMs, signal);
        const response = await post(path, { ...body, model: target.model ?? id }, signal, watchdog).catch((err: unknown) => {
          watchdog.dispose();
          throw err;
        });
        if (streaming) return streamChunks(response, shape, shaper(shape), watchdog, timeoutMs);
        const text = await watched(response.text(), watchdog, server, timeoutMs);
        watchdog.dispose();
        let parsed: unknown;
        try {
          parsed = JSON.parse(text);
        } catch {
          throw badResponse(server, 'an answer that is not JSON');
        }
        const chunks = whole(parsed, shape);
        return (async function* () { yield* chunks; })();
      }

      const serverKey = `${base.href} ${target.model ?? id}`;
      return {
        id,
        chat: (body: ChatCompletionCreateParams, signal: AbortSignal): Promise<AsyncIterableIterator<ChatCompletionChunk>> =>
          call('chat/completions', body, signal, (shape) => chunkShaper(shape, CHAT), completionAsChunks),
        completion: (body: CompletionCreateParams, signal: AbortSignal): Promise<AsyncIterableIterator<Completion>> =>
          call('completions', body, signal, (shape) => chunkShaper(shape, COMPLETION), textCompletionAsChunks),
        async response(body: ResponseCreateParams, signal: AbortSignal): Promise<AsyncIterableIterator<ResponseStreamEvent> | null> {
          const mode = target.responses ?? 'auto';
          if (mode === 'chat' || (mode === 'auto' && noResponsesApi.has(serverKey))) return null;
          try {
            return await call('responses', body, signal, responseShaper, responseAsEvents);
          } catch (err) {
            // A server without the route: remembered, and translated to chat from then on.
            if (mode === 'auto' && err instanceof APIError && (err.status === 404 || err.status === 405)) {
              noResponsesApi.add(serverKey);
              return null;
            }
            throw err;
          }
        },
      };
    },
  };
}

interface Shaper<C> {
  push(raw: unknown): C[];
  finish(): C[];
}

async function* streamChunks<C>(response: Response, shape: ChunkShape, shaper: Shaper<C>, watchdog: Watchdog, timeoutMs: number): AsyncGenerator<C> {
  if (!response.body) throw badResponse(shape.server, 'no body');
  try {
    for await (const event of sseData(response.body, () => watchdog.arm())) {
      if (typeof event === 'object' && event !== null && 'error' in event) throw streamError(event as Record<string, unknown>, shape.server);
      yield* shaper.push(event);
    }
    yield* shaper.finish();
  } catch (err) {
    if (watchdog.fired) throw timeoutError(shape.server, timeoutMs);
    if (watchdog.callerAborted) throw new AbortError();
    if (err instanceof SyntaxError) throw badResponse(shape.server, 'a stream event that is not JSON');
    throw err;
  } finally {
    watchdog.dispose();
  }
}

/**
 * One request's deadline: the caller's abort, or `timeoutMs` without progress (re-armed by
 * each step: the server's headers, each streamed piece). Either aborts the fetch.
 */
class Watchdog {
  private readonly controller = new AbortController();
  private timer: ReturnType<typeof setTimeout> | undefined;
  fired = false;
  readonly signal: AbortSignal;
  private readonly onAbort = () => this.controller.abort(this.caller.reason);

  constructor(private readonly ms: number, private readonly caller: AbortSignal) {
    this.signal = this.controller.signal;
    if (caller.aborted) this.controller.abort(caller.reason);
    else caller.addEventListener('abort', this.onAbort, { once: true });
  }

  get callerAborted(): boolean {
    return this.caller.aborted;
  }

  disarm(): void {
    clearTimeout(this.timer);
  }

  arm(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.fired = true;
      this.controller.abort(new Error('timeout'));
    }, this.ms);
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.caller.removeEventListener('abort', this.onAbort);
  }
}

async function watched<T>(promise: Promise<T>, watchdog: Watchdog, server: string, timeoutMs: number): Promise<T> {
  try {
    return await promise;
  } catch (err) {
    watchdog.dispose();
    if (watchdog.fired) throw timeoutError(server, timeoutMs);
    if (watchdog.callerAborted) throw new AbortError();
    throw err;
  }
}

function timeoutError(server: string, ms: number): APIError {
  return new APIError(504, `${server} did not answer within ${ms} ms.`, { type: 'server_error', code: 'remote_timeout' });
}

/** Exponential backoff with jitter: ~0.5 s, 1 s, 2 s, ... up to 8 s. */
function backoff(attempt: number): number {
  return Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** attempt) * (0.75 + Math.random() * 0.5);
}

/** `Retry-After` in seconds or as a date; null when absent, past or over the backoff cap. */
function retryAfter(header: string | null): number | null {
  if (!header) return null;
  const seconds = Number(header);
  const ms = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(header) - Date.now();
  return Number.isFinite(ms) && ms >= 0 ? Math.min(ms, BACKOFF_MAX_MS) : null;
}

function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new AbortError());
    const timer = setTimeout(() => { signal.removeEventListener('abort', onAbort); resolve(); }, ms);
    const onAbort = () => { clearTimeout(timer); reject(new AbortError()); };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
