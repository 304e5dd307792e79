import { describe, expect, test } from 'vitest';
import { mediaLimits } from './limits.js';
import { base64Size, classifyUrl, decodeBase64, fetchCapped, MediaError } from './source.js';
import { AbortError } from '../abort.js';

const limits = mediaLimits();
const code = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    return (err as MediaError).code;
  }
  return 'no error';
};

describe('media limits', () => {
  test('defaults, and overrides over them', () => {
    expect(limits.allowedSchemes).toEqual(['https:', 'data:', 'blob:']);
    expect(limits.allowHttpLocalhost).toBe(false);
    const custom = mediaLimits({ allowedSchemes: ['data', 'https:'], maxImages: 2 });
    expect(custom.allowedSchemes).toEqual(['data:', 'https:']);
    expect(custom.maxImages).toBe(2);
    expect(custom.maxImageBytes).toBe(limits.maxImageBytes);
  });

  test('only https, http, data and blob can ever be allowed', () => {
    for (const s of ['file:', 'javascript:', 'chrome-extension:', 'filesystem:', 'ftp:']) {
      expect(() => mediaLimits({ allowedSchemes: [s] })).toThrow(/cannot be allowed/);
    }
    expect(() => mediaLimits({ maxImages: -1 })).toThrow(/maxImages/);
    expect(() => mediaLimits({ nope: 1 } as never)).toThrow(/unknown setting/);
  });
});

describe('classifyUrl', () => {
  test('https, data and blob are accepted by default', () => {
    expect(classifyUrl('https://example.com/a.png', limits, false)).toMatchObject({ kind: 'fetch' });
    expect(classifyUrl('blob:http://localhost:5173/0b6c-11', limits, false)).toMatchObject({ kind: 'fetch' });
    expect(classifyUrl('data:image/png;base64,AAAA', limits, false)).toEqual({ kind: 'data', mime: 'image/png', payload: 'AAAA', base64: true });
    expect(classifyUrl('data:,hello%20there', limits, false)).toEqual({ kind: 'data', mime: 'text/plain', payload: 'hello%20there', base64: false });
  });

  test.each([
    'file:///etc/passwd',
    'javascript:alert(1)',
    'chrome-extension://abcdef/icon.png',
    'filesystem:http://localhost/temporary/x.png',
    'ftp://example.com/a.png',
    'about:blank',
    'ws://localhost/x',
    'JAVASCRIPT:alert(1)',
  ])('%s is refused', (url) => {
    expect(code(() => classifyUrl(url, limits, false))).toBe('unsupported_url_scheme');
  });

  test('http: only for localhost, and only by opt-in', () => {
    expect(code(() => classifyUrl('http://localhost:8080/a.png', limits, false))).toBe('unsupported_url_scheme');
    const optIn = mediaLimits({ allowHttpLocalhost: true });
    expect(classifyUrl('http://localhost:8080/a.png', optIn, false)).toMatchObject({ kind: 'fetch' });
    expect(classifyUrl('http://127.0.0.1/a.png', optIn, false)).toMatchObject({ kind: 'fetch' });
    expect(classifyUrl('http://[::1]:3000/a.png', optIn, false)).toMatchObject({ kind: 'fetch' });
    expect(classifyUrl('http://app.localhost/a.png', optIn, false)).toMatchObject({ kind: 'fetch' });
    expect(code(() => classifyUrl('http://example.com/a.png', optIn, false))).toBe('unsupported_url_scheme');
    expect(code(() => classifyUrl('http://localhost.evil.com/a.png', optIn, false))).toBe('unsupported_url_scheme');
    expect(code(() => classifyUrl('http://10.0.0.1/a.png', optIn, false))).toBe('unsupported_url_scheme');
    // An app may allow http: everywhere.
    expect(classifyUrl('http://example.com/a.png', mediaLimits({ allowedSchemes: ['https:', 'http:'] }), false)).toMatchObject({ kind: 'fetch' });
  });

  test('an app can narrow the list', () => {
    const dataOnly = mediaLimits({ allowedSchemes: ['data:'] });
    expect(code(() => classifyUrl('https://example.com/a.png', dataOnly, false))).toBe('unsupported_url_scheme');
    expect(code(() => classifyUrl('blob:http://localhost/x', dataOnly, false))).toBe('unsupported_url_scheme');
  });

  test('relative URLs and the internal attachment scheme without attachments are refused', () => {
    expect(code(() => classifyUrl('/images/a.png', limits, false))).toBe('invalid_url');
    expect(code(() => classifyUrl('webinfer-attachment:0', limits, false))).toBe('unsupported_url_scheme');
    expect(classifyUrl('webinfer-attachment:0', limits, true)).toEqual({ kind: 'attachment', index: 0 });
    expect(code(() => classifyUrl('webinfer-attachment:-1', limits, true))).toBe('unsupported_url_scheme');
  });
});

