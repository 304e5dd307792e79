import * as Comlink from 'comlink';
import type { GenerationCallOptions, HostApi } from '../protocol/rpc.js';
import { portStream } from '../protocol/port-stream.js';
import { lifeline } from '../protocol/lifeline.js';
import { installErrorTransfer } from '../protocol/rpc-errors.js';
import { EngineUnavailableError, type CallOptions, type GatewayBackend } from './backend.js';
import { untilLost } from './sse.js';

/**
 * A backend over a MessagePort to the engine host (what a page's `client.createPort()`
 * hands over). The port only carries calls: a response stream, once handed over, is
 * its own channel to the host and does not need the port any more.
 */
export interface PortBackend extends GatewayBackend {
  readonly lost: AbortSignal;
  /** Whether the host answers a call within `ms`. */
  ping(ms: number): Promise<boolean>;
  /** No more calls through this port; streams already handed out keep going. */
  retire(): void;
  /** The host is gone: whatever still waits on it fails with a 503; the port is released. */
  close(): void;
}

export function portBackend(port: MessagePort): PortBackend {
  installErrorTransfer();
  const lost = new AbortController();
  let retired = false;
  const markLost = () => {
    if (!lost.signal.aborted) lost.abort(new EngineUnavailableError('The engine host went away.'));
  };
  // Where the browser fires it (the entangled port's owner is gone), this is immediate.
  port.addEventListener('close', markLost);
  const api = Comlink.wrap<HostApi>(port);
  port.start();
  const guard = <T>(p: Promise<T>): Promise<T> => untilLost(p, lost.signal);
  const backend: PortBackend = {
    lost: lost.signal,
    listModels: () => guard(api.listModels()),
    retrieveModel: (id) => guard(api.retrieveModel(id)),
    // The lifeline lets the host abort these requests if this context (the SW) is stopped mid-stream.
    chatCompletion: async (body, options) => portStream(await guard(api.chatCompletion(body, await callOptions(options)))),
    completion: async (body, options) => portStream(await guard(api.completion(body, await callOptions(options)))),
    response: async (body, options) => portStream(await guard(api.response(body, await callOptions(options)))),
    retrieveResponse: (id) => guard(api.retrieveResponse(id)),
    deleteResponse: (id) => guard(api.deleteResponse(id)),
    listResponseInputItems: (id, query) => guard(api.listResponseInputItems(id, query)),
    async ping(ms) {
      if (lost.signal.aborted || retired) return false;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timeout = new Promise<false>((resolve) => { timer = setTimeout(() => resolve(false), ms); });
      try {
        return await Promise.race([guard(api.stats()).then(() => true, () => false), timeout]);
      } finally {
        clearTimeout(timer);
      }
    },
    retire() {
      if (retired) return;
      retired = true;
      port.removeEventListener('close', markLost);
      // RELEASE lets the host stop serving its end; then close ours (Comlink 4.4 never
      // resolves its own release promise, so do not wait for it).
      try {
        void api[Comlink.releaseProxy]();
      } catch {
        // Already released.
      }
      setTimeout(() => port.close(), 200);
    },
    close() {
      markLost();
      backend.retire();
    },
  };
  return backend;
}

/** The caller's lifeline (so the host can abort these requests if this context, the SW, is stopped mid-stream) and its tab. */
async function callOptions(options: CallOptions | undefined): Promise<GenerationCallOptions> {
  return { lifeline: await lifeline(), caller: options?.caller };
}

/** An in-process host (`createHost().api`) as a gateway backend: its request ports read as streams. */
export function hostBackend(api: HostApi): GatewayBackend {
  return {
    listModels: () => api.listModels(),
    retrieveModel: (id) => api.retrieveModel(id),
    chatCompletion: async (body, options) => portStream(await api.chatCompletion(body, { caller: options?.caller })),
    completion: async (body, options) => portStream(await api.completion(body, { caller: options?.caller })),
    response: async (body, options) => portStream(await api.response(body, { caller: options?.caller })),
    retrieveResponse: (id) => api.retrieveResponse(id),
    deleteResponse: (id) => api.deleteResponse(id),
    listResponseInputItems: (id, query) => api.listResponseInputItems(id, query),
  };
}
