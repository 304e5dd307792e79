import { setCompileBudget } from './grammar/matcher.js';
import { ChatCompletionCreateParams, type ChatCompletion, type ChatCompletionChunk } from '../protocol/chat.js';
import { CompletionCreateParams, type Completion } from '../protocol/completions.js';
import { BadRequestError } from '../protocol/errors.js';
import type { LoadProgress, LoadedModelInfo, Model, ModelList } from '../protocol/models.js';
import { parseRequest } from '../protocol/validate.js';
import { AbortError, isAbort } from './abort.js';
import { chatChunks, checkChatParams, checkModalities, collectChat, prepareChatJob } from './endpoints/chat.js';
import { checkCompletionParams, checkPromptShape, completionChunks, prepareCompletionJob } from './endpoints/completions.js';
import { isPassThrough, type Engine, type LoadedModel, type ModelSpec, type PassThroughEngine, type PassThroughModel } from './engine.js';
import { checkLogitBias, refuseOverContext, verbatimTexts } from './model-bounds.js';
import { remoteChatBody, remoteCompletionBody, remoteResponseBody } from './remote-request.js';
import { LocalLoadFailure, Router, type RouterOptions } from './routing.js';
import type { Served } from '../protocol/routing.js';
import type { RoutingStats } from '../protocol/rpc.js';
import { DEFAULT_MAX_WAITING, RequestQueue, type Release } from './queue.js';
import { mediaLimits } from './media/limits.js';
import { hasMedia, mediaContext, resolveMedia, type MediaOptions } from './media/resolve.js';
import type { MediaAttachment, ResolvedMedia } from './media/types.js';
import { ModelRegistry, describeModel } from './registry.js';
import { ResponseCreateParams, type Response, type ResponseDeleted, type ResponseStreamEvent } from '../protocol/responses.js';
import { checkResponseParams, mapChatError, toChatRequest } from './endpoints/responses.js';
import { resolveInput, type ResolvedInput } from './endpoints/response-chain.js';
import { ResponseStore, listInputItems, type InputItemList, type InputItemsQuery, type ResponseStoreLimits, type StoredItem } from './endpoints/response-store.js';
import { foldResponse, responseEvents, responseId } from './endpoints/response-events.js';
import { ENDPOINTS, type Endpoint, type EndpointContext } from './endpoints/index.js';
import type { EndpointName, EndpointResults } from '../protocol/rpc.js';

/**
 * The engine-agnostic service: models, the queue and the OpenAI endpoints. The engine
 * host exposes exactly this over ports; nothing here knows about workers or HTTP.
 */
export interface RuntimeOptions {
  /** Engine name -> loader; engines load lazily, on their first model. */
  engines: Record<string, () => Promise<Engine | PassThroughEngine>>;
  models?: ModelSpec[];
  /** Requests allowed to wait behind the running one before a 429 (default 32). */
  maxQueue?: number;
  /** Of those, how many one caller (a tab, a Service Worker client) may hold (default half). */
  maxQueuePerCaller?: number;
  /** Image/audio intake: limits (default DEFAULT_MEDIA_LIMITS), decoder, fetch. */
  media?: MediaOptions;
  /** Bounds of the in-memory Responses store (default 256 responses, 32 MiB). */
  responseStore?: ResponseStoreLimits;
  /**
   * How long one grammar compile may take, in ms (default 5000). xgrammar's compile cannot
   * be interrupted, so a constraint predicted to take longer is a 400 `grammar_too_complex`.
   */
  grammarCompileBudgetMs?: number;
  /** Hybrid routing's view of the device (core/routing.ts). */
  routing?: RouterOptions;
}

/** What comes with a request besides its body (the in-page client's binary media). */
export interface RequestExtras {
  attachments?: readonly MediaAttachment[];
  /** Who asks (its lifeline, and the SW's client id): the queue's fair share is per caller. */
  caller?: string;
}

export interface LoadRequest {
  device?: 'auto' | 'webgpu' | 'wasm';
  signal?: AbortSignal;
  onProgress?: (p: LoadProgress) => void;
}

export interface RuntimeStats {
  /** How many times each model was loaded since the runtime started. */
  loads: Record<string, number>;
  loaded: string[];
  queue: { running: boolean; pending: number };
  /** Per model id: which side (device, remote server) served how many requests. */
  routing: Record<string, RoutingStats>;
}

