import { readCapped } from '../../protocol/read-capped.js';
import { AbortError } from '../abort.js';
import type { MediaLimits } from './limits.js';
import { ATTACHMENT_SCHEME, type MediaAttachment } from './types.js';

/**
 * Where a media part's bytes come from, and getting them under the caps: the scheme
 * allow-list, `data:` URLs decoded in place, fetches with a timeout and a byte cap that
 * holds while streaming (a lying or absent Content-Length changes nothing), and the
 * in-page client's attachments. Failures are `MediaError`s that say what went wrong;
 * resolve.ts turns them into 400s naming the part.
 */

export type MediaErrorCode =
  | 'unsupported_url_scheme'
  | 'invalid_url'
  | 'invalid_base64'
  | 'media_too_large'
  | 'fetch_failed'
  | 'fetch_timeout'
  | 'invalid_attachment';

export class MediaError extends Error {
  override name = 'MediaError';
  constructor(readonly code: MediaErrorCode, message: string) {
    super(message);
  }
}

export type MediaSource =
  | { kind: 'data'; mime: string; payload: string; base64: boolean }
  | { kind: 'fetch'; url: URL }
  | { kind: 'attachment'; index: number };

const LOCAL_HOSTS = /^(localhost|[a-z0-9-]+\.localhost|127(?:\.\d{1,3}){3}|\[::1\])$/i;

/** Checks a URL against the allow-list, without touching the network. `what` names the media in messages. */
export function classifyUrl(raw: string, limits: MediaLimits, hasAttachments: boolean, what: 'image' | 'video' = 'image'): MediaSource {
  if (raw.startsWith(ATTACHMENT_SCHEME)) {
    const index = Number(raw.slice(ATTACHMENT_SCHEME.length));
    if (!hasAttachments || !Number.isInteger(index) || index < 0) {
      throw new MediaError('unsupported_url_scheme', `The URL scheme '${ATTACHMENT_SCHEME}' is internal to the in-page client.`);
    }
    return { kind: 'attachment', index };
  }
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new MediaError('invalid_url', `The ${what} URL is not an absolute URL (expected https:, data: or blob:).`);
  }
  const scheme = url.protocol.toLowerCase();
  const allowed = new Set(limits.allowedSchemes);
  if (scheme === 'http:' && !allowed.has('http:')) {
    if (limits.allowHttpLocalhost && LOCAL_HOSTS.test(url.hostname)) return { kind: 'fetch', url };
    throw new MediaError(
      'unsupported_url_scheme',
      limits.allowHttpLocalhost
        ? `Plain http: ${what} URLs are accepted for localhost only; use https:.`
        : `Plain http: ${what} URLs are not accepted; use https: (or a data: or blob: URL).`,
    );
  }
  if (!allowed.has(scheme)) {
    throw new MediaError('unsupported_url_scheme', `${what === 'image' ? 'Image' : 'Video'} URLs with the scheme '${scheme}' are not accepted (allowed: ${[...allowed].join(', ')}).`);
  }
  if (scheme === 'data:') return parseDataUrl(raw);
  return { kind: 'fetch', url };
}

/** `data:[<mime>][;param=value]*[;base64],<payload>` (RFC 2397). */
export function parseDataUrl(raw: string): MediaSource & { kind: 'data' } {
  const comma = raw.indexOf(',');
  if (comma < 0) throw new MediaError('invalid_url', 'The data: URL has no comma before its payload.');
  const meta = raw.slice(5, comma).split(';').map((s) => s.trim());
  const base64 = meta.length > 1 && meta.at(-1)!.toLowerCase() === 'base64';
  return { kind: 'data', mime: (meta[0] || 'text/plain').toLowerCase(), payload: raw.slice(comma + 1), base64 };
}

/** Decoded size of a base64 string, before decoding it. */
export function base64Size(s: string): number {
  let n = s.length;
  while (n > 0 && /\s/.test(s[n - 1]!)) n--;
  let pad = 0;
  if (s[n - 1] === '=') pad++;
  if (s[n - 2] === '=') pad++;
  return Math.floor((n * 3) / 4) - pad;
}

/** Strict base64 (standard or URL-safe alphabet, whitespace ignored). */
export function decodeBase64(s: string, maxBytes: number, what = 'data'): Uint8Array {
  if (base64Size(s) > maxBytes) throw tooLarge(what, base64Size(s), maxBytes);
  const clean = s.replace(/\s+/g, '').replace(/-/g, '+').replace(/_/g, '/');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(clean) || clean.length % 4 === 1) {
    throw new MediaError('invalid_base64', `The ${what} is not valid base64.`);
  }
  let binary: string;
  try {
    binary = atob(clean);
  } catch {
    throw new MediaError('invalid_base64', `The ${what} is not valid base64.`);
  }
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

export function tooLarge(what: string, size: number | null, maxBytes: number): MediaError {
  const got = size == null ? 'more than that' : `${size} bytes`;
  return new MediaError('media_too_large', `The ${what} is too large: ${got}, the limit is ${maxBytes} bytes.`);
}

