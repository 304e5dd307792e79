/**
 * A small seeded PRNG (xoshiro128**), so `seed` makes sampling reproducible across runs,
 * browsers and backends: the engine's own randomness is never used.
 */
export type Rng = () => number;

export function createRng(seed: number): Rng {
  // splitmix32 expands one number into four non-zero state words.
  let s = (Math.floor(seed) % 0x100000000) >>> 0;
  s = (s ^ Math.floor(seed / 0x100000000)) >>> 0;
  const next = () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
  let a = next(), b = next(), c = next(), d = next();
  return () => {
    const result = Math.imul(rotl(Math.imul(b, 5) >>> 0, 7), 9) >>> 0;
    const t = (b << 9) >>> 0;
    c ^= a; d ^= b; b ^= c; a ^= d; c ^= t;
    d = rotl(d, 11);
    return result / 0x100000000;
  };
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

export function randomSeed(): number {
  return Math.floor(Math.random() * 0x100000000);
}
