import type { TokenVocabulary } from '../engine.js';

/**
 * A UTF-8 guard for constrained decoding. xgrammar matches byte-level tokens with a
 * lenient UTF-8 decoder: it lets a model write overlong forms, surrogates and bytes that
 * never occur in UTF-8 (C0 80, ED A0 80, F5 ...), which then decode to several U+FFFD and
 * break what the grammar promised (a `maxLength`, an exact string). This mask allows only
 * tokens that keep the output valid UTF-8, given where the previous token left off.
 *
 * The decoder has 8 states (Unicode's table of well-formed byte sequences): at a character
 * boundary, or inside a sequence with 1-3 continuation bytes left and a range for the next.
 */

interface State {
  left: number;
  lo: number;
  hi: number;
}

const STATES: State[] = [
  { left: 0, lo: 0, hi: 0 },
  { left: 1, lo: 0x80, hi: 0xbf },
  { left: 2, lo: 0xa0, hi: 0xbf }, // after E0
  { left: 2, lo: 0x80, hi: 0xbf },
  { left: 2, lo: 0x80, hi: 0x9f }, // after ED
  { left: 3, lo: 0x90, hi: 0xbf }, // after F0
  { left: 3, lo: 0x80, hi: 0xbf },
  { left: 3, lo: 0x80, hi: 0x8f }, // after F4
];

/** The state after `byte`, or -1 if the byte makes the text invalid. */
export function utf8Step(state: number, byte: number): number {
  const s = STATES[state]!;
  if (s.left > 0) {
    if (byte < s.lo || byte > s.hi) return -1;
    return s.left === 1 ? 0 : s.left === 2 ? 1 : 3;
  }
  if (byte < 0x80) return 0;
  if (byte >= 0xc2 && byte <= 0xdf) return 1;
  if (byte === 0xe0) return 2;
  if ((byte >= 0xe1 && byte <= 0xec) || byte === 0xee || byte === 0xef) return 3;
  if (byte === 0xed) return 4;
  if (byte === 0xf0) return 5;
  if (byte >= 0xf1 && byte <= 0xf3) return 6;
  if (byte === 0xf4) return 7;
  return -1;
}

/** Per decoder state: which tokens may come next (bitmasks like xgrammar's). Built once per vocabulary. */
export interface Utf8Tables {
  bytes: Array<Uint8Array | null>;
  masks: Int32Array[];
}

export function utf8Tables(bytes: Array<Uint8Array | null>, words: number): Utf8Tables {
  const masks = STATES.map((_, s) => {
    const mask = new Int32Array(words);
    bytes.forEach((b, id) => {
      if (!b || run(s, b) !== -1) mask[id >> 5]! |= 1 << (id & 31);
    });
    return mask;
  });
  return { bytes, masks };
}

/** One generation's decoder state. */
export class Utf8Guard {
  private readonly masks: Int32Array[];
  private readonly bytes: Array<Uint8Array | null>;
  private state = 0;

  constructor(tables: Utf8Tables) {
    this.masks = tables.masks;
    this.bytes = tables.bytes;
  }

  /** Restricts `mask` (in place) to tokens that keep the text valid UTF-8. */
  apply(mask: Int32Array): Int32Array {
    const allowed = this.masks[this.state]!;
    for (let i = 0; i < mask.length; i++) mask[i]! &= allowed[i] ?? 0;
    return mask;
  }

  accept(id: number): void {
    const b = this.bytes[id];
    if (!b) return;
    const next = run(this.state, b);
    this.state = next === -1 ? 0 : next;
  }
}

function run(state: number, bytes: Uint8Array): number {
  let s = state;
  for (const byte of bytes) {
    s = utf8Step(s, byte);
    if (s === -1) return -1;
  }
  return s;
}

/**
 * The bytes each token writes, where tokens can be parts of characters (byte-level BPE,
 * SentencePiece byte fallback); null when every token is whole text (no guard needed).
 */
export function tokenBytes(vocab: TokenVocabulary): Array<Uint8Array | null> | null {
  const encoder = new TextEncoder();
  if (vocab.vocabType === 'byte_level') {
    // Every GPT-2 symbol is below U+0144: a table by char code; anything else is UTF-8 text.
    const table = new Int16Array(0x144).fill(-1);
    for (const [ch, b] of gpt2UnicodeToBytes()) table[ch.charCodeAt(0)] = b;
    // One buffer for all tokens (views into it): 150k small arrays would keep the GC busy.
    let total = 0;
    for (const t of vocab.tokens) total += t ? t.length * 3 : 0;
    const buffer = new Uint8Array(total);
    let at = 0;
    return vocab.tokens.map((t) => {
      if (!t) return null;
      const start = at;
      for (let i = 0; i < t.length; i++) {
        const code = t.charCodeAt(i);
        const b = code < 0x144 ? table[code]! : -1;
        if (b >= 0) buffer[at++] = b;
        else {
          const cp = t.codePointAt(i)!;
          const ch = String.fromCodePoint(cp);
          if (cp > 0xffff) i++;
          at += encoder.encodeInto(ch, buffer.subarray(at)).written;
        }
      }
      return buffer.subarray(start, at);
    });
  }
  if (vocab.vocabType === 'byte_fallback') {
    return vocab.tokens.map((t) => {
      if (!t) return null;
      const m = /^<0x([0-9A-Fa-f]{2})>$/.exec(t);
      if (m) return Uint8Array.of(parseInt(m[1]!, 16));
      return encoder.encode(t.replace(/\u2581/g, ' '));
    });
  }
  return null;
}

/** GPT-2's byte <-> printable character table, reversed. */
function gpt2UnicodeToBytes(): Map<string, number> {
  const bs: number[] = [];
  for (let i = 0x21; i <= 0x7e; i++) bs.push(i);
  for (let i = 0xa1; i <= 0xac; i++) bs.push(i);
  for (let i = 0xae; i <= 0xff; i++) bs.push(i);
  const cs = [...bs];
  let n = 0;
  for (let b = 0; b < 256; b++) {
    if (!bs.includes(b)) {
      bs.push(b);
      cs.push(256 + n++);
    }
  }
  return new Map(bs.map((b, i) => [String.fromCodePoint(cs[i]!), b]));
}
