import * as Comlink from 'comlink';
import type { HostApi } from '../protocol/rpc.js';

/** Held by the leader while it leads: the host watches it (protocol/lifeline.ts naming). */
const LEADERSHIP = 'webinfer-lifeline-engine-worker-';

export interface Election {
  /** Leaves the election; a leader stops its worker and hands over to the next tab. */
  leave(): void;
}

/**
 * Every tab with a client of a SharedWorker host takes part, on the lock the host names
 * (one election per host): the tab that holds it starts the engine worker
 * (worker/engine-worker.ts) and hands the host a port to it. When that tab closes, the
 * browser grants the lock to the next tab, which starts a new one; the host sees the old
 * leader's lock released and moves its models over on next use.
 */
export function joinElection(host: Comlink.Remote<HostApi>): Election {
  const locks = (globalThis.navigator as Navigator & { locks?: LockManager }).locks;
  const left = new AbortController();
  if (!locks || typeof Worker === 'undefined') return { leave: () => left.abort() };
  void host.engineWorkerElection().then((name) => {
    if (!name || left.signal.aborted) return;
    return locks.request(name, { signal: left.signal }, () => lead(locks, host, left.signal));
  }).catch(() => {}); // left before winning, or a host without placement
  return { leave: () => left.abort() };
}

/** Runs the engine worker until this tab leaves the election (or closes). */
async function lead(locks: LockManager, host: Comlink.Remote<HostApi>, left: AbortSignal): Promise<void> {
  if (left.aborted) return;
  const leadership = LEADERSHIP + crypto.randomUUID();
  const ended = new Promise<void>((resolve) => left.addEventListener('abort', () => resolve(), { once: true }));
  let granted!: () => void;
  const holding = new Promise<void>((resolve) => (granted = resolve));
  void locks.request(leadership, () => { granted(); return ended; });
  await holding;
  // A worker that starts too slowly (a loaded machine) is refused by the host: start another
  // rather than lead with none (no other tab would take over while this one holds the lock).
  for (let attempt = 1; !left.aborted; attempt++) {
    const worker = new Worker(new URL('../../worker/engine-worker.ts', import.meta.url), { type: 'module', name: 'webinfer-engine' });
    const { port1, port2 } = new MessageChannel();
    worker.postMessage(null, [port1]);
    try {
      await host.attachEngineWorker(Comlink.transfer(port2, [port2]), leadership);
    } catch (err) {
      worker.terminate();
      if (attempt >= ATTACH_ATTEMPTS) throw err;
      continue;
    }
    try {
      await ended;
    } finally {
      worker.terminate();
    }
  }
}

/** Engine workers a leader starts before it gives the lead up (the host refused each: it did not answer in time). */
const ATTACH_ATTEMPTS = 3;
