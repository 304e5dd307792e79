import { installAbortBridge } from './abort-bridge.js';
import { CLAIM, PORT_ANSWER, PORT_FAILED, PORT_PENDING, PORT_REQUEST, configToQuery, type GatewayUrlConfig } from '../gateway/messages.js';

/**
 * Page side of the Service Worker gateway: registers the SW (scope `/` by default) and
 * answers its requests for a port to this page's engine host with `client.createPort()`.
 * Every page that calls it can serve the SW; the SW asks again whenever it restarts.
 */
export interface GatewayRegistrationOptions extends Omit<GatewayUrlConfig, 'base' | 'isolate'> {
  /** The client whose engine host serves the gateway (anything with `createPort()`). */
  client: { createPort(): Promise<MessagePort> };
  /** URL of the SW script (default `/webinfer-sw.js`); settings are added to its query. */
  url?: string | URL;
  /** SW scope (default `/`). A script outside the scope's path needs `Service-Worker-Allowed`. */
  scope?: string;
  /** Path prefix the gateway serves (default `/v1`). */
  basePath?: string;
  /**
   * Cross-origin isolation without server configuration (for WASM threads): the SW adds
   * COOP/COEP to this app's documents and worker scripts. `true` = COEP `require-corp`;
   * `'credentialless'` loads cross-origin subresources without cookies instead of
   * requiring CORP. Opt-in: see the README for what it costs cross-origin embeds. The
   * page that registers first is isolated from its next load on (`handle.isolated`).
   */
  isolate?: boolean | 'require-corp' | 'credentialless';
  /** `module` (default; needed for the unbundled dev entry) or `classic` (the bundled file works as both). */
  type?: WorkerType;
  /**
   * Resolve only once this page is controlled by the gateway, so its `fetch('/v1/...')`
   * calls reach it (default 10000 ms; 0 = do not wait).
   */
  controlTimeoutMs?: number;
  /**
   * Tag this page's /v1 fetches so that aborting one while it waits in the queue frees its
   * place at once (default true; see abort-bridge.ts). It wraps `window.fetch` for URLs
   * under `basePath` only.
   */
  abortBridge?: boolean;
}

export interface GatewayHandle {
  registration: ServiceWorkerRegistration;
  /** `location.origin + basePath`: the `baseURL` for an OpenAI client. */
  baseURL: string;
  /** Whether this page is controlled by the gateway (its /v1 requests go through it). */
  readonly controlled: boolean;
  /** Whether this page is cross-origin isolated (WASM threads possible in its dedicated workers). */
  readonly isolated: boolean;
  /** How many ports this page handed to the SW (each SW start asks once). */
  readonly portsServed: number;
  /** Stop answering the SW from this page (other pages still can). */
  close(): void;
  /** Unregister the SW for everyone on this origin. */
  unregister(): Promise<boolean>;
}

export const DEFAULT_SW_URL = '/webinfer-sw.js';

export async function registerGateway(options: GatewayRegistrationOptions): Promise<GatewayHandle> {
  const container = navigator.serviceWorker;
  if (!container) throw new Error('Service Workers are not available here (they need a secure context: https or localhost).');
  const basePath = options.basePath ?? '/v1';
  const scriptUrl = new URL(options.url ?? DEFAULT_SW_URL, location.href);
  const query = new URLSearchParams(configToQuery({
    base: basePath,
    apiKey: options.apiKey,
    maxBodyBytes: options.maxBodyBytes,
    portTimeoutMs: options.portTimeoutMs,
    isolate: options.isolate === true ? 'require-corp' : options.isolate || undefined,
  }));
  for (const [key, value] of query) scriptUrl.searchParams.set(key, value);

  // A Web Lock held for this page's lifetime: the SW waits on it to learn that the page
  // (and maybe the engine host it connected) is gone. MessagePorts do not say so everywhere.
  const lock = `webinfer-gateway-page:${crypto.randomUUID()}`;
  let releaseLock = () => {};
  const locks = (navigator as Navigator & { locks?: LockManager }).locks;
  const lockHeld = locks
    ? new Promise<void>((held) => {
        void locks.request(lock, () => new Promise<void>((release) => { releaseLock = release; held(); }));
      })
    : Promise.resolve();

  // Answer port requests before registering: the SW may ask as soon as it runs.
  let portsServed = 0;
  const onMessage = (event: MessageEvent) => {
    const data = event.data as { type?: unknown; id?: unknown } | null;
    if (data?.type !== PORT_REQUEST || typeof data.id !== 'string') return;
    const sw = event.source as ServiceWorker | null;
    if (!sw) return;
    const id = data.id;
    // Say so at once: the engine host may take a while to start (first load of the page).
    sw.postMessage({ type: PORT_PENDING, id });
    Promise.all([options.client.createPort(), lockHeld]).then(
      ([port]) => {
        sw.postMessage({ type: PORT_ANSWER, id, ...(locks ? { lock } : {}) }, [port]);
        portsServed++;
      },
      (err: unknown) => {
        console.warn('[webinfer] could not hand the gateway a port:', err);
        sw.postMessage({ type: PORT_FAILED, id, message: String((err as Error)?.message ?? err) });
      },
    );
  };
  container.addEventListener('message', onMessage);
  container.startMessages();
  const unbridge = options.abortBridge === false ? () => {} : installAbortBridge(basePath, container);

  const scope = options.scope ?? '/';
  const registration = await container.register(scriptUrl.href, { scope, type: options.type ?? 'module' });
  const timeout = options.controlTimeoutMs ?? 10_000;
  const inScope = location.href.startsWith(new URL(registration.scope, location.href).href);
  const isOurs = () => container.controller?.scriptURL === scriptUrl.href;
  if (inScope && timeout > 0 && !isOurs()) await waitForControl(container, scriptUrl.href, timeout);

  return {
    registration,
    baseURL: location.origin + basePath,
    get controlled() {
      return isOurs();
    },
    get isolated() {
      return globalThis.crossOriginIsolated === true;
    },
    get portsServed() {
      return portsServed;
    },
    close() {
      container.removeEventListener('message', onMessage);
      unbridge();
      releaseLock();
    },
    unregister() {
      container.removeEventListener('message', onMessage);
      unbridge();
      releaseLock();
      return registration.unregister();
    },
  };
}

/**
 * The SW claims pages when it activates. A page that is still not controlled after that
 * (loaded with a hard reload, or the SW was already active) asks it to claim again.
 */
async function waitForControl(container: ServiceWorkerContainer, scriptUrl: string, timeoutMs: number): Promise<void> {
  const isOurs = () => container.controller?.scriptURL === scriptUrl;
  await new Promise<void>((resolve) => {
    const finish = () => {
      clearTimeout(timer);
      container.removeEventListener('controllerchange', check);
      resolve();
    };
    const check = () => { if (isOurs()) finish(); };
    const timer = setTimeout(finish, timeoutMs);
    container.addEventListener('controllerchange', check);
    void container.ready.then((reg) => {
      check();
      // `ready` may still be a previous version: the new one claims when it activates.
      if (!isOurs() && reg.active?.scriptURL === scriptUrl) reg.active.postMessage({ type: CLAIM });
    });
  });
}
