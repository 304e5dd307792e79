import type { ChatCompletion, ChatCompletionChunk } from './chat.js';
import type { Completion } from './completions.js';
import type { InputItem, Response, ResponseDeleted, ResponseStreamEvent } from './responses.js';
import type { PackedChunk } from './chunk-pack.js';
import type { SerializedError } from './errors.js';
import type { LoadOptions, LoadProgress, LoadedModelInfo, Model, ModelList } from './models.js';
import type { MediaAttachment, MediaLimits } from './media.js';
import type { CreateEmbeddingResponse } from './embeddings.js';
import type { RerankResponse, ScoreEvaluationResponse, ScoreResponse } from './scoring.js';
import type { DetokenizeResponse, TokenCheckResponse, TokenizeResponse } from './tokenize.js';
import type { RemoteTarget, RoutingMode, Served } from './routing.js';

/**
 * What crosses a port between a client (page, Service Worker) and the engine host.
 * Every long-running call answers with its own MessagePort, read with `portStream()` as
 * a ReadableStream of the messages below: the first message settles the call (started,
 * or a typed error); cancelling the stream aborts the work.
 */

export type ErrorMessage = { type: 'error'; error: SerializedError };

/** The host accepted a generation request; `served` says which side runs it (hybrid models). */
export type StartedMessage = { type: 'started'; served?: Served };

/**
 * Streamed chunks travel in `chunks` batches (one port message per batch, not per
 * token), plain-text chunks packed to their text (chunk-pack.ts: read them with
 * `chunkUnpacker()`).
 */
export type ChatMessageOut =
  | StartedMessage
  | { type: 'chunks'; chunks: Array<PackedChunk<ChatCompletionChunk>> }
  | { type: 'completion'; completion: ChatCompletion }
  | ErrorMessage;

/** Legacy completions: `chunks` when streaming, else one `completion`. */
export type CompletionMessageOut =
  | StartedMessage
  | { type: 'chunks'; chunks: Array<PackedChunk<Completion>> }
  | { type: 'completion'; completion: Completion }
  | ErrorMessage;

/** Responses API: its streaming events in `chunks` batches when streaming, else one `completion` (the Response). */
export type ResponseMessageOut =
  | StartedMessage
  | { type: 'chunks'; chunks: ResponseStreamEvent[] }
  | { type: 'completion'; completion: Response }
  | ErrorMessage;

/** What each non-generating endpoint answers (src/core/endpoints/), by the name HostApi.endpoint takes. */
export interface EndpointResults {
  embeddings: CreateEmbeddingResponse;
  rerank: RerankResponse;
  score: ScoreResponse;
  scoreEvaluation: ScoreEvaluationResponse;
  tokenize: TokenizeResponse;
  detokenize: DetokenizeResponse;
  tokenCheck: TokenCheckResponse;
}
export type EndpointName = keyof EndpointResults;

/** A non-generating endpoint's port: `started` once it ran, then its one answer. */
export type EndpointMessageOut<R = unknown> =
  | { type: 'started' }
  | { type: 'completion'; completion: R }
  | ErrorMessage;

export type LoadMessageOut =
  | { type: 'progress'; progress: LoadProgress }
  | { type: 'done'; info: LoadedModelInfo }
  | ErrorMessage;

/** What travels next to a generation request's body. */
export interface GenerationCallOptions {
  /** The in-page client's binary images, referred to as `webinfer-attachment:<index>` URLs. */
  attachments?: MediaAttachment[];
  /** The caller's lifeline lock (protocol/lifeline.ts): the request is aborted once its holder is gone. */
  lifeline?: string;
  /**
   * Which client of that context asks (the Service Worker: the fetching tab's clientId).
   * With the lifeline it names the caller whose fair share of the queue this request takes.
   */
  caller?: string;
}

