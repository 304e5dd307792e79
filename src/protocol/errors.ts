/**
 * OpenAI-style errors. They cross every boundary (worker port, HTTP) as the plain
 * `ErrorBody` and are rebuilt into the matching class on the other side, so callers can
 * `instanceof` and read `status` / `param` / `code` wherever they catch them.
 */
export interface ErrorBody {
  message: string;
  type: string;
  param: string | null;
  code: string | null;
}

/** The wire envelope, exactly as OpenAI sends it. */
export interface ErrorEnvelope {
  error: ErrorBody;
}

export interface ErrorInit {
  param?: string | null;
  code?: string | null;
  type?: string;
}

export class APIError extends Error {
  override name = 'APIError';
  readonly status: number;
  readonly type: string;
  readonly param: string | null;
  readonly code: string | null;

  constructor(status: number, message: string, init: ErrorInit = {}) {
    super(message);
    this.status = status;
    this.type = init.type ?? defaultType(status);
    this.param = init.param ?? null;
    this.code = init.code ?? null;
  }

  toBody(): ErrorBody {
    return { message: this.message, type: this.type, param: this.param, code: this.code };
  }

  toEnvelope(): ErrorEnvelope {
    return { error: this.toBody() };
  }
}

export class BadRequestError extends APIError {
  override name = 'BadRequestError';
  constructor(message: string, init?: ErrorInit) { super(400, message, init); }
}
export class AuthenticationError extends APIError {
  override name = 'AuthenticationError';
  constructor(message: string, init?: ErrorInit) { super(401, message, init); }
}
export class PermissionDeniedError extends APIError {
  override name = 'PermissionDeniedError';
  constructor(message: string, init?: ErrorInit) { super(403, message, init); }
}
export class NotFoundError extends APIError {
  override name = 'NotFoundError';
  constructor(message: string, init?: ErrorInit) { super(404, message, init); }
}
export class ConflictError extends APIError {
  override name = 'ConflictError';
  constructor(message: string, init?: ErrorInit) { super(409, message, init); }
}
export class UnprocessableEntityError extends APIError {
  override name = 'UnprocessableEntityError';
  constructor(message: string, init?: ErrorInit) { super(422, message, init); }
}
export class RateLimitError extends APIError {
  override name = 'RateLimitError';
  constructor(message: string, init?: ErrorInit) { super(429, message, init); }
}
export class InternalServerError extends APIError {
  override name = 'InternalServerError';
  constructor(message: string, init?: ErrorInit) { super(500, message, init); }
}
export class ServiceUnavailableError extends APIError {
  override name = 'ServiceUnavailableError';
  constructor(message: string, init?: ErrorInit) { super(503, message, init); }
}

/** Raised on the caller's side when its own AbortSignal fired (openai-node's name). */
export class APIUserAbortError extends Error {
  override name = 'APIUserAbortError';
  constructor(message = 'Request was aborted.') { super(message); }
}

/** OpenAI's error `type` for a status. */
export function defaultType(status: number): string {
  if (status === 401) return 'authentication_error';
  if (status === 403) return 'permission_error';
  if (status === 404) return 'not_found_error';
  if (status === 429) return 'rate_limit_error';
  if (status >= 500) return 'server_error';
  return 'invalid_request_error';
}

const byStatus: Record<number, new (message: string, init?: ErrorInit) => APIError> = {
  400: BadRequestError,
  401: AuthenticationError,
  403: PermissionDeniedError,
  404: NotFoundError,
  409: ConflictError,
  422: UnprocessableEntityError,
  429: RateLimitError,
  500: InternalServerError,
  503: ServiceUnavailableError,
};

/** Rebuilds the typed error from what crossed a boundary. */
export function errorFromBody(status: number, body: ErrorBody): APIError {
  const Cls = byStatus[status];
  const init: ErrorInit = { type: body.type, param: body.param, code: body.code };
  return Cls ? new Cls(body.message, init) : new APIError(status, body.message, init);
}

/** What crosses a port: status plus body, structured-clone safe. */
export interface SerializedError {
  status: number;
  error: ErrorBody;
}

export function serializeError(err: unknown): SerializedError {
  const api = toAPIError(err);
  return { status: api.status, error: api.toBody() };
}

/** Anything thrown becomes an APIError; unknown throwables are real bugs, hence 500. */
export function toAPIError(err: unknown): APIError {
  if (err instanceof APIError) return err;
  if (isSerializedError(err)) return errorFromBody(err.status, err.error);
  const message = err instanceof Error ? err.message : String(err);
  return new InternalServerError(message || 'Internal error', { code: 'internal_error' });
}

export function isSerializedError(value: unknown): value is SerializedError {
  return (
    typeof value === 'object' && value !== null &&
    typeof (value as SerializedError).status === 'number' &&
    typeof (value as SerializedError).error?.message === 'string'
  );
}
