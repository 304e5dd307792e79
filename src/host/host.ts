import * as Comlink from 'comlink';
import { Runtime } from '../core/runtime.js';
import type { Engine, ModelSpec } from '../core/engine.js';
import type { RuntimeOptions } from '../core/runtime.js';
import { z } from 'zod';
import { RemoteTarget, RoutingMode } from '../protocol/routing.js';
import { parseRequest } from '../protocol/validate.js';
import type { Served } from '../protocol/routing.js';
import { serializeError } from '../protocol/errors.js';
import type { LoadOptions } from '../protocol/models.js';
import type { ChatMessageOut, CompletionMessageOut, EndpointMessageOut, GenerationCallOptions, ResponseMessageOut, HostApi, HostConfig, HostStats, LoadMessageOut, ModelRegistration } from '../protocol/rpc.js';
import { installErrorTransfer } from '../protocol/rpc-errors.js';
import { defaultModels } from '../engines/catalog.js';
import { collectChat } from '../core/endpoints/chat.js';
import { mediaLimits } from '../core/media/limits.js';
import { BadRequestError } from '../protocol/errors.js';
import { checkRequestShape } from '../protocol/limits.js';
import type { MediaLimits } from '../protocol/media.js';
import { collectCompletion } from '../core/endpoints/completions.js';
import { deleteCache, listCache, type StoredFile } from './cache.js';
import { messagePort } from './message-port.js';
import { watchLifeline } from '../protocol/lifeline.js';
import { chunkPacker } from '../protocol/chunk-pack.js';
import type { ChatCompletionChunk } from '../protocol/chat.js';
import type { Completion } from '../protocol/completions.js';
import type { ResponseStreamEvent } from '../protocol/responses.js';
import { foldResponse } from '../core/endpoints/response-events.js';
import { localEngines } from './engines.js';
import { EnginePlacement } from './placement/placement.js';
import { placedVideoDecoder } from './placement/video.js';

/**
 * The engine host: one Runtime, served to any number of ports (every tab of the origin
 * through a SharedWorker, and the Service Worker gateway). Each request answers with its
 * own MessagePort (host/message-port.ts); cancelling it aborts the request.
 */
export interface EngineHost {
  api: HostApi;
  /** Serve the host's API on an endpoint (a port, or a dedicated worker's global scope). */
  serve(endpoint: Comlink.Endpoint): void;
  runtime: Runtime;
}

export interface CreateHostOptions {
  /** Extra (or replacement) engines by name, e.g. a scripted engine in tests. */
  engines?: RuntimeOptions['engines'];
  /**
   * The host is a SharedWorker (no nested workers in Chrome): engines that need them run in
   * the engine worker a tab provides (placement/). Otherwise (a page's dedicated worker)
   * every engine runs in the host itself.
   */
  shared?: boolean;
}