/** A started request's output, and which side serves it (hybrid models). */
export type Routed<T> = AsyncIterableIterator<T> & { served?: Served };

interface Resident {
  model: LoadedModel;
  info: LoadedModelInfo;
}

export class Runtime {
  readonly registry: ModelRegistry;
  private readonly engines = new Map<string, Promise<Engine | PassThroughEngine>>();
  private readonly router: Router;
  private readonly resident = new Map<string, Resident>();
  private readonly loadCounts = new Map<string, number>();
  private readonly queue: RequestQueue;
  /** Stored Responses (`store` not false): previous_response_id, item_reference, GET /responses/{id}. */
  readonly responses: ResponseStore;

  constructor(private readonly options: RuntimeOptions) {
    this.registry = new ModelRegistry(options.models);
    this.router = new Router(options.routing);
    this.queue = new RequestQueue({ maxWaiting: options.maxQueue ?? DEFAULT_MAX_WAITING, maxPerCaller: options.maxQueuePerCaller });
    this.responses = new ResponseStore(options.responseStore);
    if (options.grammarCompileBudgetMs !== undefined) setCompileBudget(options.grammarCompileBudgetMs);
  }

  // ---- models --------------------------------------------------------------------------

  listModels(): ModelList {
    return { object: 'list', data: this.registry.all().map((s) => this.describe(s)) };
  }

  retrieveModel(id: string): Model {
    return this.describe(this.registry.get(id, 'model'));
  }

  registerModel(spec: ModelSpec): void {
    if (spec.remote && !this.options.engines.remote) {
      throw new BadRequestError('This host has no remote engine.', { param: 'engine' });
    }
    if (!this.options.engines[spec.engine]) {
      throw new BadRequestError(`Unknown engine '${spec.engine}'. Known: ${Object.keys(this.options.engines).join(', ')}.`, {
        param: 'engine',
      });
    }
    this.registry.register(spec);
  }

  /** Loads a model (queued behind running requests), reporting progress. */
  async loadModel(id: string, req: LoadRequest = {}): Promise<LoadedModelInfo> {
    const spec = this.registry.get(id, 'model');
    const signal = req.signal ?? new AbortController().signal;
    if (spec.engine === 'remote') return remoteInfo(spec);
    const info = await this.queue.run(async () => (await this.ensureLoaded(spec, req, signal)).info, signal);
    this.router.loaded(id);
    return info;
  }

  async unloadModel(id: string): Promise<void> {
    this.registry.get(id, 'model');
    await this.queue.run(async () => {
      const resident = this.resident.get(id);
      this.resident.delete(id);
      await resident?.model.unload();
    });
  }

  /** The queue's bounds (host config: maxQueue, maxQueuePerCaller). */
  setQueueLimits(maxQueue: number | undefined, maxPerCaller: number | undefined): void {
    this.queue.setLimits({ maxWaiting: maxQueue ?? DEFAULT_MAX_WAITING, maxPerCaller });
  }

  stats(): RuntimeStats {
    return {
      loads: Object.fromEntries(this.loadCounts),
      loaded: [...this.resident.keys()],
      queue: { running: this.queue.running, pending: this.queue.pending },
      routing: this.router.snapshot(),
    };
  }

  // ---- chat completions ----------------------------------------------------------------

  /**
   * Validates, waits for its turn and prepares the request; resolves once generation is
   * about to start. Every error a client should see as a status (400, 404, 429) is thrown
   * here, before the first chunk. Iterating the result generates; ending the iteration
   * early (or the signal) stops the engine and frees the queue.
   */
  async startChatCompletion(body: unknown, signal: AbortSignal, extras: RequestExtras = {}): Promise<Routed<ChatCompletionChunk>> {
    const params = parseRequest(ChatCompletionCreateParams, body);
    checkChatParams(params, false);
    const spec = this.registry.get(params.model, 'model');
    const order = await this.router.order(spec, params.routing);
    // Schemas and tools this runtime must enforce are checked before anything queues or loads.
    if (order[0] === 'local') checkChatParams(params);
    const { result, served } = await this.router.run(
      spec.id,
      order,
      (side) => (side === 'local' ? this.startLocalChat(params, spec, signal, extras) : this.startRemoteChat(params, spec, signal)),
      signal,
    );
    if (served === 'remote' || !order.includes('remote')) return Object.assign(result, { served });
    const out: Routed<ChatCompletionChunk> = Object.assign(
      this.router.recovering(spec.id, result, () => this.startRemoteChat(params, spec, signal), chatHasOutput, () => (out.served = 'remote')),
      { served },
    );
    return out;
  }

