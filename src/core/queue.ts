import { RateLimitError } from '../protocol/errors.js';
import { AbortError } from './abort.js';

/**
 * One engine, one job at a time: a bounded line of waiting requests, so a flood gets a
 * 429 instead of unbounded memory. A request aborted while waiting leaves the line at
 * once. Requests name their caller (a tab, the Service Worker's client): no caller may
 * hold more than `maxPerCaller` places, and the next turn goes to the caller served
 * longest ago (round robin between callers, arrival order within one), so one busy tab
 * cannot starve the others.
 */
export type Release = () => void;

interface Waiter {
  caller: string;
  grant: (release: Release) => void;
}

export interface QueueLimits {
  /** Requests that may wait behind the running one (default 32). */
  maxWaiting: number;
  /** Of those, how many one caller may hold (default half of maxWaiting, at least 1). */
  maxPerCaller?: number;
}

export const DEFAULT_MAX_WAITING = 32;

export function perCallerDefault(maxWaiting: number): number {
  return Math.max(1, Math.floor(maxWaiting / 2));
}

export class RequestQueue {
  private readonly waiting: Waiter[] = [];
  private busy = false;
  private maxWaiting: number;
  private maxPerCaller: number;
  /** When each caller last got its turn (a counter, not a clock). */
  private readonly served = new Map<string, number>();
  private turns = 0;

  constructor(limits: number | QueueLimits) {
    const l = typeof limits === 'number' ? { maxWaiting: limits } : limits;
    this.maxWaiting = l.maxWaiting;
    this.maxPerCaller = l.maxPerCaller ?? perCallerDefault(l.maxWaiting);
  }

  /** New limits, for requests that arrive from now on (those waiting keep their place). */
  setLimits(limits: QueueLimits): void {
    this.maxWaiting = limits.maxWaiting;
    this.maxPerCaller = limits.maxPerCaller ?? perCallerDefault(limits.maxWaiting);
  }

  get pending(): number {
    return this.waiting.length;
  }

  get running(): boolean {
    return this.busy;
  }

  acquire(signal?: AbortSignal, caller = ''): Promise<Release> {
    if (signal?.aborted) return Promise.reject(new AbortError());
    if (!this.busy) {
      this.busy = true;
      this.markServed(caller);
      return Promise.resolve(this.releaser());
    }
    if (this.waiting.length >= this.maxWaiting) {
      return Promise.reject(
        new RateLimitError(`The request queue is full (${this.maxWaiting} waiting). Retry later.`, { code: 'queue_full' }),
      );
    }
    // Unnamed callers (in-process use, tests) are not capped: they may be many.
    const mine = caller ? this.waiting.reduce((n, w) => n + (w.caller === caller ? 1 : 0), 0) : 0;
    if (caller && mine >= this.maxPerCaller) {
      return Promise.reject(
        new RateLimitError(
          `This caller already has ${mine} requests waiting (the most one tab or client may have, so others get their turn). Retry later.`,
          { code: 'queue_full' },
        ),
      );
    }
    return new Promise<Release>((resolve, reject) => {
      const waiter: Waiter = {
        caller,
        grant: (release) => { signal?.removeEventListener('abort', onAbort); resolve(release); },
      };
      const onAbort = () => {
        const at = this.waiting.indexOf(waiter);
        if (at !== -1) this.waiting.splice(at, 1);
        reject(new AbortError());
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiting.push(waiter);
    });
  }

  /** Runs `job` when its turn comes; the slot is released however it ends. */
  async run<T>(job: () => Promise<T>, signal?: AbortSignal, caller?: string): Promise<T> {
    const release = await this.acquire(signal, caller);
    try {
      return await job();
    } finally {
      release();
    }
  }

  private markServed(caller: string): void {
    this.served.set(caller, ++this.turns);
    // Forget callers with nothing waiting, so the map stays as small as the line.
    if (this.served.size > 4 * (this.maxWaiting + 1)) {
      for (const key of this.served.keys()) if (key !== caller && !this.waiting.some((w) => w.caller === key)) this.served.delete(key);
    }
  }

  /** The earliest waiter of the caller served longest ago. */
  private nextIndex(): number {
    let best = 0;
    let bestTurn = Infinity;
    for (let i = 0; i < this.waiting.length; i++) {
      const turn = this.served.get(this.waiting[i]!.caller) ?? 0;
      if (turn < bestTurn) {
        best = i;
        bestTurn = turn;
      }
    }
    return best;
  }

  private releaser(): Release {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      if (this.waiting.length === 0) {
        this.busy = false;
        return;
      }
      const [next] = this.waiting.splice(this.nextIndex(), 1);
      this.markServed(next!.caller);
      next!.grant(this.releaser());
    };
  }
}