/** A model the page registers at run time (custom base URL, or a hub repo). */
export interface ModelRegistration {
  id: string;
  engine?: string;
  /** Hub repo id, or a name for self-hosted files. */
  repo?: string;
  /** Folder URL holding the model's files (config.json, tokenizer.json, onnx/...). */
  baseUrl?: string;
  revision?: string;
  /** One file in the repo or folder: a GGUF model (`engine: 'gguf'`). */
  file?: string;
  contextLength?: number;
  sizeBytes?: number;
  modalities?: Array<'text' | 'image' | 'audio'>;
  options?: Record<string, unknown>;
  /**
   * `engine: 'remote'`: the OpenAI-compatible server's base URL (`/v1` included), and its
   * key, model name, headers, timeout and retries (protocol/routing.ts `RemoteTarget`).
   */
  baseURL?: string;
  apiKey?: string;
  model?: string;
  headers?: Record<string, string>;
  timeoutMs?: number;
  maxRetries?: number;
  /** `/v1/responses` on the server: `native`, `chat` (translated) or `auto` (default). */
  responses?: 'native' | 'chat' | 'auto';
  /** A local model's remote counterpart: the same model on a server, used as routing says. */
  remote?: RemoteTarget;
  /** Where requests run when both exist (default `prefer_on_device`). */
  routing?: RoutingMode;
}

export interface HostConfig {
  /** Where onnxruntime-web's runtime files are served (e.g. '/ort/'). */
  wasmPaths?: string;
  /** Where wllama's `wllama.wasm` is served for GGUF models (default '/wllama/wllama.wasm'). */
  ggufWasmPath?: string;
  /** Hub mirror for repo ids. */
  hubUrl?: string;
  /** Requests that may wait behind the running one before 429s (default 32). */
  maxQueue?: number;
  /** Of those, how many one caller (a tab, or one tab's requests through /v1) may hold (default half of maxQueue). */
  maxQueuePerCaller?: number;
  /**
   * CPU threads for WASM inference. Default: every core (up to 8) where threads are
   * possible (a dedicated-worker host of a cross-origin isolated page), else 1.
   */
  numThreads?: number;
  /** Bounds of each model's prefix (KV) cache (default 4 sequences, 256 MiB); false turns it off. */
  prefixCache?: { maxEntries?: number; maxBytes?: number } | false;
  /** Image/audio intake limits and URL scheme allow-list (defaults: DEFAULT_MEDIA_LIMITS). */
  media?: Partial<MediaLimits>;
  models?: ModelRegistration[];
}

/** GET /v1/responses/{id}/input_items query: `limit` 1..100 (default 20), `order` (default desc), `after` an item id. */
export interface InputItemsQuery {
  limit?: number | string | null;
  order?: string | null;
  after?: string | null;
}

export interface InputItemList {
  object: 'list';
  /** Input items as stored: each has an id. */
  data: Array<InputItem & { id: string }>;
  first_id: string | null;
  last_id: string | null;
  has_more: boolean;
}

export interface HostStats {
  loads: Record<string, number>;
  loaded: string[];
  queue: { running: boolean; pending: number };
  /** Per model id with a remote side: which side served how many requests (core/routing.ts). */
  routing: Record<string, RoutingStats>;
  /** How many ports (pages, Service Workers) this host has served. */
  connections: number;
  /** Where engines run: the tab-owned engine worker, and each loaded model's place and CPU threads. */
  placement?: PlacementStats;
}

export interface PlacementStats {
  engineWorker: {
    attached: boolean;
    /** 1 for the first engine worker, then +1 per handover. */
    generation: number | null;
    isolated: boolean | null;
    /** Threads are possible in the engine worker (its tab is cross-origin isolated). */
    threads: boolean | null;
    cores: number | null;
    /** Engine workers lost so far (their tabs closed). */
    handovers: number;
  };
  models: Record<string, ModelPlacement>;
}

