/// <reference lib="webworker" />
import { EngineUnavailableError, type BackendSource, type GatewayBackend } from './backend.js';
import { createGateway, type Gateway } from './gateway.js';
import { ABORT, CLAIM, PORT_ANSWER, PORT_FAILED, PORT_PENDING, PORT_REQUEST, configFromQuery, type GatewayUrlConfig, type PortRequest } from './messages.js';
import { portBackend, type PortBackend } from './port-backend.js';
import { needsIsolation, withIsolation } from './isolation.js';

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
export const DEFAULT_CONNECT_TIMEOUT_MS = 30_000;

/** Something a port request can be posted to (a window Client). */
export interface PortAsker {
  postMessage(message: PortRequest): void;
}

/**
 * Calls `onGone` once the page holding the Web Lock `lock` is gone (closed, navigated
 * away, crashed). Pages hold one for their lifetime (registerGateway); a MessagePort
 * gives no such signal in every browser.
 */
export type PageWatcher = (lock: string, onGone: () => void) => void;

/** How long a host gets to answer when the page that connected it went away. */
export const PING_TIMEOUT_MS = 3000;

export interface PagePortSourceOptions {
  /** The pages to ask (the SW: its window clients). */
  findPages: () => Promise<readonly PortAsker[]>;
  /** How long to wait for a first sign from a page before a 503 (default 3000 ms). */
  timeoutMs?: number;
  /** How long a page that said it is connecting gets to start its engine host (default 30 s). */
  connectTimeoutMs?: number;
  /** Learns when the page behind a port is gone (the SW: Web Locks). */
  watchPage?: PageWatcher;
  /** How long the host gets to answer once that page is gone (default 3000 ms). */
  pingTimeoutMs?: number;
}

interface Waiter {
  /** Pages that said they are connecting. */
  connecting: number;
  failures: string[];
  resolve(answer: { port: MessagePort; lock: string | undefined }): void;
  extend(): void;
  fail(): void;
}

/** Backends from pages, asked on demand, one at a time, kept until lost. */
export class PagePortSource implements BackendSource {
  private backend: PortBackend | null = null;
  private asking: Promise<PortBackend> | null = null;
  private readonly waiting = new Map<string, Waiter>();

  private readonly findPages: () => Promise<readonly PortAsker[]>;
  private readonly timeoutMs: number;
  private readonly connectTimeoutMs: number;
  private readonly pingTimeoutMs: number;
  private readonly watchPage: PageWatcher | undefined;

  constructor(options: PagePortSourceOptions) {
    this.findPages = options.findPages;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_PORT_TIMEOUT_MS;
    this.connectTimeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
    this.pingTimeoutMs = options.pingTimeoutMs ?? PING_TIMEOUT_MS;
    this.watchPage = options.watchPage;
  }

  /** How many times a page was asked for a port (diagnostics, tests). */
  asked = 0;

  get(): Promise<GatewayBackend> {
    if (this.backend && !this.backend.lost.aborted) return Promise.resolve(this.backend);
    if (this.backend) {
      this.backend.close();
      this.backend = null;
    }
    this.asking ??= this.ask()
      .then(({ port, lock }) => this.adopt(port, lock))
      .finally(() => { this.asking = null; });
    return this.asking;
  }

  private adopt(port: MessagePort, lock: string | undefined): PortBackend {
    const backend = portBackend(port);
    this.backend = backend;
    if (lock && this.watchPage) this.watchPage(lock, () => void this.pageGone(backend));
    return backend;
  }

  /**
   * The page that handed over this port is gone. New requests ask another page; the
   * host may live on (a SharedWorker serves the other tabs) or have ended with its last
   * page: if it does not answer, whatever still waits on it gets a 503.
   */
  private async pageGone(backend: PortBackend): Promise<void> {
    if (backend === this.backend) this.backend = null;
    if (await backend.ping(this.pingTimeoutMs)) backend.retire();
    else backend.close();
  }

