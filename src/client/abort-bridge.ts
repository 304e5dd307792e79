import { ABORT, ABORT_HEADER } from '../gateway/messages.js';

/**
 * Carries aborts of this page's /v1 requests to the Service Worker gateway. Chromium
 * aborts a FetchEvent's `request.signal` only once its response has started, so a request
 * still waiting in the engine host's queue would keep its place until its turn. While
 * installed, `fetch` tags requests under `basePath` that have an AbortSignal with an id
 * header, and an abort posts that id to the controlling SW, which aborts the request at
 * once. Every other request passes through untouched.
 */
export function installAbortBridge(basePath: string, container: ServiceWorkerContainer): () => void {
  const original = globalThis.fetch;
  const base = new URL(basePath, location.href).href.replace(/\/+$/, '');
  const bridged = (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const url = input instanceof Request ? input.url : new URL(String(input), location.href).href;
    const signal = init?.signal ?? (input instanceof Request ? input.signal : undefined);
    const ours = url === base || url.startsWith(`${base}/`) || url.startsWith(`${base}?`);
    if (!ours || !signal || signal.aborted) return original(input, init);
    const request = new Request(input, init);
    const id = crypto.randomUUID();
    request.headers.set(ABORT_HEADER, id);
    const onAbort = () => container.controller?.postMessage({ type: ABORT, id });
    signal.addEventListener('abort', onAbort, { once: true });
    // Once the answer has started, the SW sees the abort itself (the body is cancelled).
    return original(request).finally(() => signal.removeEventListener('abort', onAbort));
  };
  globalThis.fetch = bridged;
  return () => {
    if (globalThis.fetch === bridged) globalThis.fetch = original;
  };
}