  /** The request on this device: the queue, the engine, core's OpenAI semantics. */
  private async startLocalChat(
    params: ChatCompletionCreateParams,
    spec: ModelSpec,
    signal: AbortSignal,
    extras: RequestExtras,
  ): Promise<AsyncIterableIterator<ChatCompletionChunk>> {
    const early = await this.mediaBeforeQueue(params, spec, signal, extras);
    const resident = this.resident.get(spec.id);
    if (resident) await chatBounds(params, resident.model);
    const release = await this.queue.acquire(signal, extras.caller);
    try {
      const { model } = await this.loadForRequest(spec, signal);
      if (!resident) await chatBounds(params, model);
      const media = { ...mediaContext(this.options.media, extras.attachments, signal), ...(early ? { resolved: early } : {}) };
      const job = await prepareChatJob(params, model, { id: newId('chatcmpl'), created: now() }, media);
      const includeUsage = params.stream ? params.stream_options?.include_usage === true : true;
      return releasing(chatChunks(job, signal, includeUsage), release, signal);
    } catch (err) {
      release();
      throw err;
    }
  }

  /**
   * The request on the model's remote server: no local queue (the server schedules); the
   * server does prompt, sampling, stop strings and tools; its chunks come back as they are.
   */
  private async startRemoteChat(params: ChatCompletionCreateParams, spec: ModelSpec, signal: AbortSignal): Promise<AsyncIterableIterator<ChatCompletionChunk>> {
    return (await this.remote(spec)).chat(remoteChatBody(params), signal);
  }

  private async remote(spec: ModelSpec): Promise<PassThroughModel> {
    const engine = await this.engine('remote');
    if (!isPassThrough(engine)) throw new Error("the 'remote' engine must be a pass-through engine");
    return engine.open(spec.id, spec.remote!);
  }

  /** Must be called holding the queue. A model that cannot load here (no WebGPU, download failed, quota...) may go remote (routing.ts). */
  private loadForRequest(spec: ModelSpec, signal: AbortSignal): Promise<Resident> {
    return this.ensureLoaded(spec, {}, signal).catch((err: unknown) => {
      throw isAbort(err) ? err : new LocalLoadFailure(err);
    });
  }

  async createChatCompletion(body: unknown, signal: AbortSignal): Promise<ChatCompletion> {
    const params = parseRequest(ChatCompletionCreateParams, body);
    return collectChat(await this.startChatCompletion({ ...params, stream: false }, signal));
  }

  // ---- responses -----------------------------------------------------------------------

  /**
   * `/v1/responses`: the conversation is resolved from the response store
   * (previous_response_id, item_reference). Served remotely first, it goes to the server's
   * own Responses API when the server has one (RemoteTarget.responses), as the whole
   * conversation with `store: false`: this runtime's store holds the chain either way.
   * Otherwise it becomes a chat request (every 400 names the Responses param) whose chunks
   * become Responses events. Same pattern as startChatCompletion: every status error
   * before the first event. Unless `store` is false, the finished response is stored
   * before its last event is handed out.
   */
  async startResponse(body: unknown, signal: AbortSignal, extras: RequestExtras = {}): Promise<Routed<ResponseStreamEvent>> {
    const params = parseRequest(ResponseCreateParams, body);
    checkResponseParams(params);
    const resolved = resolveInput(params, this.responses);
    const spec = this.registry.get(params.model, 'model');
    let events: AsyncIterableIterator<ResponseStreamEvent>;
    let served: Served | undefined;
    const order = await this.router.order(spec, undefined);
    if (order[0] === 'remote' && spec.remote?.responses !== 'chat') {
      ({ result: events, served } = await this.router.run(spec.id, order, async (side) => {
        if (side === 'local') return this.translatedResponse(params, resolved, signal, (chat) => this.startChatOn('local', chat, spec, signal, extras));
        const native = await (await this.remote(spec)).response(remoteResponseBody(params, resolved), signal);
        return native ?? this.translatedResponse(params, resolved, signal, (chat) => this.startChatOn('remote', chat, spec, signal, extras));
      }, signal));
    } else {
      events = await this.translatedResponse(params, resolved, signal, async (chat) => {
        const chunks = await this.startChatCompletion(chat, signal, extras);
        served = chunks.served;
        return chunks;
      });
    }
    const out = params.store === false ? events : storing(events, resolved.items, this.responses);
    return Object.assign(out, { served });
  }