  drop(backend: GatewayBackend): void {
    if (backend === this.backend) this.backend = null;
    (backend as Partial<PortBackend>).close?.();
  }

  /** A page's answer (the `message` event). Late or duplicate answers are released. */
  accept(id: string, port: MessagePort | undefined, lock?: string): void {
    if (!port) return;
    const waiter = this.waiting.get(id);
    if (waiter) {
      waiter.resolve({ port, lock });
    } else {
      portBackend(port).retire();
    }
  }

  /** A page said it is connecting (its engine host may still be starting): wait longer. */
  connecting(id: string): void {
    this.waiting.get(id)?.extend();
  }

  /** A page could not connect to its engine host. */
  failed(id: string, message: string): void {
    const waiter = this.waiting.get(id);
    if (!waiter) return;
    waiter.failures.push(message);
    // Only when every page that said it is connecting has failed.
    if (waiter.failures.length >= waiter.connecting) waiter.fail();
  }

  private async ask(): Promise<{ port: MessagePort; lock: string | undefined }> {
    const pages = await this.findPages();
    if (pages.length === 0) throw new EngineUnavailableError('No page of this app is open, so no engine host is running.');
    this.asked++;
    const id = crypto.randomUUID();
    return new Promise((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout>;
      const giveUp = (why: string) => {
        clearTimeout(timer);
        this.waiting.delete(id);
        reject(new EngineUnavailableError(why));
      };
      const arm = (ms: number, why: string) => {
        clearTimeout(timer);
        timer = setTimeout(() => giveUp(why), ms);
      };
      const waiter: Waiter = {
        connecting: 0,
        failures: [],
        resolve: (answer) => {
          clearTimeout(timer);
          this.waiting.delete(id);
          resolve(answer);
        },
        extend: () => {
          waiter.connecting++;
          arm(this.connectTimeoutMs, `The engine host did not start within ${this.connectTimeoutMs} ms.`);
        },
        fail: () => giveUp(`The page could not connect to its engine host: ${waiter.failures.join('; ')}.`),
      };
      arm(this.timeoutMs, `No page handed the gateway an engine host within ${this.timeoutMs} ms.`);
      this.waiting.set(id, waiter);
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
  const locks = (scope.navigator as Navigator & { locks?: LockManager }).locks;
  const source = new PagePortSource({
    findPages: () => scope.clients.matchAll({ type: 'window', includeUncontrolled: true }),
    timeoutMs: config.portTimeoutMs,
    // The page's lock becomes ours (briefly) exactly when the page is gone.
    watchPage: locks ? (lock, onGone) => void locks.request(lock, () => onGone()).catch(() => {}) : undefined,
  });
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
    const data = event.data as { type?: unknown; id?: unknown; lock?: unknown; message?: unknown } | null;
    if (typeof data?.id === 'string') {
      if (data.type === PORT_ANSWER) source.accept(data.id, event.ports[0], typeof data.lock === 'string' ? data.lock : undefined);
      else if (data.type === PORT_PENDING) source.connecting(data.id);
      else if (data.type === PORT_FAILED) source.failed(data.id, typeof data.message === 'string' ? data.message : 'unknown error');
      else if (data.type === ABORT) gateway.abort(data.id);
    }
    // A page loaded with a hard reload is not controlled until the SW claims it again.
    else if (data?.type === CLAIM) event.waitUntil(scope.clients.claim());
  });

  scope.addEventListener('fetch', (event) => {
    const url = new URL(event.request.url);
    if (config.isolate && needsIsolation(event.request, scope.location.origin)) {
      const policy = config.isolate;
      event.respondWith(fetch(event.request).then((response) => withIsolation(response, policy)));
      return;
    }
    if (url.origin !== scope.location.origin || !gateway.matches(url)) return;
    event.respondWith(gateway.handle(event.request, { waitUntil: (p) => event.waitUntil(p), clientId: event.clientId }));
  });

  return { gateway, source, config };
}
