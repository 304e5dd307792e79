import type { IsolationPolicy } from './messages.js';

/**
 * Cross-origin isolation from the Service Worker (opt-in, `registerGateway({ isolate })`):
 * WASM threads need SharedArrayBuffer, which needs the page to be cross-origin isolated,
 * which needs COOP/COEP response headers that many hosts (static hosting, CDNs) cannot
 * set. The SW serves the app's own same-origin documents and worker scripts with them.
 *
 * Trade-offs, as with the headers themselves: `same-origin` COOP cuts the page off from
 * cross-origin popups it opens (OAuth popups lose `window.opener`); COEP `require-corp`
 * blocks cross-origin subresources (images, scripts, iframes) that do not send CORP or
 * CORS headers, `credentialless` (Chromium, Firefox) loads them without cookies instead.
 * The first visit is not controlled by the SW yet: isolation starts with the next load.
 */

/**
 * Requests whose responses decide isolation: documents and frames, and dedicated worker
 * scripts (their COEP must match the page's, or onnxruntime's thread workers never start).
 * Not SharedWorker scripts: a SharedWorker gets no threads in Chrome anyway, and pages
 * loaded before and after isolation must keep reaching the same host.
 */
export function needsIsolation(request: Pick<Request, 'mode' | 'destination' | 'url'>, origin: string): boolean {
  if (new URL(request.url).origin !== origin) return false;
  return request.mode === 'navigate' || request.destination === 'document' || request.destination === 'iframe' || request.destination === 'worker';
}

/** The same response with COOP/COEP (and CORP for itself) added; opaque and error responses pass unchanged. */
export function withIsolation(response: Response, policy: IsolationPolicy): Response {
  if (response.type === 'opaque' || response.type === 'opaqueredirect' || response.status === 0) return response;
  const headers = new Headers(response.headers);
  headers.set('Cross-Origin-Opener-Policy', 'same-origin');
  headers.set('Cross-Origin-Embedder-Policy', policy);
  headers.set('Cross-Origin-Resource-Policy', 'same-origin');
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
}
