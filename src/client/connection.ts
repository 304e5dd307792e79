import * as Comlink from 'comlink';
import type { HostApi } from '../protocol/rpc.js';
import { installErrorTransfer } from '../protocol/rpc-errors.js';
import { joinElection } from './election.js';

/** Where a client finds its engine host. */
export type HostTarget = Worker | SharedWorker | MessagePort;

export interface Connection {
  api: Comlink.Remote<HostApi>;
  close(): void;
}

/**
 * Starts the bundled engine host: a SharedWorker where the browser has one (one copy of
 * the weights for every tab, engines needing nested workers in one tab's engine worker),
 * a dedicated Worker otherwise.
 */
export function startHost(shared = true): HostTarget {
  if (shared && typeof SharedWorker !== 'undefined') {
    return new SharedWorker(new URL('../../worker/host.ts', import.meta.url), { type: 'module', name: 'webinfer-host' });
  }
  return new Worker(new URL('../../worker/host.ts', import.meta.url), { type: 'module', name: 'webinfer-host' });
}

/**
 * `owned`: the client started this host itself (startHost), so closing the client ends a
 * dedicated worker host and frees its models; a host the app passed in stays the app's.
 */
export function connect(target: HostTarget, owned = false): Connection {
  installErrorTransfer();
  const endpoint = target instanceof MessagePort || target instanceof Worker ? target : target.port;
  if (endpoint instanceof MessagePort) endpoint.start();
  const api = Comlink.wrap<HostApi>(endpoint);
  // A SharedWorker host cannot start the workers that threads and GGUF need: each tab
  // offers to run them (client/election.ts); a dedicated host names no election.
  const election = joinElection(api);
  return {
    api,
    close() {
      election.leave();
      api[Comlink.releaseProxy]();
      if (endpoint instanceof MessagePort) endpoint.close();
      if (owned && endpoint instanceof Worker) endpoint.terminate();
    },
  };
}
