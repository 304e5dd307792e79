import { APIError, BadRequestError, NotFoundError, errorFromBody } from '../protocol/errors.js';
import {
  EngineUnavailableError,
  isBackendSource,
  staticSource,
  type BackendSource,
  type GatewayBackend,
} from './backend.js';
import {
  DEFAULT_MAX_BODY_BYTES,
  JSON_CONTENT_TYPE,
  SSE_CONTENT_TYPE,
  baseHeaders,
  checkApiKey,
  errorResponse,
  jsonResponse,
  readJsonObject,
  requestIdOf,
} from './http.js';
import { Router, type Params } from './router.js';
import { jsonFromHost, sseFromHost, untilLost, type HostMessage } from './sse.js';

/**
 * The OpenAI HTTP surface over an engine host: plain fetch-API code (Request in,
 * Response out). The Service Worker runs it; Node unit tests run it against an
 * in-process host.
 */
export interface GatewayOptions {
  /** The engine host, or where to get one per request (the SW asks a page for a port). */
  backend: GatewayBackend | BackendSource;
  /** Path prefix served (default `/v1`); nothing outside it is answered. */
  basePath?: string;
  /** When set, requests must carry `Authorization: Bearer <apiKey>`; else 401. */
  apiKey?: string | null;
  /** Request bodies past this many bytes answer 413 (default 16 MiB). */
  maxBodyBytes?: number;
  /**
   * How long one call to the engine host may take to be accepted (not to finish: a
   * generation may wait in the queue for as long as it needs). Past it, the host is
   * taken for gone: the source is asked for another one, once; then 503.
   */
  callTimeoutMs?: number;
}

export interface HandleOptions {
  /** Keeps the caller alive until a streamed response ends (the SW's `event.waitUntil`). */
  waitUntil?: (promise: Promise<unknown>) => void;
}

export interface Gateway {
  readonly basePath: string;
  /** Whether this URL (or path) is the gateway's to answer. */
  matches(url: URL | string): boolean;
  /** Never rejects: every failure is an OpenAI error response. */
  handle(request: Request, options?: HandleOptions): Promise<Response>;
}

interface Context {
  request: Request;
  params: Params;
  requestId: string;
  options: HandleOptions;
}

type Handler = (ctx: Context) => Promise<Response>;

export const DEFAULT_BASE_PATH = '/v1';
const DEFAULT_CALL_TIMEOUT_MS = 10_000;

export function createGateway(options: GatewayOptions): Gateway {
  const basePath = normalizeBase(options.basePath ?? DEFAULT_BASE_PATH);
  if (basePath === '/') throw new Error("gateway: basePath must be a prefix such as '/v1', not '/'");
  const source = isBackendSource(options.backend) ? options.backend : staticSource(options.backend);
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const callTimeoutMs = options.callTimeoutMs ?? DEFAULT_CALL_TIMEOUT_MS;

  /** One host call, retried once on another backend when the first one is unreachable. */
  async function call<T>(fn: (backend: GatewayBackend) => Promise<T>): Promise<{ value: T; backend: GatewayBackend }> {
    let last: unknown;
    for (let attempt = 0; attempt < 2; attempt++) {
      const backend = await source.get();
      try {
        const value = await withTimeout(untilLost(fn(backend), backend.lost), callTimeoutMs);
        return { value, backend };
      } catch (err) {
        if (!(err instanceof EngineUnavailableError)) throw err;
        source.drop(backend);
        last = err;
      }
    }
    throw last;
  }

  function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(new EngineUnavailableError(`The engine host did not answer within ${ms} ms.`)), ms);
      promise.then(
        (v) => { clearTimeout(timer); resolve(v); },
        (e) => { clearTimeout(timer); reject(e); },
      );
    });
  }

  /** Chat, legacy completions and responses: validation happens in the host, the same for every caller. */
  function generation(method: 'chatCompletion' | 'completion' | 'response'): Handler {
    const framing = method === 'response' ? 'events' : 'chat';
    return async (ctx) => {
      const body = await readJsonObject(ctx.request, maxBodyBytes);
      const streaming = body.stream === true;
      const { value, backend } = await call((b) => b[method](body) as Promise<ReadableStream<HostMessage>>);
      return respond(value, streaming, backend, ctx, framing);
    };
  }

  /** Only background responses can be cancelled, and there are none here. */
  const cancelResponse: Handler = async (ctx) => {
    throw new BadRequestError(
      `Response '${ctx.params.id}' cannot be cancelled: only background responses can be, and this server runs none (background: true is a 400). ` +
        'To stop a response, abort its request.',
      { param: 'response_id', code: 'invalid_request' },
    );
  };
  const json = (value: unknown, ctx: Context) => jsonResponse(value, 200, ctx.requestId);

  const router = new Router<Handler>()
    .get('/models', async (ctx) => jsonResponse((await call((b) => b.listModels())).value, 200, ctx.requestId))
    .get('/models/:id*', async (ctx) => {
      const id = ctx.params.id!;
      return jsonResponse((await call((b) => b.retrieveModel(id))).value, 200, ctx.requestId);
    })
    .post('/chat/completions', generation('chatCompletion'))
    .post('/completions', generation('completion'))
    .post('/responses', generation('response'))
    .get('/responses/:id', async (ctx) => {
      const id = ctx.params.id!;
      if (new URL(ctx.request.url).searchParams.get('stream') === 'true') {
        throw new BadRequestError('stream=true replays background responses only, and this server runs none; retrieve without it.', {
          param: 'stream', code: 'unsupported_parameter',
        });
      }
      return json((await call((b) => b.retrieveResponse(id))).value, ctx);
    })
    .on('DELETE', '/responses/:id', async (ctx) => {
      const id = ctx.params.id!;
      return json((await call((b) => b.deleteResponse(id))).value, ctx);
    })
    .get('/responses/:id/input_items', async (ctx) => {
      const id = ctx.params.id!;
      const q = new URL(ctx.request.url).searchParams;
      const query = { limit: q.get('limit'), order: q.get('order'), after: q.get('after') };
      return json((await call((b) => b.listResponseInputItems(id, query))).value, ctx);
    })
    .post('/responses/:id/cancel', cancelResponse);

  function relative(pathname: string): string | null {
    if (pathname === basePath) return '';
    if (pathname.startsWith(`${basePath}/`)) return pathname.slice(basePath.length);
    return null;
  }

  return {
    basePath,
    matches(url) {
      const pathname = typeof url === 'string' ? new URL(url, 'http://x').pathname : url.pathname;
      return relative(pathname) !== null;
    },
    async handle(request, handleOptions = {}) {
      const requestId = requestIdOf(request);
      try {
        const url = new URL(request.url);
        const path = relative(url.pathname);
        if (path === null) throw unknownUrl(request.method, url.pathname);
        const head = request.method === 'HEAD';
        const method = head ? 'GET' : request.method;
        if (method === 'OPTIONS') {
          const probe = router.match(method, path);
          if (probe.kind !== 'method-not-allowed') throw unknownUrl(request.method, url.pathname);
          const allow = [...probe.allowed, 'OPTIONS'].join(', ');
          return new Response(null, { status: 204, headers: { allow, 'cache-control': 'no-store', 'x-request-id': requestId } });
        }
        checkApiKey(request, options.apiKey);
        const match = router.match(method, path);
        if (match.kind === 'not-found') throw unknownUrl(request.method, url.pathname);
        if (match.kind === 'method-not-allowed') {
          const allow = match.allowed.join(', ');
          return errorResponse(
            new APIError(405, `Method ${request.method} is not allowed on ${url.pathname}; use ${allow}.`, {
              type: 'invalid_request_error',
              code: 'method_not_allowed',
            }),
            requestId,
            { allow },
          );
        }
        const response = await match.handler({ request, params: match.params, requestId, options: handleOptions });
        if (!head) return response;
        await response.body?.cancel().catch(() => {});
        return new Response(null, { status: response.status, headers: response.headers });
      } catch (err) {
        return errorResponse(err, requestId);
      }
    },
  };
}

