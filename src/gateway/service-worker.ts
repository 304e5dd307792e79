/// <reference lib="webworker" />
import { EngineUnavailableError, type BackendSource, type GatewayBackend } from './backend.js';
import { createGateway, type Gateway } from './gateway.js';
import { CLAIM, PORT_ANSWER, PORT_REQUEST, configFromQuery, type GatewayUrlConfig, type PortRequest } from './messages.js';
import { portBackend, type PortBackend } from './port-backend.js';

/**
 * The gateway inside a Service Worker. It answers only under its base path; every other
 * request is left alone (no respondWith: the browser fetches it as if there were no SW).
 *
 * The SW holds no engine: it asks the pages it serves for a port to their engine host
 * (`registerGateway()` answers with `client.createPort()`). When the browser stops the SW
 * (it does, after ~30 s idle) its globals are gone; the next request simply asks again.
 * The host is a SharedWorker owned by the pages, so the model is still loaded.
 */

export const DEFAULT_PORT_TIMEOUT_MS = 3000;

/** Something a port request can be posted to (a window Client). */
export interface PortAsker {
  postMessage(message: PortRequest): void;
}

/** Backends from pages, asked on demand, one at a time, kept until lost. */
export class PagePortSource implements BackendSource {
  private backend: PortBackend | null = null;
  private pending: Promise<PortBackend> | null = null;
  private readonly waiting = new Map<string, (port: MessagePort) => void>();

  constructor(
    private readonly findPages: () => Promise<readonly PortAsker[]>,
    private readonly timeoutMs = DEFAULT_PORT_TIMEOUT_MS,
  ) {}

  /** How many times a page was asked for a port (diagnostics, tests). */
  asked = 0;

  get(): Promise<GatewayBackend> {
    if (this.backend && !this.backend.lost.aborted) return Promise.resolve(this.backend);
    if (this.backend) {
      this.backend.close();
      this.backend = null;
    }
    this.pending ??= this.ask()
      .then((port) => (this.backend = portBackend(port)))
      .finally(() => { this.pending = null; });
    return this.pending;
  }

  drop(backend: GatewayBackend): void {
    if (backend === this.backend) this.backend = null;
    (backend as Partial<PortBackend>).close?.();
  }

  /** A page's answer (the `message` event). Late or duplicate answers are released. */
  accept(id: string, port: MessagePort | undefined): void {
    if (!port) return;
    const resolve = this.waiting.get(id);
    if (resolve) {
      this.waiting.delete(id);
      resolve(port);
    } else {
      portBackend(port).close();
    }
  }

  private async ask(): Promise<MessagePort> {
    const pages = await this.findPages();
    if (pages.length === 0) throw new EngineUnavailableError('No page of this app is open, so no engine host is running.');
    this.asked++;
    const id = crypto.randomUUID();
    return new Promise<MessagePort>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        reject(new EngineUnavailableError(`No page handed the gateway an engine host within ${this.timeoutMs} ms.`));
      }, this.timeoutMs);
      this.waiting.set(id, (port) => {
        clearTimeout(timer);
        resolve(port);
      });
      // Every open page is asked; the first answer wins, the others are released.
      for (const page of pages) page.postMessage({ type: PORT_REQUEST, id });
    });
  }
}

export interface ServiceWorkerGateway {
  gateway: Gateway;
  source: PagePortSource;
  config: GatewayUrlConfig;
}

/**
 * Wires the gateway into a Service Worker global scope. Settings come from the SW
 * script's query string (see `registerGateway`), so they survive the SW being restarted.
 */
export function installServiceWorkerGateway(
  scope: ServiceWorkerGlobalScope,
  config: GatewayUrlConfig = configFromQuery(scope.location.search),
): ServiceWorkerGateway {
  const source = new PagePortSource(
    () => scope.clients.matchAll({ type: 'window', includeUncontrolled: true }),
    config.portTimeoutMs ?? DEFAULT_PORT_TIMEOUT_MS,
  );
  const gateway = createGateway({
    backend: source,
    basePath: config.base,
    apiKey: config.apiKey ?? null,
    maxBodyBytes: config.maxBodyBytes,
  });

  // Control the first page load, without waiting for a reload.
  scope.addEventListener('install', () => void scope.skipWaiting());
  scope.addEventListener('activate', (event) => event.waitUntil(scope.clients.claim()));

  scope.addEventListener('message', (event) => {
    const data = event.data as { type?: unknown; id?: unknown } | null;
    if (data?.type === PORT_ANSWER && typeof data.id === 'string') source.accept(data.id, event.ports[0]);
    // A page loaded with a hard reload is not controlled until the SW claims it again.
    else if (data?.type === CLAIM) event.waitUntil(scope.clients.claim());
  });

  scope.addEventListener('fetch', (event) => {
    const url = new URL(event.request.url);
    if (url.origin !== scope.location.origin || !gateway.matches(url)) return;
    event.respondWith(gateway.handle(event.request, { waitUntil: (p) => event.waitUntil(p) }));
  });

  return { gateway, source, config };
}
