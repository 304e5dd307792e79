import type { Model, ModelList } from '../protocol/models.js';
import type { ChatMessageOut, CompletionMessageOut, InputItemList, InputItemsQuery, ResponseMessageOut } from '../protocol/rpc.js';
import type { Response as ResponseObject, ResponseDeleted } from '../protocol/responses.js';
import { ServiceUnavailableError } from '../protocol/errors.js';

/**
 * What the gateway needs from an engine host: the HostApi methods it serves. The
 * Comlink-wrapped HostApi over a port satisfies it, and so does `createHost().api`
 * in-process (Node unit tests).
 */
export interface GatewayBackend {
  listModels(): Promise<ModelList>;
  retrieveModel(id: string): Promise<Model>;
  chatCompletion(body: unknown, options?: CallOptions): Promise<ReadableStream<ChatMessageOut>>;
  completion(body: unknown, options?: CallOptions): Promise<ReadableStream<CompletionMessageOut>>;
  response(body: unknown, options?: CallOptions): Promise<ReadableStream<ResponseMessageOut>>;
  retrieveResponse(id: string): Promise<ResponseObject>;
  deleteResponse(id: string): Promise<ResponseDeleted>;
  listResponseInputItems(id: string, query: InputItemsQuery): Promise<InputItemList>;
  /** Aborted, with an `EngineUnavailableError` reason, once this backend cannot be reached any more. */
  readonly lost?: AbortSignal;
}

/** What a generation call carries besides its body. */
export interface CallOptions {
  /** The tab (Service Worker client id) the request comes from: its fair share of the host's queue. */
  caller?: string;
}

/** Where the gateway gets a backend from, per request (the SW: from a page, on demand). */
export interface BackendSource {
  /** A backend to use now; rejects with an EngineUnavailableError (503) when there is none. */
  get(): Promise<GatewayBackend>;
  /** That backend stopped answering: forget it, so the next `get()` finds another. */
  drop(backend: GatewayBackend): void;
}

export const OPEN_A_PAGE =
  'Open a page of this app (one that calls registerGateway()) in this browser, then retry.';

/** No engine host can be reached: a 503 that says what to do. */
export class EngineUnavailableError extends ServiceUnavailableError {
  override name = 'EngineUnavailableError';
  constructor(why = 'No engine host is reachable.') {
    super(`${why} ${OPEN_A_PAGE}`, { code: 'engine_unavailable' });
  }
}

export function isBackendSource(value: GatewayBackend | BackendSource): value is BackendSource {
  return typeof (value as BackendSource).get === 'function' && typeof (value as BackendSource).drop === 'function';
}

/** A fixed backend (in-process host, tests). */
export function staticSource(backend: GatewayBackend): BackendSource {
  return { get: async () => backend, drop: () => {} };
}
