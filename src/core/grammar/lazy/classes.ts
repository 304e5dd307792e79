import { utf8Sequences, type ByteSeq } from './utf8-ranges.js';
import { trieOf, type Pause, type Trie } from './trie.js';

/**
 * The vocabulary split by a character class, computed once per vocabulary (llguidance's
 * precomputed token sets): inside a JSON string most of a 150k vocabulary is allowed, and
 * walking the whole trie there costs milliseconds. A token is either made only of class
 * characters (`upTo[n]`: those with at most n characters), or k class characters and then
 * something else (`rest[k]`: a small trie of what follows the k characters). Where every
 * class character leads a configuration to the same next one (checked per configuration
 * on the parser's own transitions, see LazyGrammar), the mask is upTo[n] for as many
 * characters as the chain allows, plus walks of the small rest tries.
 */

export interface CharClass {
  /** Whether a (valid) code point is in the class. */
  has(cp: number): boolean;
  /** Its UTF-8 byte-range sequences. */
  seqs: ByteSeq[];
}

/** What a JSON string may hold unescaped. */
export const JSON_STRING_CHAR: CharClass = {
  has: (cp) => cp >= 0x20 && cp !== 0x22 && cp !== 0x5c,
  seqs: utf8Sequences([[0x20, 0x21], [0x23, 0x5b], [0x5d, 0x10ffff]]),
};

/** Longest class-only token counted (longer ones go to the rest tries). */
const MAX_CHARS = 256;

export interface ClassTables {
  cls: CharClass;
  /** upTo[n]: the tokens made of 1..n class characters only. */
  upTo: Int32Array[];
  maxChars: number;
  /** rest[k]: tokens with exactly k leading class characters, keyed by the bytes after them. */
  rest: Trie[];
}

export async function classTables(
  cls: CharClass,
  bytes: Array<Uint8Array | null>,
  ids: number[],
  keys: string[],
  words: number,
  pause: Pause,
): Promise<ClassTables> {
  const byCount: number[][] = [];
  const restIds: number[][] = [];
  const restKeys: string[] = new Array(keys.length);
  for (let n = 0; n < ids.length; n++) {
    const id = ids[n]!;
    const b = bytes[id]!;
    let at = 0;
    let chars = 0;
    for (;;) {
      const len = charLength(b, at);
      if (len === 0 || !cls.has(codePoint(b, at, len))) break;
      at += len;
      chars++;
    }
    if (at === b.length && chars <= MAX_CHARS) {
      (byCount[chars] ??= []).push(id);
    } else {
      (restIds[chars] ??= []).push(id);
      restKeys[id] = keys[id]!.slice(at);
    }
    if ((n & 8191) === 0) await pause();
  }
  const maxChars = byCount.length - 1;
  const upTo: Int32Array[] = [new Int32Array(words)];
  for (let c = 1; c <= maxChars; c++) {
    const mask = upTo[c - 1]!.slice();
    for (const id of byCount[c] ?? []) mask[id >> 5]! |= 1 << (id & 31);
    upTo.push(mask);
  }
  const same = new Int32Array(bytes.length).fill(-1);
  const rest: Trie[] = [];
  for (let k = 0; k < restIds.length; k++) rest.push(await trieOf(restIds[k] ?? [], restKeys, same, pause));
  return { cls, upTo, maxChars, rest };
}

/** The length of the well-formed UTF-8 character at `at`, or 0 (none, or cut off). */
function charLength(b: Uint8Array, at: number): number {
  if (at >= b.length) return 0;
  const x = b[at]!;
  if (x < 0x80) return 1;
  let len: number;
  let lo = 0x80;
  let hi = 0xbf;
  if (x >= 0xc2 && x <= 0xdf) len = 2;
  else if (x >= 0xe0 && x <= 0xef) { len = 3; if (x === 0xe0) lo = 0xa0; if (x === 0xed) hi = 0x9f; }
  else if (x >= 0xf0 && x <= 0xf4) { len = 4; if (x === 0xf0) lo = 0x90; if (x === 0xf4) hi = 0x8f; }
  else return 0;
  if (at + len > b.length) return 0;
  if (b[at + 1]! < lo || b[at + 1]! > hi) return 0;
  for (let k = 2; k < len; k++) if (b[at + k]! < 0x80 || b[at + k]! > 0xbf) return 0;
  return len;
}

function codePoint(b: Uint8Array, at: number, len: number): number {
  if (len === 1) return b[at]!;
  let cp = b[at]! & (0xff >> (len + 1));
  for (let k = 1; k < len; k++) cp = (cp << 6) | (b[at + k]! & 0x3f);
  return cp;
}
