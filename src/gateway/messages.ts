/**
 * The little protocol between the Service Worker gateway and the pages it controls.
 * Dependency-free so both sides (the SW bundle and the page's `registerGateway`) can
 * import it without pulling anything else in.
 */

/** SW -> page: "send me a port to your engine host". */
export const PORT_REQUEST = 'webinfer:gateway:port-request';
/** Page -> SW: the answer, with the port in `event.ports[0]`. */
export const PORT_ANSWER = 'webinfer:gateway:port';
/** Page -> SW: "connecting, my engine host may still be starting" (sent at once). */
export const PORT_PENDING = 'webinfer:gateway:port-pending';
/** Page -> SW: "I could not connect to my engine host" (`message` says why). */
export const PORT_FAILED = 'webinfer:gateway:port-failed';
/** Page -> SW: "take control of me" (after a hard reload, which bypasses the SW). */
export const CLAIM = 'webinfer:gateway:claim';
/**
 * Page -> SW: "the request I tagged with this id was aborted". Chromium does not abort a
 * FetchEvent's `request.signal` while its response has not started (a request waiting in
 * the engine host's queue), so pages tag their /v1 requests (ABORT_HEADER) and say so.
 */
export const ABORT = 'webinfer:gateway:abort';
export const ABORT_HEADER = 'x-webinfer-abort-id';

export interface PortRequest {
  type: typeof PORT_REQUEST;
  id: string;
}

export interface PortAnswer {
  type: typeof PORT_ANSWER;
  id: string;
  /** A Web Lock the page holds for its lifetime: the SW learns when the page is gone. */
  lock?: string;
}

/** Settings the SW reads from its own script URL's query string. */
export interface GatewayUrlConfig {
  /** Path prefix the gateway answers under (default `/v1`). */
  base?: string;
  /** When set, requests must carry `Authorization: Bearer <apiKey>`. */
  apiKey?: string;
  /** Largest request body accepted, in bytes (default 16 MiB). */
  maxBodyBytes?: number;
  /** How long the SW waits for a first answer from a page (default 3000 ms; a page that is connecting gets 30 s). */
  portTimeoutMs?: number;
  /**
   * Cross-origin isolation without server configuration: the SW adds COOP `same-origin`
   * and this COEP to the app's own documents and worker scripts (see isolation.ts).
   */
  isolate?: IsolationPolicy;
}

export type IsolationPolicy = 'require-corp' | 'credentialless';

const KEYS = { base: 'base', apiKey: 'apiKey', maxBodyBytes: 'maxBody', portTimeoutMs: 'portTimeout', isolate: 'isolate' } as const;

/** `{ base: '/api/v1' }` -> `?base=%2Fapi%2Fv1` (only the keys that are set). */
export function configToQuery(config: GatewayUrlConfig): string {
  const q = new URLSearchParams();
  for (const [key, name] of Object.entries(KEYS) as Array<[keyof GatewayUrlConfig, string]>) {
    const value = config[key];
    if (value !== undefined && value !== null && value !== '') q.set(name, String(value));
  }
  const s = q.toString();
  return s ? `?${s}` : '';
}

export function configFromQuery(search: string): GatewayUrlConfig {
  const q = new URLSearchParams(search);
  const num = (name: string) => {
    const raw = q.get(name);
    const value = raw === null ? NaN : Number(raw);
    return Number.isFinite(value) && value > 0 ? value : undefined;
  };
  const config: GatewayUrlConfig = {};
  const base = q.get(KEYS.base);
  if (base) config.base = base;
  const apiKey = q.get(KEYS.apiKey);
  if (apiKey) config.apiKey = apiKey;
  const maxBody = num(KEYS.maxBodyBytes);
  if (maxBody !== undefined) config.maxBodyBytes = maxBody;
  const portTimeout = num(KEYS.portTimeoutMs);
  if (portTimeout !== undefined) config.portTimeoutMs = portTimeout;
  const isolate = q.get(KEYS.isolate);
  if (isolate === 'require-corp' || isolate === 'credentialless') config.isolate = isolate;
  return config;
}