export interface ModelPlacement {
  /** 'shared-worker': the SharedWorker host; 'engine-worker': the elected tab's worker; 'dedicated-worker': a page's own host. */
  where: 'shared-worker' | 'engine-worker' | 'dedicated-worker';
  threads: number;
}

export interface RoutingStats {
  local: number;
  remote: number;
  /** Requests that went to the other side after the preferred one failed. */
  fallbacks: number;
  last: Served | null;
  /** Why the last fallback (or skip of the device) happened: an error code or message. */
  lastFallbackReason: string | null;
}

export interface HostApi {
  configure(config: HostConfig): Promise<void>;
  listModels(): Promise<ModelList>;
  retrieveModel(id: string): Promise<Model>;
  registerModel(model: ModelRegistration): Promise<void>;
  loadModel(id: string, options?: LoadOptions): Promise<MessagePort>;
  unloadModel(id: string): Promise<void>;
  /** `body` is validated in the host: the same checks for every caller. */
  chatCompletion(body: unknown, options?: GenerationCallOptions): Promise<MessagePort>;
  /** Legacy `/v1/completions`; validated in the host like chatCompletion. */
  completion(body: unknown, options?: GenerationCallOptions): Promise<MessagePort>;
  /** `/v1/responses`; validated in the host like chatCompletion. Stored unless `store: false`. */
  response(body: unknown, options?: GenerationCallOptions): Promise<MessagePort>;
  /**
   * A non-generating endpoint (embeddings, rerank, score, tokenize...; see EndpointResults),
   * validated and queued in the host like chatCompletion; its port answers once.
   */
  endpoint(name: EndpointName, body: unknown, options?: GenerationCallOptions): Promise<MessagePort>;
  /** A stored Response (404 when unknown, evicted or deleted). */
  retrieveResponse(id: string): Promise<Response>;
  deleteResponse(id: string): Promise<ResponseDeleted>;
  /** The conversation a stored response answered, as OpenAI's cursor page. */
  listResponseInputItems(id: string, query?: InputItemsQuery): Promise<InputItemList>;
  stats(): Promise<HostStats>;
  /** Serve one more port (e.g. one that a page hands to its Service Worker). */
  connect(port: MessagePort): Promise<void>;
  /**
   * The Web Lock the host's clients queue for to run its engine worker (client/election.ts),
   * unique to this host; null when the host needs none (a dedicated worker starts its own).
   */
  engineWorkerElection(): Promise<string | null>;
  /**
   * The elected tab's engine worker: a port to it, and the name of the lock the tab holds
   * while it leads (the host learns of its end when that lock is granted).
   */
  attachEngineWorker(port: MessagePort, lifeline: string | undefined): Promise<void>;
  /** The engines' cached model files (Cache API), by model, with the origin's storage quota. */
  listCache(): Promise<CacheInfo>;
  /** Deletes one model's cached files: a model id, or an unregistered folder URL from listCache. */
  deleteCache(id: string): Promise<CacheDeleteResult>;
}

/** One model's files in the engines' caches. */
export interface CachedModel {
  /** The registered model id; for files no registered model claims, the folder URL they came from. */
  id: string;
  engine: string | null;
  registered: boolean;
  /** Sum of the files' sizes (Content-Length, or the stored body's size). */
  bytes: number;
  files: number;
  /** Cache API caches holding them (`webllm/model`, `webllm/config`, `webllm/wasm`, `transformers-cache`). */
  caches: string[];
}

export interface CacheInfo {
  /** Largest first. */
  models: CachedModel[];
  /** `navigator.storage.estimate()` for the whole origin (not only models); null where unknown. */
  usage: number | null;
  quota: number | null;
  /** `navigator.storage.persisted()`: whether the browser may evict the origin's data. */
  persisted: boolean | null;
}

export interface CacheDeleteResult {
  id: string;
  /** Anything was removed. */
  deleted: boolean;
  files: number;
  bytes: number;
}
