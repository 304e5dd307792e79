import type { TokenVocabulary } from '../../engine.js';
import { tokenBytes } from '../utf8.js';

/**
 * A model's vocabulary as a byte trie in preorder (llguidance's "toktrie"): node i has
 * `byte[i]`, `depth[i]`, the end of its subtree `end[i]` (skipping a dead prefix skips
 * every token under it) and the token it completes `token[i]` (or -1; tokens with the
 * same bytes chain through `sameBytes`). Built once per vocabulary, in slices that yield
 * to the event loop so a 150k-token vocabulary never blocks the host for long.
 */
export interface TokenTrie {
  byte: Uint8Array;
  depth: Uint16Array;
  end: Int32Array;
  token: Int32Array;
  /** Per token id: the next token id with the same bytes, or -1. */
  sameBytes: Int32Array;
  /** Per token id: its bytes (null: never allowed, e.g. special tokens). */
  bytes: Array<Uint8Array | null>;
  maxDepth: number;
  /** Mask words (vocabSize / 32, rounded up). */
  words: number;
  stopTokenIds: number[];
}

/** Runs between slices: checks the signal / deadline and yields. */
export type Pause = () => Promise<void>;

export async function buildTrie(vocab: TokenVocabulary, pause: Pause): Promise<TokenTrie> {
  const encoder = new TextEncoder();
  const bytes = tokenBytes(vocab) ?? vocab.tokens.map((t) => (t ? encoder.encode(t) : null));
  const stop = new Set(vocab.stopTokenIds);
  // Sort the token ids by their bytes (as latin-1 strings: code-unit order = byte order).
  const keys: string[] = new Array(bytes.length);
  const ids: number[] = [];
  for (let id = 0; id < bytes.length; id++) {
    const b = bytes[id];
    if (!b || b.length === 0 || stop.has(id)) { bytes[id] = null; continue; }
    let s = '';
    for (let k = 0; k < b.length; k++) s += String.fromCharCode(b[k]!);
    keys[id] = s;
    ids.push(id);
    if ((id & 8191) === 0) await pause();
  }
  ids.sort((a, b) => (keys[a]! < keys[b]! ? -1 : keys[a]! > keys[b]! ? 1 : a - b));
  await pause();

  // Preorder nodes: each token adds the nodes of its bytes past the prefix it shares with the previous one.
  let cap = 1024;
  let byte = new Uint8Array(cap);
  let depth = new Uint16Array(cap);
  let token = new Int32Array(cap).fill(-1);
  const sameBytes = new Int32Array(vocab.vocabSize).fill(-1);
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
      while (sameBytes[t] !== -1) t = sameBytes[t]!;
      sameBytes[t] = id;
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
  return {
    byte: byte.slice(0, n),
    depth: depth.slice(0, n),
    end,
    token: token.slice(0, n),
    sameBytes,
    bytes,
    maxDepth,
    words: Math.ceil(vocab.vocabSize / 32),
    stopTokenIds: vocab.stopTokenIds.filter((id) => id < vocab.vocabSize),
  };
}

function grow<T extends Uint8Array | Uint16Array>(a: T, size: number): T {
  const b = new (a.constructor as new (n: number) => T)(size);
  b.set(a);
  return b;
}
