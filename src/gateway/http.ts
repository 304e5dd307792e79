import { readCapped } from '../protocol/read-capped.js';
import { checkJsonText, checkRequestShape } from '../protocol/limits.js';
import { APIError, AuthenticationError, BadRequestError, toAPIError } from '../protocol/errors.js';

/** HTTP plumbing of the gateway: response headers, the error envelope, bodies, auth. */

export const JSON_CONTENT_TYPE = 'application/json';
export const SSE_CONTENT_TYPE = 'text/event-stream; charset=utf-8';
/** Large enough for a few base64 images in a chat request; configurable. */
export const DEFAULT_MAX_BODY_BYTES = 16 * 1024 * 1024;

/** The client's `x-request-id` when it is a sane token, else a fresh one. */
export function requestIdOf(request: Request): string {
  const given = request.headers.get('x-request-id');
  if (given && /^[\x21-\x7e]{1,200}$/.test(given)) return given;
  return `req_${crypto.randomUUID().replace(/-/g, '')}`;
}

/** Headers every gateway response carries. */
export function baseHeaders(requestId: string, contentType: string, extra?: HeadersInit): Headers {
  const headers = new Headers(extra);
  headers.set('content-type', contentType);
  headers.set('cache-control', 'no-store');
  headers.set('x-request-id', requestId);
  return headers;
}

export function jsonResponse(body: unknown, status: number, requestId: string, extra?: HeadersInit): Response {
  return new Response(JSON.stringify(body), { status, headers: baseHeaders(requestId, JSON_CONTENT_TYPE, extra) });
}

/**
 * Anything thrown becomes the OpenAI envelope with its status; errors that are not
 * APIErrors are bugs and answer 500 (`toAPIError`). Busy and unavailable answers tell
 * clients (the openai SDK honours it) when to retry.
 */
export function errorResponse(err: unknown, requestId: string, extra?: HeadersInit): Response {
  const api = toAPIError(err);
  const headers = new Headers(extra);
  if ((api.status === 429 || api.status === 503) && !headers.has('retry-after')) headers.set('retry-after', '1');
  return jsonResponse(api.toEnvelope(), api.status, requestId, headers);
}

// ---- errors only the HTTP layer raises ----------------------------------------------------

export function payloadTooLarge(limit: number): APIError {
  return new APIError(413, `The request body is larger than this gateway accepts (${limit} bytes).`, {
    type: 'invalid_request_error',
    code: 'request_too_large',
  });
}

export function unsupportedMediaType(got: string | null): APIError {
  return new APIError(
    415,
    `Unsupported Content-Type ${got ? `'${got}'` : '(none)'}: send the request body as JSON with 'Content-Type: application/json'.`,
    { type: 'invalid_request_error', code: 'unsupported_media_type' },
  );
}

export function invalidJson(detail: string): BadRequestError {
  return new BadRequestError(
    `We could not parse the JSON body of your request: ${detail}. The API expects a JSON payload.`,
    { code: 'invalid_json' },
  );
}

// ---- bodies ----------------------------------------------------------------------------------

/** `application/json`, with parameters, and `application/*+json`. */
export function isJsonContentType(value: string | null): boolean {
  if (!value) return false;
  const type = value.split(';')[0]!.trim().toLowerCase();
  return type === 'application/json' || (type.startsWith('application/') && type.endsWith('+json'));
}

/**
 * Reads a JSON object body: 415 unless it says JSON, 413 past `maxBytes` (from
 * Content-Length when given, else counted while reading, stopping at the limit),
 * 400 when it does not parse or is not an object, or when it passes the generic shape
 * limits (protocol/limits.ts: depth, array and object sizes), checked before any route
 * sees it.
 */
export async function readJsonObject(request: Request, maxBytes: number): Promise<Record<string, unknown>> {
  const contentType = request.headers.get('content-type');
  if (!isJsonContentType(contentType)) throw unsupportedMediaType(contentType);
  const declared = Number(request.headers.get('content-length') ?? NaN);
  if (Number.isFinite(declared) && declared > maxBytes) {
    await request.body?.cancel().catch(() => {});
    throw payloadTooLarge(maxBytes);
  }
  const bytes = await readCapped(request.body, maxBytes, () => payloadTooLarge(maxBytes));
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw invalidJson('the body is not valid UTF-8');
  }
  if (text.trim() === '') throw invalidJson('the body is empty');
  checkJsonText(text);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw invalidJson((err as Error).message);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new BadRequestError('The request body must be a JSON object.', { code: 'invalid_json' });
  }
  checkRequestShape(value);
  return value as Record<string, unknown>;
}

// ---- auth ------------------------------------------------------------------------------------

/** With a key configured, requests need `Authorization: Bearer <key>` (OpenAI's wording). */
export function checkApiKey(request: Request, apiKey: string | null | undefined): void {
  if (!apiKey) return;
  const header = request.headers.get('authorization');
  const match = header ? /^Bearer\s+(.+)$/i.exec(header.trim()) : null;
  if (!match) {
    throw new AuthenticationError(
      "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
      { type: 'invalid_request_error', code: 'missing_api_key' },
    );
  }
  if (!sameString(match[1]!, apiKey)) {
    throw new AuthenticationError(`Incorrect API key provided: ${redact(match[1]!)}.`, {
      type: 'invalid_request_error',
      code: 'invalid_api_key',
    });
  }
}

/** Compares without an early exit on the first differing character. */
function sameString(a: string, b: string): boolean {
  let diff = a.length ^ b.length;
  for (let i = 0; i < Math.max(a.length, b.length); i++) diff |= (a.charCodeAt(i) || 0) ^ (b.charCodeAt(i) || 0);
  return diff === 0;
}

function redact(key: string): string {
  return key.length <= 8 ? '*'.repeat(key.length) : `${key.slice(0, 3)}${'*'.repeat(Math.min(20, key.length - 7))}${key.slice(-4)}`;
}