export interface LoadOptions {
  limits: MediaLimits;
  maxBytes: number;
  what: string;
  signal?: AbortSignal;
  attachments?: readonly MediaAttachment[];
  fetch?: typeof fetch;
}

/** What a source resolves to: bytes, or an already-decoded ImageBitmap (attachments). */
export type Loaded = { bytes: Uint8Array } | { bitmap: ImageBitmap };

export async function loadSource(source: MediaSource, opts: LoadOptions): Promise<Loaded> {
  switch (source.kind) {
    case 'data': {
      if (source.base64) return { bytes: decodeBase64(source.payload, opts.maxBytes, opts.what) };
      if (source.payload.length > opts.maxBytes * 3) throw tooLarge(opts.what, null, opts.maxBytes);
      let bytes: Uint8Array;
      try {
        bytes = percentDecode(source.payload);
      } catch {
        throw new MediaError('invalid_url', 'The data: URL payload is not valid percent-encoding.');
      }
      if (bytes.length > opts.maxBytes) throw tooLarge(opts.what, bytes.length, opts.maxBytes);
      return { bytes };
    }
    case 'attachment': {
      const a = opts.attachments?.[source.index];
      if (!a) throw new MediaError('invalid_attachment', `No attachment #${source.index} came with this request.`);
      if (a.kind === 'bitmap') return { bitmap: a.bitmap };
      if (a.kind === 'blob') {
        if (a.blob.size > opts.maxBytes) throw tooLarge(opts.what, a.blob.size, opts.maxBytes);
        return { bytes: new Uint8Array(await a.blob.arrayBuffer()) };
      }
      if (a.bytes.byteLength > opts.maxBytes) throw tooLarge(opts.what, a.bytes.byteLength, opts.maxBytes);
      return { bytes: new Uint8Array(a.bytes) };
    }
    case 'fetch':
      return { bytes: await fetchCapped(source.url, opts) };
  }
}

function percentDecode(s: string): Uint8Array {
  const out: number[] = [];
  const utf8 = new TextEncoder();
  for (let i = 0; i < s.length; i++) {
    const ch = s[i]!;
    if (ch === '%') {
      const hex = s.slice(i + 1, i + 3);
      if (!/^[0-9a-fA-F]{2}$/.test(hex)) throw new Error('bad escape');
      out.push(parseInt(hex, 16));
      i += 2;
    } else {
      out.push(...utf8.encode(ch));
    }
  }
  return Uint8Array.from(out);
}

/** GET with a timeout and a byte cap, no cookies, no referrer. */
export async function fetchCapped(url: URL, opts: LoadOptions): Promise<Uint8Array> {
  const { limits, maxBytes, what } = opts;
  const timeout = new AbortController();
  const timer = setTimeout(() => timeout.abort(), limits.fetchTimeoutMs);
  const signal = opts.signal ? AbortSignal.any([opts.signal, timeout.signal]) : timeout.signal;
  const fetchImpl = opts.fetch ?? globalThis.fetch;
  const failed = (err: unknown): never => {
    if (opts.signal?.aborted) throw new AbortError();
    if (timeout.signal.aborted) {
      throw new MediaError('fetch_timeout', `Fetching the ${what} took longer than ${limits.fetchTimeoutMs} ms.`);
    }
    if (err instanceof MediaError) throw err;
    const why = url.protocol === 'blob:'
      ? 'the blob: URL is unknown here (revoked, or created in another origin or browser context)'
      : 'network error, or the server does not allow cross-origin reads (CORS)';
    throw new MediaError('fetch_failed', `The ${what} could not be fetched: ${why}.`);
  };
  try {
    let response: Response;
    try {
      response = await fetchImpl(url.href, { signal, credentials: 'omit', redirect: 'follow', referrerPolicy: 'no-referrer' });
    } catch (err) {
      return failed(err);
    }
    if (response.redirected && response.url) {
      const final = new URL(response.url);
      if (final.protocol !== url.protocol && final.protocol !== 'https:') {
        void response.body?.cancel().catch(() => {});
        throw new MediaError('fetch_failed', `The ${what} URL redirected to a ${final.protocol} URL, which is not accepted.`);
      }
    }
    if (!response.ok) {
      void response.body?.cancel().catch(() => {});
      throw new MediaError('fetch_failed', `Fetching the ${what} answered HTTP ${response.status}.`);
    }
    const declared = Number(response.headers.get('content-length'));
    if (Number.isFinite(declared) && declared > maxBytes) {
      void response.body?.cancel().catch(() => {});
      throw tooLarge(what, declared, maxBytes);
    }
    try {
      return await readCapped(response.body, maxBytes, () => tooLarge(what, null, maxBytes));
    } catch (err) {
      return failed(err);
    }
  } finally {
    clearTimeout(timer);
  }
}
