import { describe, expect, it } from 'vitest';
import { BadRequestError, NotFoundError, RateLimitError } from '../protocol/errors.js';
import { checkApiKey, errorResponse, isJsonContentType, readJsonObject, requestIdOf } from './http.js';

const post = (body: BodyInit | null, headers: Record<string, string> = { 'content-type': 'application/json' }) =>
  new Request('http://x/v1/chat/completions', { method: 'POST', body, headers });

/** A body with no Content-Length, sent in pieces (as a streamed upload would be). */
function streamed(pieces: string[]): Request {
  const encoder = new TextEncoder();
  const body = new ReadableStream<Uint8Array>({
    start(c) {
      for (const p of pieces) c.enqueue(encoder.encode(p));
      c.close();
    },
  });
  return new Request('http://x/v1/completions', {
    method: 'POST', body, headers: { 'content-type': 'application/json' }, duplex: 'half',
  } as RequestInit);
}

async function status(p: Promise<unknown>): Promise<{ status: number; code: string | null; message: string }> {
  try {
    await p;
  } catch (err) {
    const e = err as { status: number; code: string | null; message: string };
    return { status: e.status, code: e.code, message: e.message };
  }
  throw new Error('expected a rejection');
}

describe('readJsonObject', () => {
  it('parses a JSON object', async () => {
    expect(await readJsonObject(post('{"a":1}'), 100)).toEqual({ a: 1 });
    expect(await readJsonObject(post('{"a":"é"}', { 'content-type': 'application/json; charset=utf-8' }), 100)).toEqual({ a: 'é' });
    expect(await readJsonObject(streamed(['{"a"', ':2}']), 100)).toEqual({ a: 2 });
  });

  it('415 unless the body says JSON', async () => {
    expect(isJsonContentType('application/vnd.api+json')).toBe(true);
    expect(isJsonContentType('text/json')).toBe(false);
    expect(await status(readJsonObject(post('{}', { 'content-type': 'text/plain' }), 100))).toMatchObject({ status: 415, code: 'unsupported_media_type' });
    expect(await status(readJsonObject(post('a=1', { 'content-type': 'application/x-www-form-urlencoded' }), 100))).toMatchObject({ status: 415 });
    const bare = new Request('http://x/', { method: 'POST', body: new Uint8Array([123, 125]) });
    expect(await status(readJsonObject(bare, 100))).toMatchObject({ status: 415, message: expect.stringContaining('(none)') });
  });

  it('413 past the cap: from Content-Length, and counted for streamed bodies', async () => {
    const big = JSON.stringify({ a: 'x'.repeat(200) });
    expect(await status(readJsonObject(post(big), 100))).toMatchObject({ status: 413, code: 'request_too_large' });
    expect(await status(readJsonObject(streamed([big.slice(0, 60), big.slice(60)]), 100))).toMatchObject({ status: 413 });
    // Exactly at the cap is fine.
    const exact = JSON.stringify({ a: 'x'.repeat(92) });
    expect(exact.length).toBe(100);
    expect(await readJsonObject(streamed([exact]), 100)).toEqual({ a: 'x'.repeat(92) });
  });

  it('400 for bodies that are not a JSON object', async () => {
    expect(await status(readJsonObject(post('{"a":'), 100))).toMatchObject({ status: 400, code: 'invalid_json' });
    expect(await status(readJsonObject(post(''), 100))).toMatchObject({ status: 400, message: expect.stringContaining('empty') });
    expect(await status(readJsonObject(post('[1]'), 100))).toMatchObject({ status: 400, message: expect.stringContaining('JSON object') });
    expect(await status(readJsonObject(post('null'), 100))).toMatchObject({ status: 400 });
    expect(await status(readJsonObject(post(new Uint8Array([0x7b, 0xff, 0x7d])), 100))).toMatchObject({ status: 400, message: expect.stringContaining('UTF-8') });
  });
});

describe('checkApiKey', () => {
  const req = (auth?: string) => new Request('http://x/v1/models', auth ? { headers: { authorization: auth } } : {});
  it('passes everything when no key is configured', () => {
    expect(() => checkApiKey(req(), null)).not.toThrow();
    expect(() => checkApiKey(req('Bearer whatever'), undefined)).not.toThrow();
  });
  it('401 for a missing or wrong key; the right key passes', () => {
    expect(() => checkApiKey(req(), 'sk-local-123456')).toThrow(expect.objectContaining({ status: 401, code: 'missing_api_key' }));
    expect(() => checkApiKey(req('Basic abc'), 'sk-local-123456')).toThrow(expect.objectContaining({ status: 401, code: 'missing_api_key' }));
    expect(() => checkApiKey(req('Bearer sk-local-123457'), 'sk-local-123456')).toThrow(expect.objectContaining({ status: 401, code: 'invalid_api_key' }));
    expect(() => checkApiKey(req('Bearer sk-local-1234567'), 'sk-local-123456')).toThrow(expect.objectContaining({ status: 401 }));
    expect(() => checkApiKey(req('Bearer sk-local-123456'), 'sk-local-123456')).not.toThrow();
    expect(() => checkApiKey(req('bearer  sk-local-123456 '), 'sk-local-123456')).not.toThrow();
  });
  it('does not echo the wrong key back in full', () => {
    let message = '';
    try {
      checkApiKey(req('Bearer sk-secret-wrong-key-0000'), 'sk-local');
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/^Incorrect API key provided: sk-\*+0000\.$/);
  });
});

describe('errorResponse', () => {
  it('APIErrors keep their status and envelope', async () => {
    const res = errorResponse(new BadRequestError('bad', { param: 'messages[0].role', code: 'invalid_value' }), 'req_1');
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('x-request-id')).toBe('req_1');
    expect(await res.json()).toEqual({ error: { message: 'bad', type: 'invalid_request_error', param: 'messages[0].role', code: 'invalid_value' } });
    expect(errorResponse(new NotFoundError('x'), 'r').status).toBe(404);
  });
  it('anything else is a bug: 500 internal_error', async () => {
    const res = errorResponse(new TypeError('undefined is not a function'), 'r');
    expect(res.status).toBe(500);
    expect((await res.json()).error).toMatchObject({ type: 'server_error', code: 'internal_error', message: 'undefined is not a function' });
  });
  it('429 and 503 say when to retry', () => {
    expect(errorResponse(new RateLimitError('full', { code: 'queue_full' }), 'r').headers.get('retry-after')).toBe('1');
    expect(errorResponse(new BadRequestError('x'), 'r').headers.get('retry-after')).toBeNull();
  });
});

describe('requestIdOf', () => {
  it("echoes the client's id, else makes one", () => {
    expect(requestIdOf(new Request('http://x/', { headers: { 'x-request-id': 'abc-123' } }))).toBe('abc-123');
    expect(requestIdOf(new Request('http://x/'))).toMatch(/^req_[0-9a-f]{32}$/);
    expect(requestIdOf(new Request('http://x/', { headers: { 'x-request-id': 'a b' } }))).toMatch(/^req_/);
  });
});