/**
 * Answers from a host stream: its first message settles the status (an error is a real
 * HTTP error: 400, 404, 429...). Then the body, JSON or SSE, is produced as the host
 * streams. The client going away (the response body cancelled, or the request's signal
 * where the platform fires it) cancels the host stream, which aborts the generation in
 * the host and frees the engine.
 */
async function respond(
  stream: ReadableStream<HostMessage>,
  streaming: boolean,
  backend: GatewayBackend,
  ctx: Context,
  framing: 'chat' | 'events',
): Promise<Response> {
  const reader = stream.getReader();
  const signal = ctx.request.signal as AbortSignal | undefined;
  const cancel = () => void reader.cancel().catch(() => {});
  const detach = () => signal?.removeEventListener('abort', cancel);
  if (signal?.aborted) cancel();
  else signal?.addEventListener('abort', cancel, { once: true });
  try {
    const first = await untilLost(reader.read(), backend.lost);
    if (signal?.aborted) {
      detach();
      return clientClosed(ctx.requestId);
    }
    if (first.done) throw new Error('The engine host closed the stream before answering.');
    if (first.value.type === 'error') {
      detach();
      return errorResponse(errorFromBody(first.value.error.status, first.value.error.error), ctx.requestId);
    }

    let ended!: () => void;
    const done = new Promise<void>((resolve) => { ended = resolve; });
    ctx.options.waitUntil?.(done);
    const bodyOptions = { lost: backend.lost, onEnd: () => { detach(); ended(); } };
    // Hybrid models: which side (the device, or the model's remote server) answers.
    const served: Record<string, string> = first.value.type === 'started' && first.value.served ? { [SERVED_HEADER]: first.value.served } : {};
    if (!streaming) {
      return new Response(jsonFromHost(reader, bodyOptions), { status: 200, headers: baseHeaders(ctx.requestId, JSON_CONTENT_TYPE, served) });
    }
    const body = sseFromHost(reader, { ...bodyOptions, framing });
    return new Response(body, { status: 200, headers: baseHeaders(ctx.requestId, SSE_CONTENT_TYPE, served) });
  } catch (err) {
    detach();
    cancel();
    throw err;
  }
}

/** `local` or `remote`: which side served a hybrid model's request. */
export const SERVED_HEADER = 'x-webinfer-served';

/** Nobody reads this (the client is gone); it only settles the fetch event. */
function clientClosed(requestId: string): Response {
  return errorResponse(new APIError(499, 'The client closed the request.', { type: 'invalid_request_error', code: 'client_closed_request' }), requestId);
}

function unknownUrl(method: string, pathname: string): NotFoundError {
  return new NotFoundError(`Invalid URL (${method} ${pathname}).`, { type: 'invalid_request_error', code: 'unknown_url' });
}

function normalizeBase(base: string): string {
  const withSlash = base.startsWith('/') ? base : `/${base}`;
  return withSlash.length > 1 ? withSlash.replace(/\/+$/, '') : withSlash;
}