  /** The Responses request as chat (`start` runs it), its chunks as Responses events. */
  private async translatedResponse(
    params: ResponseCreateParams,
    resolved: ResolvedInput,
    signal: AbortSignal,
    start: (chat: ChatCompletionCreateParams) => Promise<AsyncIterableIterator<ChatCompletionChunk>>,
  ): Promise<AsyncIterableIterator<ResponseStreamEvent>> {
    const { chat, origins } = toChatRequest(params, resolved);
    let chunks: AsyncIterableIterator<ChatCompletionChunk>;
    try {
      chunks = await start(chat);
    } catch (err) {
      throw mapChatError(err, origins, params.text?.format);
    }
    return responseEvents(chunks, params, { id: responseId('resp'), created: now(), model: params.model }, signal);
  }

  /** A chat request on the side the caller already chose (the caller counts it). */
  private startChatOn(side: Served, body: unknown, spec: ModelSpec, signal: AbortSignal, extras: RequestExtras): Promise<AsyncIterableIterator<ChatCompletionChunk>> {
    const params = parseRequest(ChatCompletionCreateParams, body);
    checkChatParams(params, side === 'local');
    return side === 'local' ? this.startLocalChat(params, spec, signal, extras) : this.startRemoteChat(params, spec, signal);
  }

  async createResponse(body: unknown, signal: AbortSignal): Promise<Response> {
    const params = parseRequest(ResponseCreateParams, body);
    return foldResponse(await this.startResponse({ ...params, stream: false }, signal));
  }

  /** GET /v1/responses/{id}: 404 when unknown, evicted or deleted. */
  retrieveResponse(id: string): Response {
    return this.responses.require(id, 'response_id').response;
  }

  /** DELETE /v1/responses/{id}. */
  deleteResponse(id: string): ResponseDeleted {
    if (!this.responses.delete(id)) throw this.responses.notFound(id, 'response_id');
    return { id, object: 'response.deleted', deleted: true };
  }

  /** GET /v1/responses/{id}/input_items: the whole conversation the response answered. */
  listResponseInputItems(id: string, query: InputItemsQuery = {}): InputItemList {
    return listInputItems(this.responses.require(id, 'response_id').input, query);
  }

  // ---- legacy completions --------------------------------------------------------------

  /** `/v1/completions`, the same pattern as startChatCompletion: every status error before the first chunk. */
  async startCompletion(body: unknown, signal: AbortSignal, extras: RequestExtras = {}): Promise<Routed<Completion>> {
    checkPromptShape(body);
    const params = parseRequest(CompletionCreateParams, body);
    checkCompletionParams(params);
    const spec = this.registry.get(params.model, 'model');
    const order = await this.router.order(spec, params.routing);
    const startRemote = () => this.remote(spec).then((m) => m.completion(remoteCompletionBody(params), signal));
    const { result, served } = await this.router.run(
      spec.id,
      order,
      (side) => (side === 'local' ? this.startLocalCompletion(params, spec, signal, extras) : startRemote()),
      signal,
    );
    if (served === 'remote' || !order.includes('remote')) return Object.assign(result, { served });
    const out: Routed<Completion> = Object.assign(
      this.router.recovering(spec.id, result, startRemote, (c) => c.choices.some((x) => x.text !== '' || x.finish_reason != null), () => (out.served = 'remote')),
      { served },
    );
    return out;
  }

  private async startLocalCompletion(params: CompletionCreateParams, spec: ModelSpec, signal: AbortSignal, extras: RequestExtras): Promise<AsyncIterableIterator<Completion>> {
    const resident = this.resident.get(spec.id);
    if (resident) await completionBounds(params, resident.model);
    const release = await this.queue.acquire(signal, extras.caller);
    try {
      const { model } = await this.loadForRequest(spec, signal);
      if (!resident) await completionBounds(params, model);
      const job = await prepareCompletionJob(params, model, { id: newId('cmpl'), created: now() });
      const includeUsage = params.stream ? params.stream_options?.include_usage === true : true;
      return releasing(completionChunks(job, signal, includeUsage), release, signal);
    } catch (err) {
      release();
      throw err;
    }
  }