describe('base64', () => {
  test('decodes standard and URL-safe alphabets, ignoring whitespace', () => {
    expect(Array.from(decodeBase64('AAEC/w==', 100))).toEqual([0, 1, 2, 255]);
    expect(Array.from(decodeBase64('AAEC_w', 100))).toEqual([0, 1, 2, 255]);
    expect(Array.from(decodeBase64('AA EC\n/w==', 100))).toEqual([0, 1, 2, 255]);
  });

  test('refuses non-base64 and checks the size before decoding', () => {
    expect(code(() => decodeBase64('not base64!', 100))).toBe('invalid_base64');
    expect(code(() => decodeBase64('A', 100))).toBe('invalid_base64');
    expect(base64Size('A'.repeat(4000))).toBe(3000);
    expect(code(() => decodeBase64('A'.repeat(4000), 2999))).toBe('media_too_large');
  });
});

describe('fetchCapped', () => {
  const url = new URL('https://images.example/a.png');
  const opts = (over: Partial<Parameters<typeof fetchCapped>[1]> = {}) => ({ limits: mediaLimits({ fetchTimeoutMs: 200 }), maxBytes: 100, what: 'image', ...over });
  const reject = async (p: Promise<unknown>) => p.then(() => 'resolved', (e) => e);

  test('reads the body; sends no credentials and no referrer', async () => {
    let init: RequestInit | undefined;
    const bytes = await fetchCapped(url, opts({ fetch: async (_u, i) => { init = i; return new Response(new Uint8Array([1, 2, 3])); } }));
    expect(Array.from(bytes)).toEqual([1, 2, 3]);
    expect(init).toMatchObject({ credentials: 'omit', referrerPolicy: 'no-referrer' });
  });

  test('the byte cap holds while streaming, whatever Content-Length says', async () => {
    const body = () => new ReadableStream({ pull(c) { c.enqueue(new Uint8Array(40)); } }); // endless
    const err = await reject(fetchCapped(url, opts({ fetch: async () => new Response(body()) })));
    expect(err).toBeInstanceOf(MediaError);
    expect(err.code).toBe('media_too_large');
    const declared = await reject(fetchCapped(url, opts({ fetch: async () => new Response('x'.repeat(500), { headers: { 'content-length': '500' } }) })));
    expect(declared.code).toBe('media_too_large');
  });

  test('HTTP errors, network errors and timeouts are MediaErrors', async () => {
    expect((await reject(fetchCapped(url, opts({ fetch: async () => new Response('no', { status: 404 }) })))).message).toMatch(/HTTP 404/);
    expect((await reject(fetchCapped(url, opts({ fetch: async () => { throw new TypeError('Failed to fetch'); } })))).code).toBe('fetch_failed');
    const hang: typeof fetch = (_u, init) => new Promise((_, rej) => init!.signal!.addEventListener('abort', () => rej(new DOMException('aborted', 'AbortError'))));
    const timedOut = await reject(fetchCapped(url, opts({ fetch: hang })));
    expect(timedOut.code).toBe('fetch_timeout');
    // A body that stalls after the headers times out too.
    const stall: typeof fetch = async (_u, init) => new Response(new ReadableStream({
      start(c) { c.enqueue(new Uint8Array(1)); init!.signal!.addEventListener('abort', () => c.error(new DOMException('aborted', 'AbortError'))); },
    }));
    expect((await reject(fetchCapped(url, opts({ fetch: stall })))).code).toBe('fetch_timeout');
  });

  test('the caller going away is an abort, not a 400', async () => {
    const controller = new AbortController();
    const hang: typeof fetch = (_u, init) => new Promise((_, rej) => init!.signal!.addEventListener('abort', () => rej(new DOMException('aborted', 'AbortError'))));
    const p = reject(fetchCapped(url, opts({ fetch: hang, signal: controller.signal, limits: mediaLimits({ fetchTimeoutMs: 5000 }) })));
    controller.abort();
    expect(await p).toBeInstanceOf(AbortError);
  });

  test('a redirect to plain http is refused', async () => {
    const redirected = Object.assign(new Response('x'), {});
    Object.defineProperty(redirected, 'redirected', { value: true });
    Object.defineProperty(redirected, 'url', { value: 'http://intranet.local/a.png' });
    const err = await reject(fetchCapped(url, opts({ fetch: async () => redirected })));
    expect(err.code).toBe('fetch_failed');
    expect(err.message).toMatch(/redirected to a http:/);
  });
});
