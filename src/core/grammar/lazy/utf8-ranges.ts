/**
 * Unicode code point ranges as UTF-8 byte-range sequences (the split Rust's regex-syntax
 * uses): each sequence is one byte range per position, and together they match exactly
 * the well-formed encodings of the code points (no surrogates, no overlong forms).
 */

export type ByteSeq = Array<[number, number]>;

const MAX = 0x10ffff;

/** The sequences for the union of `ranges` (inclusive, any order, may overlap). */
export function utf8Sequences(ranges: Array<[number, number]>): ByteSeq[] {
  const out: ByteSeq[] = [];
  for (const [lo, hi] of ranges) {
    // Split at the encoding-length boundaries and around the surrogates.
    for (const [a, b] of [[0, 0x7f], [0x80, 0x7ff], [0x800, 0xd7ff], [0xe000, 0xffff], [0x10000, MAX]] as const) {
      const x = Math.max(lo, a);
      const y = Math.min(hi, b);
      if (x <= y) split(x, y, out);
    }
  }
  return out;
}

function split(a: number, b: number, out: ByteSeq[]): void {
  const n = length(a);
  for (let i = 1; i < n; i++) {
    const m = (1 << (6 * i)) - 1;
    if ((a & ~m) !== (b & ~m)) {
      if ((a & m) !== 0) {
        split(a, a | m, out);
        split((a | m) + 1, b, out);
        return;
      }
      if ((b & m) !== m) {
        split(a, (b & ~m) - 1, out);
        split(b & ~m, b, out);
        return;
      }
    }
  }
  const ea = encode(a);
  const eb = encode(b);
  out.push(ea.map((x, i) => [x, eb[i]!]));
}

function length(cp: number): number {
  return cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
}

export function encode(cp: number): number[] {
  if (cp < 0x80) return [cp];
  if (cp < 0x800) return [0xc0 | (cp >> 6), 0x80 | (cp & 63)];
  if (cp < 0x10000) return [0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 63), 0x80 | (cp & 63)];
  return [0xf0 | (cp >> 18), 0x80 | ((cp >> 12) & 63), 0x80 | ((cp >> 6) & 63), 0x80 | (cp & 63)];
}

/** The complement of `ranges` within all code points. */
export function complement(ranges: Array<[number, number]>): Array<[number, number]> {
  const sorted = [...ranges].sort((x, y) => x[0] - y[0]);
  const out: Array<[number, number]> = [];
  let next = 0;
  for (const [lo, hi] of sorted) {
    if (lo > next) out.push([next, lo - 1]);
    next = Math.max(next, hi + 1);
  }
  if (next <= MAX) out.push([next, MAX]);
  return out;
}