  // ---- embeddings, rerank, score, tokenize (src/core/endpoints/) -----------------------

  /**
   * A non-generating endpoint: validated, the models it names checked (404) before it
   * queues, then run holding the engine queue (it may load the model).
   */
  async runEndpoint<N extends EndpointName>(name: N, body: unknown, signal: AbortSignal): Promise<EndpointResults[N]> {
    if (!Object.hasOwn(ENDPOINTS, name)) throw new BadRequestError(`Unknown endpoint '${String(name)}'.`, { param: null });
    const endpoint = ENDPOINTS[name] as Endpoint<unknown, EndpointResults[N]>;
    const params = parseRequest(endpoint.schema, body);
    for (const m of endpoint.models(params)) this.registry.get(m.id, m.param);
    const ctx: EndpointContext = {
      model: async (id) => (await this.ensureLoaded(this.registry.get(id, 'model'), {}, signal)).model,
      soleModel: () => {
        const loaded = [...this.resident.values()];
        if (loaded.length === 1) return loaded[0]!.model;
        throw new BadRequestError(`Name the model: ${loaded.length ? `${loaded.length} are loaded` : 'none is loaded'}.`, {
          param: 'model', code: 'missing_required_parameter',
        });
      },
      signal,
      newId,
    };
    return this.queue.run(() => endpoint.run(params, ctx), signal);
  }

  // ---- internals -----------------------------------------------------------------------

  /**
   * Images and audio are fetched and decoded before the request queues when the model is
   * known to take them (loaded, or declared in the registry), so a slow URL never holds
   * the engine; a model known not to take them is a 400 before anything is fetched or
   * loaded. Otherwise this happens after the load, inside prepareChatJob.
   */
  private async mediaBeforeQueue(
    params: ChatCompletionCreateParams,
    spec: ModelSpec,
    signal: AbortSignal,
    extras: RequestExtras,
  ): Promise<ResolvedMedia | undefined> {
    if (!hasMedia(params.messages)) return undefined;
    const modalities = this.resident.get(spec.id)?.model.modalities ?? spec.modalities;
    if (!modalities) return undefined;
    checkModalities(params.messages, { id: spec.id, modalities });
    const ctx = mediaContext(this.options.media, extras.attachments, signal);
    return resolveMedia(params.messages, { ...ctx, limits: ctx.limits ?? mediaLimits() });
  }

  private describe(spec: ModelSpec): Model {
    const resident = this.resident.get(spec.id);
    // Once loaded, the model itself says what it accepts (a VLM registered without `modalities`).
    const known = resident ? { ...spec, engine: resident.model.engine, modalities: resident.model.modalities } : spec;
    return describeModel(known, !!resident, resident?.model.contextLength ?? null);
  }

  /** Must be called holding the queue. */
  private async ensureLoaded(spec: ModelSpec, req: LoadRequest, signal: AbortSignal): Promise<Resident> {
    const existing = this.resident.get(spec.id);
    if (existing) {
      req.onProgress?.({ model: spec.id, phase: 'ready', progress: 1, loaded: null, total: null, file: null, text: 'Already loaded' });
      return existing;
    }
    const engine = await this.engine(spec.engine);
    if (isPassThrough(engine)) throw new BadRequestError(`Model '${spec.id}' runs on a remote server; there is nothing to load.`, { param: 'model' });
    const started = performance.now();
    const model = await engine.load(spec, {
      device: req.device ?? 'auto',
      signal,
      onProgress: (p) => req.onProgress?.(p),
    });
    if (signal.aborted) {
      await model.unload();
      throw new AbortError();
    }
    const info: LoadedModelInfo = {
      id: spec.id,
      // The engine that runs it: `engine: 'auto'` names the one it chose (engines/auto.ts).
      engine: model.engine,
      device: model.device,
      context_length: model.contextLength,
      modalities: model.modalities,
      load_ms: Math.round(performance.now() - started),
      ...(model.storage ? { storage: model.storage } : {}),
    };
    const resident = { model, info };
    this.resident.set(spec.id, resident);
    this.loadCounts.set(spec.id, (this.loadCounts.get(spec.id) ?? 0) + 1);
    const uncached = model.storage && !model.storage.cached ? ` (not cached: ${model.storage.reason})` : '';
    req.onProgress?.({ model: spec.id, phase: 'ready', progress: 1, loaded: null, total: null, file: null, text: `Ready${uncached}` });
    return resident;
  }

