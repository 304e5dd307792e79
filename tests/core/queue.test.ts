import { describe, expect, it } from 'vitest';
import { AbortError, isAbort } from '../../src/core/abort.js';
import { RequestQueue, type Release } from '../../src/core/queue.js';
import { RateLimitError } from '../../src/protocol/errors.js';

const tick = () => new Promise((r) => setTimeout(r, 0));

describe('RequestQueue', () => {
  it('grants the first caller at once and the rest in FIFO order', async () => {
    const q = new RequestQueue(10);
    const order: string[] = [];
    const first = await q.acquire();
    expect(q.running).toBe(true);
    const waiting = ['a', 'b', 'c'].map((name) => q.acquire().then((release) => ({ name, release })));
    expect(q.pending).toBe(3);
    let next = first;
    for (const p of waiting) {
      next();
      const { name, release } = await p;
      order.push(name);
      next = release;
    }
    expect(order).toEqual(['a', 'b', 'c']);
    next();
    expect(q.running).toBe(false);
    expect(q.pending).toBe(0);
  });

  it('runs one job at a time, in order, and releases even when a job throws', async () => {
    const q = new RequestQueue(10);
    const log: string[] = [];
    let active = 0;
    const job = (name: string, fail = false) => q.run(async () => {
      active++;
      expect(active).toBe(1);
      log.push(`start ${name}`);
      await tick();
      log.push(`end ${name}`);
      active--;
      if (fail) throw new Error(name);
      return name;
    });
    const results = await Promise.allSettled([job('a'), job('b', true), job('c')]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(log).toEqual(['start a', 'end a', 'start b', 'end b', 'start c', 'end c']);
    expect(q.running).toBe(false);
  });

  it('answers 429 queue_full beyond maxWaiting, without disturbing the line', async () => {
    const q = new RequestQueue(1);
    const release = await q.acquire();
    const second = q.acquire();
    const err = await q.acquire().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RateLimitError);
    expect((err as RateLimitError).status).toBe(429);
    expect((err as RateLimitError).code).toBe('queue_full');
    expect(q.pending).toBe(1);
    release();
    (await second)();
    expect(q.running).toBe(false);
  });

  it('an abort while waiting leaves the line; the others keep their turn', async () => {
    const q = new RequestQueue(5);
    const release = await q.acquire();
    const ctrl = new AbortController();
    const aborted = q.acquire(ctrl.signal);
    const after = q.acquire();
    expect(q.pending).toBe(2);
    ctrl.abort();
    await expect(aborted).rejects.toBeInstanceOf(AbortError);
    expect(q.pending).toBe(1);
    release();
    const next = await after;
    expect(q.pending).toBe(0);
    next();
    expect(q.running).toBe(false);
  });

  it('rejects an already aborted signal at once, and never grants it', async () => {
    const q = new RequestQueue(5);
    const ctrl = new AbortController();
    ctrl.abort();
    const err = await q.acquire(ctrl.signal).catch((e: unknown) => e);
    expect(isAbort(err)).toBe(true);
    expect(q.running).toBe(false);
  });

  it('an abort after the grant changes nothing', async () => {
    const q = new RequestQueue(5);
    const hold = await q.acquire();
    const ctrl = new AbortController();
    const p = q.acquire(ctrl.signal);
    hold();
    const release = await p;
    ctrl.abort();
    expect(q.running).toBe(true);
    const next = q.acquire();
    release();
    (await next)();
    expect(q.running).toBe(false);
  });

  it('a release called twice frees only one slot', async () => {
    const q = new RequestQueue(5);
    const first = await q.acquire();
    const second = q.acquire();
    const third = q.acquire();
    first();
    first();
    await second;
    expect(q.pending).toBe(1); // third still waits
    (await second)();
    (await third)();
    expect(q.running).toBe(false);
  });

  it('one caller cannot take every place: a 429 past its share, the others still get in', async () => {
    const q = new RequestQueue({ maxWaiting: 4, maxPerCaller: 2 });
    const running = await q.acquire(undefined, 'tab-a');
    const a1 = q.acquire(undefined, 'tab-a');
    const a2 = q.acquire(undefined, 'tab-a');
    const err = await q.acquire(undefined, 'tab-a').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RateLimitError);
    expect((err as RateLimitError).code).toBe('queue_full');
    const b1 = q.acquire(undefined, 'tab-b');
    expect(q.pending).toBe(3);
    running();
    // tab-a just ran: tab-b's turn first.
    (await b1)();
    (await a1)();
    (await a2)();
    expect(q.running).toBe(false);
  });

  it('turns go round robin between callers, in arrival order within one', async () => {
    const q = new RequestQueue(16);
    const order: string[] = [];
    const names = ['a1', 'a2', 'a3', 'b1', 'b2', 'c1'];
    let release: Release = await q.acquire(undefined, 'a');
    const granted = names.map((name) => q.acquire(undefined, name[0]).then((r) => { order.push(name); return r; }));
    for (let i = 0; i < names.length; i++) {
      release();
      await tick();
      release = await granted[names.indexOf(order.at(-1)!)]!;
    }
    release();
    // 'a' just ran: b, then c, then a (served longest ago), then b, a, a.
    expect(order).toEqual(['b1', 'c1', 'a1', 'b2', 'a2', 'a3']);
    expect(q.running).toBe(false);
  });
});