export function createHost(initial: HostConfig = {}, options: CreateHostOptions = {}): EngineHost {
  installErrorTransfer();
  const config: HostConfig = { ...initial };
  let connections = 0;
  let media = checkedMediaLimits(initial.media);
  const placement = new EnginePlacement(!options.shared, () => config);
  const runtime = new Runtime({
    // Each engine's code loads with its first model; transformers.js and GGUF models are
    // placed per model (in this host, or in a tab's engine worker: placement/choose.ts).
    engines: {
      ...placement.engines(localEngines(() => config)),
      remote: async () => (await import('../engines/remote.js')).createRemoteEngine(),
      auto: async () => (await import('../engines/auto.js')).createAutoEngine((name): Promise<Engine> => runtime.engineFor(name)),
      ...options.engines,
    },
    models: [...defaultModels, ...(initial.models ?? []).map(toSpec)],
    maxQueue: initial.maxQueue,
    maxQueuePerCaller: initial.maxQueuePerCaller,
    // A SharedWorker has no VideoDecoder: WebM videos are decoded in the tab's engine worker.
    media: { limits: () => media, ...(options.shared ? { videoDecoder: placedVideoDecoder(placement.slot) } : {}) },
    // navigator.deviceMemory: GiB, rounded down and capped (8 in Chromium); absent elsewhere.
    routing: {
      deviceMemory: () => ((globalThis.navigator as { deviceMemory?: number } | undefined)?.deviceMemory ?? 0) * 2 ** 30 || null,
      // Only asked when memory looks tight: a cached model is tried on the device (core/routing.ts).
      cached: async (spec) => (await listCache([spec], cacheContext())).models.some((m) => m.registered && m.id === spec.id && m.files > 0),
    },
  });

  const api: HostApi = {
    async configure(next) {
      if (next.wasmPaths && !config.wasmPaths) config.wasmPaths = next.wasmPaths;
      if (next.hubUrl && !config.hubUrl) config.hubUrl = next.hubUrl;
      if (next.ggufWasmPath && !config.ggufWasmPath) config.ggufWasmPath = next.ggufWasmPath;
      if (next.numThreads !== undefined && config.numThreads === undefined) config.numThreads = next.numThreads;
      if (next.prefixCache !== undefined && config.prefixCache === undefined) config.prefixCache = next.prefixCache;
      // Queue bounds: like the other settings, the first client to set them wins.
      if ((next.maxQueue != null || next.maxQueuePerCaller != null) && config.maxQueue == null && config.maxQueuePerCaller == null) {
        runtime.setQueueLimits(checkedCount(next.maxQueue, 'maxQueue'), checkedCount(next.maxQueuePerCaller, 'maxQueuePerCaller'));
        config.maxQueue = next.maxQueue;
        config.maxQueuePerCaller = next.maxQueuePerCaller;
      }
      if (next.media && !config.media) {
        media = checkedMediaLimits(next.media);
        config.media = next.media;
      }
      for (const model of next.models ?? []) runtime.registerModel(toSpec(model));
    },
    async listModels() {
      return runtime.listModels();
    },
    async retrieveModel(id) {
      return runtime.retrieveModel(id);
    },
    async registerModel(model) {
      runtime.registerModel(toSpec(model));
    },
    async loadModel(id: string, options: LoadOptions = {}) {
      const port = messagePort<LoadMessageOut>(async (send, signal) => {
        const info = await runtime.loadModel(id, {
          device: options.device ?? 'auto',
          signal,
          onProgress: (progress) => send({ type: 'progress', progress }),
        });
        send({ type: 'done', info });
      });
      return Comlink.transfer(port, [port]);
    },
    async unloadModel(id) {
      await runtime.unloadModel(id);
    },
    async chatCompletion(body, options = {}) {
      return generationPort<ChatMessageOut, ChatCompletionChunk>(
        body,
        options.lifeline,
        (request, signal) => runtime.startChatCompletion(request, signal, { attachments: options.attachments, caller: callerOf(options) }),
        collectChat,
      );
    },
    async completion(body, options = {}) {
      return generationPort<CompletionMessageOut, Completion>(
        body,
        options.lifeline,
        (request, signal) => runtime.startCompletion(request, signal, { caller: callerOf(options) }),
        collectCompletion,
      );
    },
    async response(body, options = {}) {
      return generationPort<ResponseMessageOut, ResponseStreamEvent>(
        body,
        options.lifeline,
        (request, signal) => runtime.startResponse(request, signal, { attachments: options.attachments, caller: callerOf(options) }),
        foldResponse,
      );
    },
    async endpoint(name, body, options = {}) {
      const port = messagePort<EndpointMessageOut>((send, cancelled) => whileAlive(options.lifeline, cancelled, async (signal) => {
        checkRequestShape(body);
        const completion = await runtime.runEndpoint(name, body, signal);
        send({ type: 'started' });
        send({ type: 'completion', completion });
      }));
      return Comlink.transfer(port, [port]);
    },
    async retrieveResponse(id) {
      return runtime.retrieveResponse(id);
    },
    async deleteResponse(id) {
      return runtime.deleteResponse(id);
    },
    async listResponseInputItems(id, query) {
      return runtime.listResponseInputItems(id, query);
    },
    async stats(): Promise<HostStats> {
      const stats = runtime.stats();
      return { ...stats, connections, placement: placement.stats(stats.loaded) };
    },
    async connect(port) {
      serve(port);
    },
    async engineWorkerElection() {
      return placement.election;
    },
    async attachEngineWorker(port, lifeline) {
      await placement.slot.attach(port, lifeline);
    },
    async listCache() {
      return listCache(runtime.registry.all(), cacheContext());
    },
    async deleteCache(id) {
      return deleteCache(id, runtime.registry.all(), cacheContext());
    },
  };

  function cacheContext() {
    const scope = globalThis as { caches?: CacheStorage; navigator?: Navigator };
    return { caches: scope.caches, storage: scope.navigator?.storage, hubUrl: config.hubUrl, files: ggufFiles };
  }

  function serve(endpoint: Comlink.Endpoint) {
    connections++;
    Comlink.expose(api, endpoint);
  }

  return { api, serve, runtime };
}

/**
 * One generation request on its own port: `started` once the runtime accepted it, then
 * the chunks (streaming) or the one folded response. It is aborted when the caller
 * cancels, and when the caller's lifeline says the caller is gone.
 */
