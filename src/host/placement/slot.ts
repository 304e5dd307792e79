import * as Comlink from 'comlink';
import { watchLifeline } from '../../protocol/lifeline.js';
import { ServiceUnavailableError } from '../../protocol/errors.js';
import type { EngineWorkerApi, EngineWorkerInfo } from './protocol.js';
import { untilLost } from './port-read.js';

/** One engine worker as the host sees it: its API, what it can do, and a signal that fires when its tab is gone. */
export interface EngineWorker {
  api: Comlink.Remote<EngineWorkerApi>;
  info: EngineWorkerInfo;
  /** 1 for the first engine worker, 2 for the one after a handover, ... */
  generation: number;
  lost: AbortSignal;
}

/** How long a new engine worker may take to answer its first call. */
const INFO_MS = 15_000;
/** How long a request that needs the engine worker waits for a tab to provide one. */
const WAIT_MS = 60_000;

/**
 * The host's current engine worker. The elected tab attaches one (client/election.ts)
 * with the name of a lock it holds while it leads; the host watches that lock
 * (protocol/lifeline.ts) and learns the tab is gone when the browser grants it. The next
 * tab in the election then attaches a new worker; requests wait for it meanwhile.
 */
export class EngineWorkerSlot {
  private worker: EngineWorker | null = null;
  private waiters: Array<(w: EngineWorker) => void> = [];
  private generations = 0;
  private lostCount = 0;
  private readonly lose = new WeakMap<EngineWorker, () => void>();

  constructor(private readonly waitMs = WAIT_MS) {}

  async attach(port: MessagePort, lifeline: string | undefined): Promise<void> {
    const api = Comlink.wrap<EngineWorkerApi>(port);
    // A worker whose script failed to start never answers: the tab's attach fails instead of hanging.
    const silent = AbortSignal.timeout(INFO_MS);
    const info = await untilLost(api.info(), silent).catch((err) => {
      port.close();
      throw new ServiceUnavailableError(`The engine worker did not start: ${(err as Error).message}`, { code: 'engine_worker_unavailable' });
    });
    const lost = new AbortController();
    const watching = new AbortController();
    const worker: EngineWorker = { api, info, generation: ++this.generations, lost: lost.signal };
    const onLost = () => {
      if (lost.signal.aborted) return;
      lost.abort(new ServiceUnavailableError('The tab that ran the engine worker was closed; retry the request.', { code: 'engine_worker_lost' }));
      watching.abort();
      this.lostCount++;
      if (this.worker === worker) this.worker = null;
      port.close();
    };
    // A leader replaced while alive (its client was closed) is done with as well.
    if (this.worker) this.lose.get(this.worker)?.();
    this.lose.set(worker, onLost);
    this.worker = worker;
    watchLifeline(lifeline, watching.signal)?.addEventListener('abort', onLost, { once: true });
    for (const resolve of this.waiters.splice(0)) resolve(worker);
  }

  /** The live engine worker, waiting (up to a minute) for a tab to provide one. */
  current(signal: AbortSignal, waitMs = this.waitMs): Promise<EngineWorker> {
    if (this.worker && !this.worker.lost.aborted) return Promise.resolve(this.worker);
    if (signal.aborted) return Promise.reject(signal.reason);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => fail(new ServiceUnavailableError('No open tab of this app runs the engine worker (it needs a page with a webinfer client).', { code: 'engine_worker_unavailable' })), waitMs);
      const fail = (err: unknown) => {
        clearTimeout(timer);
        this.waiters = this.waiters.filter((w) => w !== done);
        reject(err);
      };
      const done = (w: EngineWorker) => {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        resolve(w);
      };
      const onAbort = () => fail(signal.reason);
      signal.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(done);
    });
  }

  /** The worker now attached, without waiting (for stats and placement choices). */
  peek(): EngineWorker | null {
    return this.worker && !this.worker.lost.aborted ? this.worker : null;
  }

  stats() {
    const w = this.peek();
    return { attached: !!w, generation: w?.generation ?? null, isolated: w?.info.isolated ?? null, threads: w?.info.threads ?? null, cores: w?.info.cores ?? null, handovers: this.lostCount };
  }
}
