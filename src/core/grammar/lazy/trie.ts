import type { TokenVocabulary } from '../../engine.js';
import { tokenBytes } from '../utf8.js';
import { classTables, JSON_STRING_CHAR, type ClassTables } from './classes.js';

/**
 * A model's vocabulary as a byte trie in preorder (llguidance's "toktrie"): node i has
 * `byte[i]`, `depth[i]`, the end of its subtree `end[i]` (skipping a dead prefix skips
 * every token under it) and the token it completes `token[i]` (or -1; tokens with the
 * same bytes chain through `same`). Built once per vocabulary, in slices that yield
 * to the event loop so a 150k-token vocabulary never blocks the host for long.
 */
/** A byte trie in preorder: see the module comment. */
export interface Trie {
  byte: Uint8Array;
  depth: Uint16Array;
  end: Int32Array;
  token: Int32Array;
  /** Per token id: the next token id with the same key in this trie, or -1. */
  same: Int32Array;
  maxDepth: number;
}

export interface TokenTrie extends Trie {
  /** Per token id: its bytes (null: never allowed, e.g. special tokens). */
  bytes: Array<Uint8Array | null>;
  /** Mask words (vocabSize / 32, rounded up). */
  words: number;
  stopTokenIds: number[];
  /** The vocabulary split for JSON string content (see classes.ts). */
  strings: ClassTables;
}

/** Runs between slices: checks the signal / deadline and yields. */
export type Pause = () => Promise<void>;

export async function buildTrie(vocab: TokenVocabulary, pause: Pause): Promise<TokenTrie> {
  const encoder = new TextEncoder();
  const bytes: Array<Uint8Array | null> = [];
  for (let at = 0; at < vocab.tokens.length; at += 8192) {
    const tokens = vocab.tokens.slice(at, at + 8192);
    bytes.push(...(tokenBytes({ ...vocab, tokens }) ?? tokens.map((t) => (t ? encoder.encode(t) : null))));
    await pause();
  }
  const stop = new Set(vocab.stopTokenIds);
  const decoder = new TextDecoder('latin1');
  const keys: string[] = new Array(bytes.length);
  const ids: number[] = [];
  for (let id = 0; id < bytes.length; id++) {
    const b = bytes[id];
    if (!b || b.length === 0 || stop.has(id) || id >= vocab.vocabSize) { bytes[id] = null; continue; }
    keys[id] = latin1(decoder, b);
    ids.push(id);
    if ((id & 8191) === 0) await pause();
  }
  const sameBytes = new Int32Array(vocab.vocabSize).fill(-1);
  const words = Math.ceil(vocab.vocabSize / 32);
  const trie = await trieOf(ids, keys, sameBytes, pause);
  const strings = await classTables(JSON_STRING_CHAR, bytes, ids, keys, words, pause);
  return { ...trie, bytes, words, stopTokenIds: vocab.stopTokenIds.filter((id) => id < vocab.vocabSize), strings };
}

/** Bytes as a latin-1 string: code-unit order is byte order, and strings sort fast. */
function latin1(decoder: TextDecoder, b: Uint8Array): string {
  // TextDecoder's 'latin1' is windows-1252 (it remaps 0x80-0x9f): only for plain ASCII.
  for (let k = 0; k < b.length; k++) if (b[k]! >= 0x80) return String.fromCharCode.apply(null, b as unknown as number[]);
  return decoder.decode(b);
}

/**
 * The trie of `ids` keyed by `keys[id]` (latin-1 byte strings). Tokens with equal keys
 * chain through `sameBytes`.
 */
export async function trieOf(ids: number[], keys: string[], same: Int32Array, pause: Pause): Promise<Trie> {
  ids = await sortByKey(ids, keys, pause);
  // Preorder nodes: each token adds the nodes of its bytes past the prefix it shares with the previous one.
  let cap = 1024;
  let byte = new Uint8Array(cap);
  let depth = new Uint16Array(cap);
  let token = new Int32Array(cap).fill(-1);
  let n = 1; // node 0 = root
  const path: number[] = [0]; // node at each depth of the previous token
  let prev = '';
  let maxDepth = 0;
  for (let k = 0; k < ids.length; k++) {
    const id = ids[k]!;
    const key = keys[id]!;
    let shared = 0;
    while (shared < key.length && shared < prev.length && key.charCodeAt(shared) === prev.charCodeAt(shared)) shared++;
    if (shared === key.length && key.length === prev.length) {
      // Same bytes as the previous token: chain it.
      let t = token[path[key.length]!]!;
      while (same[t] !== -1) t = same[t]!;
      same[t] = id;
      continue;
    }
    path.length = shared + 1;
    for (let d = shared; d < key.length; d++) {
      if (n >= cap) {
        cap *= 2;
        byte = grow(byte, cap);
        depth = grow(depth, cap);
        const t = new Int32Array(cap).fill(-1);
        t.set(token);
        token = t;
      }
      byte[n] = key.charCodeAt(d);
      depth[n] = d + 1;
      path.push(n);
      n++;
    }
    token[n - 1] = id;
    maxDepth = Math.max(maxDepth, key.length);
    prev = key;
    if ((k & 8191) === 0) await pause();
  }
  // Subtree ends: a node's subtree ends at the next node no deeper than it.
  const end = new Int32Array(n);
  const open: number[] = [];
  for (let i = 0; i < n; i++) {
    while (open.length && depth[open[open.length - 1]!]! >= depth[i]!) end[open.pop()!] = i;
    open.push(i);
  }
  for (const i of open) end[i] = n;
  return { byte: byte.slice(0, n), depth: depth.slice(0, n), end, token: token.slice(0, n), same, maxDepth };
}

/** Sorted by key, in slices: bucketed by the first two bytes, each bucket sorted on its own. */
async function sortByKey(ids: number[], keys: string[], pause: Pause): Promise<number[]> {
  const buckets = new Map<number, number[]>();
  for (const id of ids) {
    const k = keys[id]!;
    const b = k.charCodeAt(0) * 257 + (k.length > 1 ? k.charCodeAt(1) + 1 : 0);
    let list = buckets.get(b);
    if (!list) buckets.set(b, (list = []));
    list.push(id);
  }
  const out: number[] = [];
  for (const b of [...buckets.keys()].sort((x, y) => x - y)) {
    const list = buckets.get(b)!;
    list.sort((x, y) => (keys[x]! < keys[y]! ? -1 : keys[x]! > keys[y]! ? 1 : x - y));
    for (const id of list) out.push(id);
    await pause();
  }
  return out;
}

function grow<T extends Uint8Array | Uint16Array>(a: T, size: number): T {
  const b = new (a.constructor as new (n: number) => T)(size);
  b.set(a);
  return b;
}
