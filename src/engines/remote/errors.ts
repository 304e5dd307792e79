import { defaultType, errorFromBody, type APIError } from '../../protocol/errors.js';

/**
 * The server's error as the typed error of the same status, with its `code` and `param`.
 * Servers disagree on the body: OpenAI, vLLM and llama.cpp send `{error:{message,type,
 * code,param}}`, older vLLM the fields at the top level, TGI `{error: "...", error_type}`,
 * FastAPI servers (transformers serve) `{detail}` (a string, or 422's list of problems).
 */
export function remoteError(status: number, text: string, server: string): APIError {
  const body = parse(text);
  const inner = isObject(body?.error) ? body.error : body;
  const detail = body?.detail;
  const first = Array.isArray(detail) && isObject(detail[0]) ? detail[0] : null;
  const message =
    str(inner?.message) ?? str(body?.error) ?? str(detail) ?? str(first?.msg) ?? (text.trim().slice(0, 300) || `HTTP ${status}`);
  const param = str(inner?.param) ?? (Array.isArray(first?.loc) ? first.loc.filter((p: unknown) => p !== 'body').join('.') || null : null);
  const code = str(inner?.code) ?? str(body?.error_type);
  const type = str(inner?.type) ?? defaultType(status);
  return errorFromBody(status, { message: `${server}: ${message}`, type, param, code });
}

/** An error event inside a stream (`data: {"error": {...}}`): its status when it says one, else 502. */
export function streamError(event: Record<string, unknown>, server: string): APIError {
  const inner = isObject(event.error) ? event.error : {};
  const status = typeof inner.code === 'number' && inner.code >= 400 && inner.code < 600 ? inner.code : 502;
  return remoteError(status, JSON.stringify(event), server);
}

function parse(text: string): Record<string, any> | null {
  try {
    const value = JSON.parse(text);
    return isObject(value) ? value : null;
  } catch {
    return null;
  }
}

function isObject(value: unknown): value is Record<string, any> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function str(value: unknown): string | null {
  return typeof value === 'string' && value ? value : null;
}