  /** An engine of this host by name (engines/auto.ts loads through the others). */
  async engineFor(name: string): Promise<Engine> {
    const engine = await this.engine(name);
    if (isPassThrough(engine)) throw new BadRequestError(`Engine '${name}' runs models on a remote server.`, { param: 'engine' });
    return engine;
  }

  private engine(name: string): Promise<Engine | PassThroughEngine> {
    let engine = this.engines.get(name);
    if (!engine) {
      const loader = this.options.engines[name];
      if (!loader) throw new BadRequestError(`No engine '${name}' is available in this host.`, { param: 'model' });
      engine = loader();
      engine.catch(() => this.engines.delete(name));
      this.engines.set(name, engine);
    }
    return engine;
  }
}

/** A chunk that shows the caller part of the answer (anything beyond the role). */
function chatHasOutput(chunk: ChatCompletionChunk): boolean {
  return chunk.usage != null || chunk.choices.some((c) => c.finish_reason != null || Object.entries(c.delta).some(([k, v]) => k !== 'role' && v != null && v !== ''));
}

/** Model-dependent refusals that need no tokens (model-bounds.ts): before the queue when the model is loaded. */
async function chatBounds(params: ChatCompletionCreateParams, model: LoadedModel): Promise<void> {
  await checkLogitBias(model, params.logit_bias);
  await refuseOverContext(model, verbatimTexts(params.messages), params.messages.map((_, i) => `messages[${i}]`), 'messages');
}

async function completionBounds(params: CompletionCreateParams, model: LoadedModel): Promise<void> {
  await checkLogitBias(model, params.logit_bias);
  const prompts = typeof params.prompt === 'string' ? [params.prompt] : params.prompt;
  for (const [i, text] of prompts.entries()) {
    const param = typeof params.prompt === 'string' ? 'prompt' : `prompt[${i}]`;
    await refuseOverContext(model, [text], [param], param);
  }
}

/**
 * Wraps a generator so `release` runs exactly once, however iteration ends (or never
 * starts). An abort ends it too, even if nobody reads on: the generator is returned,
 * which waits for the engine to stop, then frees the queue.
 */
function releasing<T>(inner: AsyncGenerator<T>, release: Release, signal: AbortSignal): AsyncIterableIterator<T> {
  const iterator: AsyncIterableIterator<T> = {
    async next() {
      if (signal.aborted) {
        await iterator.return?.();
        throw new AbortError();
      }
      try {
        const result = await inner.next();
        if (result.done) release();
        return result;
      } catch (err) {
        release();
        throw err;
      }
    },
    async return(value?: unknown) {
      try {
        return await inner.return(value as T);
      } finally {
        release();
      }
    },
    [Symbol.asyncIterator]() {
      return iterator;
    },
  };
  signal.addEventListener('abort', () => void iterator.return?.().catch(() => {}), { once: true });
  return iterator;
}

/** Stores the response when its final event (completed or incomplete) passes, before handing that event on. */
async function* storing(events: AsyncIterable<ResponseStreamEvent>, input: StoredItem[], store: ResponseStore): AsyncGenerator<ResponseStreamEvent> {
  for await (const event of events) {
    if (event.type === 'response.completed' || event.type === 'response.incomplete') {
      const response = structuredClone(event.response);
      store.put({ response, input, output: response.output });
    }
    yield event;
  }
}

/** A remote-only model has nothing to load: its server runs it. */
function remoteInfo(spec: ModelSpec): LoadedModelInfo {
  return { id: spec.id, engine: spec.engine, device: 'remote', context_length: spec.contextLength ?? null, modalities: spec.modalities ?? ['text'], load_ms: 0 };
}

export function newId(prefix: string): string {
  return `${prefix}-${crypto.randomUUID().replace(/-/g, '').slice(0, 24)}`;
}

function now(): number {
  return Math.floor(Date.now() / 1000);
}
