import * as Comlink from 'comlink';
import type { HostApi } from '../protocol/rpc.js';
import { installErrorTransfer } from '../protocol/rpc-errors.js';

/** Where a client finds its engine host. */
export type HostTarget = Worker | SharedWorker | MessagePort;

export interface Connection {
  api: Comlink.Remote<HostApi>;
  close(): void;
}

/**
 * Starts the bundled engine host: a SharedWorker where the browser has one (one copy of
 * the weights for every tab), a dedicated Worker otherwise.
 */
export function startHost(shared = true): HostTarget {
  if (shared && typeof SharedWorker !== 'undefined') {
    return new SharedWorker(new URL('../../worker/host.ts', import.meta.url), { type: 'module', name: 'webinfer-host' });
  }
  return new Worker(new URL('../../worker/host.ts', import.meta.url), { type: 'module', name: 'webinfer-host' });
}

export function connect(target: HostTarget): Connection {
  installErrorTransfer();
  const endpoint = target instanceof MessagePort || target instanceof Worker ? target : target.port;
  if (endpoint instanceof MessagePort) endpoint.start();
  const api = Comlink.wrap<HostApi>(endpoint);
  return {
    api,
    close() {
      api[Comlink.releaseProxy]();
      if (endpoint instanceof MessagePort) endpoint.close();
    },
  };
}
