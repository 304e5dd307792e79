/**
 * The prefix cache: the KV state of a model's recent sequences, kept so the next request
 * prefills only what differs (multi-turn chat, a shared system prompt, tool loops, the
 * Responses API's previous_response_id, and the n choices of one request). Engine-neutral:
 * an engine stores whatever its state is (transformers.js's past_key_values tensors) with
 * the token ids it covers, and says how to free it.
 *
 * Bounded: at most `maxEntries` sequences and `maxBytes` of state per model; the least
 * recently used go first. An entry whose tokens are a prefix of a newer one is dropped
 * when the newer one arrives (the newer covers it: states can be cut back).
 *
 * Exactness: an engine whose forward pass depends on how the prompt was split (dynamically
 * quantized models take activation scales per pass) prefills in fixed blocks of absolute
 * positions, and says how much of each state was computed that way (`exact`). A match then
 * reuses whole blocks of that part only (`align`), so the rest runs in the very passes a
 * request without the cache runs, and the output is the same bit for bit.
 */

export interface PrefixCacheLimits {
  /** Sequences kept per model (default 4). 0 disables the cache. */
  maxEntries: number;
  /** Bytes of state kept per model (default 256 MiB). */
  maxBytes: number;
}

export const DEFAULT_PREFIX_CACHE_LIMITS: PrefixCacheLimits = { maxEntries: 4, maxBytes: 256 * 1024 * 1024 };

export interface CachedSequence<S> {
  /** The token ids whose state `state` holds, in order. */
  readonly tokens: readonly number[];
  readonly state: S;
  readonly bytes: number;
  /** Leading positions of `state` that a later request may reuse (all, unless an engine prefills in blocks). */
  readonly exact: number;
}

export interface PrefixMatch<S> {
  entry: CachedSequence<S>;
  /**
   * How many leading tokens of the new sequence can come from `entry`: the longest common
   * prefix, but never the whole new sequence (its last token must run to give logits),
   * within the entry's exact part and rounded down to whole blocks.
   */
  reuse: number;
}

/** Length of the longest common prefix of two id sequences. */
export function commonPrefix(a: readonly number[], b: readonly number[]): number {
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a[i] === b[i]) i++;
  return i;
}

export class PrefixCache<S> {
  /** Least recently used first. */
  private entries: CachedSequence<S>[] = [];

  constructor(
    private readonly limits: PrefixCacheLimits,
    private readonly dispose: (state: S) => void | Promise<void>,
  ) {}

  get size(): number {
    return this.entries.length;
  }

  get bytes(): number {
    return this.entries.reduce((sum, e) => sum + e.bytes, 0);
  }

  /**
   * The entry sharing the longest reusable prefix with `tokens` (marked as just used), or
   * null when none shares any. `align`: reuse only whole blocks of that many positions.
   */
  match(tokens: readonly number[], align = 1): PrefixMatch<S> | null {
    let best: PrefixMatch<S> | null = null;
    for (const entry of this.entries) {
      const common = Math.min(commonPrefix(entry.tokens, tokens), tokens.length - 1, entry.exact);
      const reuse = common - (common % align);
      if (reuse > 0 && reuse > (best?.reuse ?? 0)) best = { entry, reuse };
    }
    if (best) this.touch(best.entry);
    return best;
  }

  /** Removes an entry without freeing its state: the caller now owns it (an engine that consumes state in place). */
  take(entry: CachedSequence<S>): void {
    this.entries = this.entries.filter((e) => e !== entry);
  }

  /**
   * Keeps a sequence's state (`exact`: its leading positions a later request may reuse, by
   * default all), then evicts down to the limits. A state larger than the whole budget, or
   * with nothing reusable, is freed at once.
   */
  put(tokens: readonly number[], state: S, bytes: number, exact = tokens.length): void {
    if (this.limits.maxEntries <= 0 || bytes > this.limits.maxBytes || tokens.length === 0 || exact <= 0) {
      void this.dispose(state);
      return;
    }
    exact = Math.min(exact, tokens.length);
    // Covered: a prefix of the new sequence, none of whose reusable part the new one lacks.
    const covered = this.entries.filter((e) => e.tokens.length <= tokens.length && e.exact <= exact && commonPrefix(e.tokens, tokens) === e.tokens.length);
    for (const e of covered) this.evict(e);
    this.entries.push({ tokens: [...tokens], state, bytes, exact });
    while (this.entries.length > this.limits.maxEntries || this.bytes > this.limits.maxBytes) this.evict(this.entries[0]!);
  }

  /** Frees everything (the model unloads). */
  async clear(): Promise<void> {
    const all = this.entries;
    this.entries = [];
    await Promise.all(all.map((e) => this.dispose(e.state)));
  }

  private touch(entry: CachedSequence<S>): void {
    this.entries = [...this.entries.filter((e) => e !== entry), entry];
  }

  private evict(entry: CachedSequence<S>): void {
    this.take(entry);
    void this.dispose(entry.state);
  }
}
