import { RateLimitError } from '../protocol/errors.js';
import { AbortError } from './abort.js';

/**
 * One engine, one job at a time: a FIFO of waiting requests, bounded so a flood gets a
 * 429 instead of unbounded memory. A request aborted while waiting leaves the line.
 */
export type Release = () => void;

interface Waiter {
  grant: (release: Release) => void;
  reject: (err: unknown) => void;
}

export class RequestQueue {
  private readonly waiting: Waiter[] = [];
  private busy = false;

  constructor(private readonly maxWaiting: number) {}

  get pending(): number {
    return this.waiting.length;
  }

  get running(): boolean {
    return this.busy;
  }

  acquire(signal?: AbortSignal): Promise<Release> {
    if (signal?.aborted) return Promise.reject(new AbortError());
    if (!this.busy) {
      this.busy = true;
      return Promise.resolve(this.releaser());
    }
    if (this.waiting.length >= this.maxWaiting) {
      return Promise.reject(
        new RateLimitError(`The request queue is full (${this.maxWaiting} waiting). Retry later.`, { code: 'queue_full' }),
      );
    }
    return new Promise<Release>((resolve, reject) => {
      const waiter: Waiter = {
        grant: (release) => { signal?.removeEventListener('abort', onAbort); resolve(release); },
        reject,
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
  async run<T>(job: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    const release = await this.acquire(signal);
    try {
      return await job();
    } finally {
      release();
    }
  }

  private releaser(): Release {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      if (next) next.grant(this.releaser());
      else this.busy = false;
    };
  }
}
