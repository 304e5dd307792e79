import type { TokenMask } from '../../engine.js';
import { DEAD, LazyParser, MAX_CONFIGS, MIXED, checkLeftRecursion } from './parser.js';
import type { Nfa } from './nfa.js';
import type { TokenTrie, Trie } from './trie.js';

/**
 * One constraint compiled for one vocabulary: the NFA (built in milliseconds), a lazily
 * built parser DFA, and the masks of configurations already seen. A mask is the trie
 * walked from a configuration (dead prefixes skip their subtree); configurations recur
 * (inside a string, between properties, across requests with the same schema), so each
 * one's mask is computed once and handed out again afterwards.
 */

/** Masks kept per compiled grammar, in bytes (the oldest go first). */
const MASK_CACHE_BYTES = 16 << 20;

export class LazyGrammar {
  private parser: LazyParser;
  private readonly masks = new Map<number, Int32Array>();
  private readonly maxMasks: number;
  /** Scratch: the configuration at each trie depth during a walk. */
  private readonly cfgAt: Int32Array;

  constructor(private readonly nfa: Nfa, readonly trie: TokenTrie) {
    checkLeftRecursion(nfa);
    this.parser = new LazyParser(nfa);
    this.maxMasks = Math.max(16, Math.floor(MASK_CACHE_BYTES / (trie.words * 4)));
    this.cfgAt = new Int32Array(trie.maxDepth + 2);
  }

  /** A matcher for one generation. */
  matcher(): LazyTokenMask {
    // The parser's tables grow with the configurations seen; past the bound they restart.
    if (this.parser.configs > MAX_CONFIGS) {
      this.parser = new LazyParser(this.nfa);
      this.masks.clear();
    }
    return new LazyTokenMask(this, this.parser);
  }

  mask(parser: LazyParser, c: number): Int32Array {
    // Shared, not copied: a mask is read-only for its users (see TokenMask.next).
    const hit = parser === this.parser ? this.masks.get(c) : undefined;
    if (hit) return hit;
    const mask = this.walk(parser, c);
    if (parser === this.parser) {
      if (this.masks.size >= this.maxMasks) this.masks.delete(this.masks.keys().next().value!);
      this.masks.set(c, mask);
    }
    return mask;
  }

  /** The allowed tokens from configuration c. */
  private walk(parser: LazyParser, c: number): Int32Array {
    const { words, stopTokenIds, strings } = this.trie;
    const mask = new Int32Array(words);
    const chain = this.stringChain(parser, c);
    if (chain) {
      // Inside string content: class tokens by count, then the rest tries from where their class prefix leads.
      const n = chain.length - 1;
      mask.set(strings.upTo[Math.min(n, strings.maxChars)]!);
      for (let k = 0; k < strings.rest.length && k <= n; k++) this.walkInto(strings.rest[k]!, parser, chain[k]!, mask);
    } else {
      this.walkInto(this.trie, parser, c, mask);
    }
    if (parser.isAccepting(c)) for (const t of stopTokenIds) mask[t >> 5]! |= 1 << (t & 31);
    return mask;
  }

  /**
   * c, c1, c2, ...: the configurations after 0, 1, 2, ... string characters, while every
   * such character leads to the same next one; null where they do not (a pattern, an
   * enum: the full walk is cheap there, most prefixes die at once).
   */
  private stringChain(parser: LazyParser, c: number): number[] | null {
    const { strings } = this.trie;
    const limit = Math.max(strings.maxChars, strings.rest.length - 1);
    const chain = [c];
    while (chain.length - 1 < limit) {
      const next = parser.classStep(chain[chain.length - 1]!, strings.cls.seqs);
      if (next === MIXED) return null;
      if (next === DEAD) break;
      chain.push(next);
    }
    return chain.length > 1 ? chain : null;
  }

  /** Sets the bits of the tokens of `trie` the parser accepts from c (dead prefixes skip their subtree). */
  private walkInto(trie: Trie, parser: LazyParser, c: number, mask: Int32Array): void {
    const { byte, depth, end, token, same } = trie;
    const cfgAt = this.cfgAt;
    cfgAt[0] = c;
    const n = byte.length;
    let trans = parser.trans;
    let i = 1;
    while (i < n) {
      const d = depth[i]!;
      const from = cfgAt[d - 1]!;
      let next = trans[from * 256 + byte[i]!]!;
      if (next === 0) {
        next = parser.step(from, byte[i]!);
        trans = parser.trans;
      }
      if (next === DEAD) {
        i = end[i]!;
        continue;
      }
      cfgAt[d] = next;
      let t = token[i]!;
      while (t >= 0) {
        mask[t >> 5]! |= 1 << (t & 31);
        t = same[t]!;
      }
      i++;
    }
  }
}

export class LazyTokenMask implements TokenMask {
  private config: number;
  private terminated = false;

  constructor(private readonly grammar: LazyGrammar, private readonly parser: LazyParser) {
    this.config = parser.start;
  }

  async next(): Promise<Int32Array> {
    return this.nextSync();
  }

  nextSync(): Int32Array {
    if (this.terminated) return new Int32Array(this.grammar.trie.words);
    return this.grammar.mask(this.parser, this.config);
  }

  accept(id: number): boolean {
    if (this.terminated) return false;
    const trie = this.grammar.trie;
    if (trie.stopTokenIds.includes(id)) {
      if (!this.parser.isAccepting(this.config)) return false;
      this.terminated = true;
      return true;
    }
    const bytes = trie.bytes[id];
    if (!bytes) return false;
    let c = this.config;
    for (let k = 0; k < bytes.length; k++) {
      c = this.parser.step(c, bytes[k]!);
      if (c === DEAD) return false;
    }
    this.config = c;
    return true;
  }

  /** Whether the output so far is a complete sentence of the grammar. */
  canEnd(): boolean {
    return this.parser.isAccepting(this.config);
  }

  isTerminated(): boolean {
    return this.terminated;
  }

  dispose(): void {}
}
