import { describe, expect, test } from 'vitest';
import { PrefixCache, commonPrefix } from '../../src/core/prefix-cache.js';
import { responseUsage } from '../../src/core/endpoints/response-events.js';
import { usage } from '../../src/core/endpoints/chat.js';

/** A cache of labelled states that records which were freed. */
function cache(maxEntries = 4, maxBytes = 1000) {
  const freed: string[] = [];
  return { freed, kv: new PrefixCache<string>({ maxEntries, maxBytes }, (s) => { freed.push(s); }) };
}

describe('PrefixCache', () => {
  test('commonPrefix', () => {
    expect(commonPrefix([1, 2, 3], [1, 2, 4])).toBe(2);
    expect(commonPrefix([], [1])).toBe(0);
    expect(commonPrefix([1, 2], [1, 2, 3])).toBe(2);
  });

  test('the longest common prefix wins, never the whole new sequence', () => {
    const { kv } = cache();
    kv.put([1, 2, 3], 'a', 10);
    kv.put([1, 5, 6, 7], 'b', 10);
    expect(kv.match([1, 2, 3, 4])).toMatchObject({ entry: { state: 'a' }, reuse: 3 });
    expect(kv.match([1, 5, 6, 9])).toMatchObject({ entry: { state: 'b' }, reuse: 3 });
    // The same sequence again: its last token must still run (n choices of one prompt).
    expect(kv.match([1, 2, 3])).toMatchObject({ entry: { state: 'a' }, reuse: 2 });
    expect(kv.match([9, 9])).toBeNull();
  });

  test('a sequence that a newer one extends is dropped and freed', () => {
    const { kv, freed } = cache();
    kv.put([1, 2], 'turn1', 10);
    kv.put([1, 2, 3, 4], 'turn2', 10);
    expect(kv.size).toBe(1);
    expect(freed).toEqual(['turn1']);
  });

  test('blocked engines: reuse whole blocks of the exact part only', () => {
    const { kv } = cache();
    const prompt = Array.from({ length: 70 }, (_, i) => i + 1);
    // A 70-token prompt prefilled in blocks of 32, then 5 decoded tokens: positions 0-63 are exact.
    kv.put([...prompt, 100, 101, 102, 103, 104], 'turn1', 10, 64);
    // The next turn shares all 75 tokens, but reuses the two whole blocks only.
    expect(kv.match([...prompt, 100, 101, 102, 103, 104, 7, 8], 32)).toMatchObject({ entry: { state: 'turn1' }, reuse: 64 });
    // Without blocks (another engine's view of the same entry) the exact part still bounds it.
    expect(kv.match([...prompt, 100, 101, 102, 103, 104, 7, 8])).toMatchObject({ reuse: 64 });
    // The same prompt again (the next of n choices): its last block runs again, not only its last token.
    expect(kv.match(prompt, 32)).toMatchObject({ reuse: 64 });
    expect(kv.match(prompt.slice(0, 64), 32)).toMatchObject({ reuse: 32 });
    // Less than one whole block in common: nothing.
    expect(kv.match([...prompt.slice(0, 20), 999], 32)).toBeNull();
  });

  test('a state with no exact part is not kept; a newer one covers an older only when exact as far', () => {
    const { kv, freed } = cache();
    kv.put([1, 2, 3], 'short', 10, 0);
    expect(kv.size).toBe(0);
    expect(freed).toEqual(['short']);
    kv.put([1, 2, 3, 4], 'a', 10, 4);
    // Extends 'a' but is exact over fewer positions: 'a' stays, it can give more.
    kv.put([1, 2, 3, 4, 5, 6], 'b', 10, 2);
    expect(kv.size).toBe(2);
    expect(kv.match([1, 2, 3, 4, 9])).toMatchObject({ entry: { state: 'a' }, reuse: 4 });
    kv.put([1, 2, 3, 4, 5, 6, 7], 'c', 10, 6);
    expect(kv.size).toBe(1);
    expect([...freed].sort()).toEqual(['a', 'b', 'short']);
  });

  test('least recently used go first, by count and by bytes; oversize states are freed at once', () => {
    const { kv, freed } = cache(2, 100);
    kv.put([1], 'a', 40);
    kv.put([2], 'b', 40);
    kv.match([1, 9]); // a is now the most recent
    kv.put([3], 'c', 40);
    expect(freed).toEqual(['b']);
    kv.put([4], 'd', 90);
    expect(freed).toEqual(['b', 'a', 'c']);
    expect(kv.bytes).toBe(90);
    kv.put([5], 'huge', 101);
    expect(freed.at(-1)).toBe('huge');
    expect(kv.size).toBe(1);
  });

  test('take hands a state over without freeing it; clear frees the rest; maxEntries 0 keeps nothing', async () => {
    const { kv, freed } = cache();
    kv.put([1, 2], 'a', 1);
    kv.put([3, 4], 'b', 1);
    kv.take(kv.match([1, 2, 3])!.entry);
    await kv.clear();
    expect(freed).toEqual(['b']);
    const off = cache(0);
    off.kv.put([1], 'x', 1);
    expect(off.kv.size).toBe(0);
    expect(off.freed).toEqual(['x']);
  });
});

describe('cached tokens in usage', () => {
  test('chat usage says cached_tokens only when the engine reported it; Responses usage maps it', () => {
    expect(usage(10, 2)).toEqual({ prompt_tokens: 10, completion_tokens: 2, total_tokens: 12 });
    const u = usage(10, 2, 7);
    expect(u.prompt_tokens_details).toEqual({ cached_tokens: 7 });
    expect(responseUsage(u).input_tokens_details).toEqual({ cached_tokens: 7 });
    expect(responseUsage(usage(10, 2)).input_tokens_details).toEqual({ cached_tokens: 0 });
  });
});
