import { describe, expect, it } from 'vitest';
import { Channel } from '../../src/core/channel.js';
import { createRng, randomSeed } from '../../src/core/rng.js';

async function drain<T>(ch: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const v of ch) out.push(v);
  return out;
}

describe('Channel', () => {
  it('delivers values pushed before iteration, in order, then ends on close', async () => {
    const ch = new Channel<number>();
    ch.push(1);
    ch.push(2);
    ch.close();
    expect(await drain(ch)).toEqual([1, 2]);
  });

  it('delivers values pushed while the consumer waits', async () => {
    const ch = new Channel<string>();
    const done = drain(ch);
    for (const v of ['a', 'b', 'c']) {
      await new Promise((r) => setTimeout(r, 0));
      ch.push(v);
    }
    ch.close();
    expect(await done).toEqual(['a', 'b', 'c']);
  });

  it('delivers buffered values before a close wakes a waiter', async () => {
    const ch = new Channel<number>();
    const it = ch[Symbol.asyncIterator]();
    const first = it.next();
    ch.push(1);
    ch.push(2);
    ch.close();
    expect(await first).toEqual({ value: 1, done: false });
    expect(await it.next()).toEqual({ value: 2, done: false });
    expect((await it.next()).done).toBe(true);
  });

  it('fail() rejects a waiting consumer', async () => {
    const ch = new Channel<number>();
    const done = drain(ch);
    ch.push(1);
    await new Promise((r) => setTimeout(r, 0));
    ch.fail(new Error('engine crashed'));
    await expect(done).rejects.toThrow('engine crashed');
  });

  it('fail() after buffered values: the values first, then the error', async () => {
    const ch = new Channel<number>();
    ch.push(1);
    ch.fail(new Error('boom'));
    const it = ch[Symbol.asyncIterator]();
    expect(await it.next()).toEqual({ value: 1, done: false });
    await expect(it.next()).rejects.toThrow('boom');
  });

  it('ignores pushes and failures after close', async () => {
    const ch = new Channel<number>();
    ch.push(1);
    ch.close();
    ch.push(2);
    ch.fail(new Error('late'));
    expect(await drain(ch)).toEqual([1]);
  });
});

describe('createRng', () => {
  it('is deterministic for a seed and differs across seeds', () => {
    const seq = (seed: number) => { const r = createRng(seed); return Array.from({ length: 16 }, r); };
    expect(seq(42)).toEqual(seq(42));
    expect(seq(43)).not.toEqual(seq(42));
    expect(seq(0)).not.toEqual(seq(1));
    // Seeds beyond 32 bits (JS safe integers) still matter.
    expect(seq(2 ** 40 + 1)).not.toEqual(seq(1));
    expect(seq(-5)).toEqual(seq(-5));
  });

  it('yields values in [0, 1), spread evenly', () => {
    for (const seed of [0, 1, -1, 123456789, 2 ** 53 - 1]) {
      const r = createRng(seed);
      const buckets = new Array(10).fill(0);
      let outside = 0;
      for (let i = 0; i < 20000; i++) {
        const v = r();
        if (!(v >= 0 && v < 1)) outside++;
        else buckets[Math.floor(v * 10)]++;
      }
      expect(outside).toBe(0);
      for (const b of buckets) expect(Math.abs(b - 2000)).toBeLessThan(200);
    }
  });

  it('randomSeed gives integer seeds', () => {
    const s = randomSeed();
    expect(Number.isInteger(s)).toBe(true);
    expect(s).toBeGreaterThanOrEqual(0);
  });
});