function generationPort<Out extends { type: string }, Chunk extends object>(
  body: unknown,
  lifeline: string | undefined,
  start: (request: unknown, signal: AbortSignal) => Promise<AsyncIterable<Chunk> & { served?: Served }>,
  collect: (chunks: AsyncIterable<Chunk>) => Promise<unknown>,
): MessagePort {
  const port = messagePort<Out>((send, cancelled) => whileAlive(lifeline, cancelled, async (signal) => {
    // Generic shape limits first (the in-page client's body never passed the gateway),
    // then the route's schema, on the body as sent: no field is defaulted before it is
    // validated (`stream: "true"` is a 400, not a JSON answer).
    checkRequestShape(body);
    const chunks = await start(body, signal);
    const streaming = (body as { stream?: unknown }).stream === true;
    const out = send as (m: { type: string; [key: string]: unknown }) => void;
    out({ type: 'started', ...(chunks.served ? { served: chunks.served } : {}) });
    if (!streaming) return out({ type: 'completion', completion: await collect(chunks) });
    const pack = chunkPacker<Chunk>();
    for await (const chunk of chunks) out({ type: 'chunk', chunk: pack(chunk) });
  }));
  return Comlink.transfer(port, [port]);
}

/** Runs `work` with a signal that also fires when the caller's lifeline says the caller is gone. */
async function whileAlive(lifeline: string | undefined, cancelled: AbortSignal, work: (signal: AbortSignal) => Promise<void>): Promise<void> {
  const ended = new AbortController();
  const gone = watchLifeline(lifeline, ended.signal);
  try {
    await work(gone ? AbortSignal.any([cancelled, gone]) : cancelled);
  } finally {
    ended.abort();
  }
}

/** A positive whole number, or unset; anything else is a 400 naming the setting. */
function checkedCount(value: number | undefined, name: string): number | undefined {
  if (value == null) return undefined;
  if (!Number.isInteger(value) || value < 1) throw new BadRequestError(`${name} must be a positive whole number (got ${value}).`, { param: name });
  return value;
}

/** The queue's caller: the calling context (its lifeline) and, through /v1, the tab behind it. */
function callerOf(options: GenerationCallOptions): string | undefined {
  if (!options.lifeline && !options.caller) return undefined;
  return `${options.lifeline ?? ''}|${options.caller ?? ''}`;
}

/** The app's media settings over the defaults; nonsense settings are a 400 naming them. */
function checkedMediaLimits(settings: Partial<MediaLimits> | undefined): MediaLimits {
  try {
    return mediaLimits(settings);
  } catch (err) {
    throw new BadRequestError((err as Error).message, { param: 'media' });
  }
}

/** The GGUF files wllama keeps (its own OPFS store); wllama's code loads only to read them. */
async function ggufFiles(): Promise<StoredFile[]> {
  if (!(globalThis as { navigator?: Navigator }).navigator?.storage?.getDirectory) return [];
  const { CacheManager } = await import('@wllama/wllama');
  const store = new CacheManager();
  return (await store.list()).map((e) => ({
    cache: 'wllama',
    url: e.metadata.originalURL,
    bytes: e.size,
    remove: async () => { await store.delete(e.name); return true; },
  }));
}

function toSpec(m: ModelRegistration): ModelSpec {
  const engine = m.engine ?? 'transformers';
  return {
    id: m.id,
    engine,
    source: { repo: m.repo ?? m.id, baseUrl: engine === 'remote' ? undefined : m.baseUrl, revision: m.revision, file: m.file },
    ...remoteOf(m, engine),
    contextLength: m.contextLength,
    sizeBytes: m.sizeBytes,
    modalities: m.modalities,
    options: m.options,
  };
}

/**
 * The remote server of a registration: `engine: 'remote'` with the server's fields at the
 * top level (`baseURL`, `apiKey`, `model`, ...; `baseUrl` is taken too), or a local model's
 * `remote: {...}`. Checked here, so a bad registration is a 400 naming the field.
 */
function remoteOf(m: ModelRegistration, engine: string): Pick<ModelSpec, 'remote' | 'routing' | 'ownedBy'> {
  const fields = engine === 'remote'
    ? { baseURL: m.baseURL ?? m.baseUrl, apiKey: m.apiKey, model: m.model, headers: m.headers, timeoutMs: m.timeoutMs, maxRetries: m.maxRetries, responses: m.responses }
    : m.remote;
  const routing = m.routing !== undefined ? parseRequest(z.object({ routing: RoutingMode }), { routing: m.routing }) : {};
  if (fields === undefined) return routing;
  const defined = Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined));
  // 400s name the registration's own field: `baseURL` for a remote model, `remote.baseURL` for a local one's.
  const remote = engine === 'remote' ? parseRequest(RemoteTarget, defined) : parseRequest(z.object({ remote: RemoteTarget }), { remote: defined }).remote;
  return { remote, ...routing, ...(engine === 'remote' ? { ownedBy: 'remote' } : {}) };
}
