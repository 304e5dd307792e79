import { GrammarError } from '../constraint.js';
import { Unsupported, type Nfa } from './nfa.js';

/**
 * The parser: a pushdown automaton over the rule NFAs, run as a lazily built DFA.
 *
 * A stack is a chain of NFA states (the top is where the parser is; each one below is
 * where its rule continues when the rule above returns), interned so that equal stacks
 * are one id. A configuration is the set of stacks ready to read a byte (every way the
 * input so far can be parsed), plus whether the input so far is a complete sentence;
 * configurations are interned too, and the transition (configuration, byte) is computed
 * once and kept in a table, so the token-trie walk is one array read per trie node once
 * the region of the grammar it is in has been visited.
 *
 * Tail calls are not pushed (a call whose continuation is its rule's end): right
 * recursion (`list ::= item list | ""`, JSON's `string_1 ::= char string_1 | ""`) keeps a
 * constant stack, so the configuration inside a string is the same after every character
 * and its masks are computed once. Left recursion would grow the stack without reading a
 * byte: such grammars are refused at compile (`Unsupported`, xgrammar takes them).
 */

/** Configuration ids start at 1; in the transition table 0 = not computed, -1 = dead. */
export const DEAD = -1;
/** classStep: the characters of the class do not all lead to one configuration. */
export const MIXED = -3;
const UNKNOWN = 0;
/** The most stacks one configuration may hold (ambiguity beyond this is a grammar problem). */
const MAX_STACKS = 4096;
/** Past this many configurations the table is dropped and rebuilt lazily (memory bound). */
export const MAX_CONFIGS = 20_000;

export class LazyParser {
  private top = new Int32Array(1024);
  private parent = new Int32Array(1024);
  private stacks = 1; // 0 = the empty stack (the root rule returned)
  private readonly stackIds = new Map<number, number>();

  /** Per configuration: its ready stacks and whether it is accepting. */
  private readonly cfgStacks: Int32Array[] = [new Int32Array(0)];
  private accepting = new Uint8Array(64);
  private readonly cfgIds = new Map<string, number>();
  /** trans[c * 256 + byte]: the next configuration. */
  trans = new Int32Array(64 * 256);
  private classNext = new Int32Array(64);
  private readonly targetsOf = new Map<number, number[] | null>();
  readonly start: number;

  constructor(private readonly nfa: Nfa) {
    const seen = new Set<number>();
    const ready: number[] = [];
    const acc = this.closure(this.stack(nfa.ruleStart[nfa.root]!, 0), seen, ready);
    this.start = this.config(ready, acc);
  }

  get configs(): number {
    return this.cfgStacks.length - 1;
  }

  isAccepting(c: number): boolean {
    return this.accepting[c] === 1;
  }

  /**
   * The configuration after any one character whose UTF-8 forms are `seqs`, when every
   * such character leads to the same one (or all are refused: DEAD); MIXED otherwise.
   * Decided on the NFA (each top state's edges must take every character of the class
   * alike), so the configurations in the middle of a multi-byte character are never
   * built; cached per configuration.
   */
  classStep(c: number, seqs: ReadonlyArray<ReadonlyArray<readonly [number, number]>>): number {
    if (c >= this.classNext.length) this.classNext = grow(this.classNext, Math.max(c + 1, this.classNext.length * 2));
    const known = this.classNext[c]!;
    if (known !== UNKNOWN) return known;
    const seen = new Set<number>();
    const ready: number[] = [];
    let acc = false;
    for (const s of this.cfgStacks[c]!) {
      const targets = this.classTargets(this.top[s]!, seqs);
      if (targets === null) return (this.classNext[c] = MIXED);
      for (const t of targets) acc = this.closure(this.stack(t, this.parent[s]!), seen, ready) || acc;
    }
    return (this.classNext[c] = ready.length === 0 && !acc ? DEAD : this.config(ready, acc));
  }

  /** The NFA states every character of the class leads q to (the same for all), or null. */
  private classTargets(q: number, seqs: ReadonlyArray<ReadonlyArray<readonly [number, number]>>): number[] | null {
    const cached = this.targetsOf.get(q);
    if (cached !== undefined) return cached;
    const { bytes } = this.nfa;
    let result: number[] | null | undefined;
    for (const seq of seqs) {
      let cur = [q];
      for (const [lo, hi] of seq) {
        const next: number[] = [];
        for (const x of cur) {
          const edges = bytes[x]!;
          for (let k = 0; k < edges.length; k += 3) {
            if (edges[k + 1]! < lo || edges[k]! > hi) continue;
            if (edges[k]! > lo || edges[k + 1]! < hi) { result = null; break; }
            next.push(edges[k + 2]!);
          }
          if (result === null) break;
        }
        if (result === null) break;
        cur = [...new Set(next)].sort((a, b) => a - b);
        if (cur.length === 0) break;
      }
      if (result === null) break;
      if (result === undefined) result = cur;
      else if (result.join() !== cur.join()) result = null;
      if (result === null) break;
    }
    const out = result ?? null;
    this.targetsOf.set(q, out);
    return out;
  }

  /** The configuration after `byte`, or DEAD. */
  step(c: number, byte: number): number {
    const known = this.trans[c * 256 + byte]!;
    if (known !== UNKNOWN) return known;
    this.fillRow(c);
    return this.trans[c * 256 + byte]!;
  }

  /**
   * Computes every transition of configuration c at once: bytes between the same edge
   * boundaries lead to the same configuration, so a character class costs one closure
   * per byte range, not one per byte.
   */
  private fillRow(c: number): void {
    const { bytes } = this.nfa;
    const items: number[] = []; // lo, hi, stack after the edge
    const cuts = new Set<number>([0, 256]);
    for (const s of this.cfgStacks[c]!) {
      const edges = bytes[this.top[s]!]!;
      for (let k = 0; k < edges.length; k += 3) {
        items.push(edges[k]!, edges[k + 1]!, this.stack(edges[k + 2]!, this.parent[s]!));
        cuts.add(edges[k]!);
        cuts.add(edges[k + 1]! + 1);
      }
    }
    const closures = new Map<number, { ready: number[]; acc: boolean }>();
    const closed = (s: number) => {
      let hit = closures.get(s);
      if (!hit) {
        const ready: number[] = [];
        const acc = this.closure(s, new Set(), ready);
        hit = { ready, acc };
        closures.set(s, hit);
      }
      return hit;
    };
    const bounds = [...cuts].sort((a, b) => a - b);
    const row = new Int32Array(256).fill(DEAD);
    for (let j = 0; j + 1 < bounds.length; j++) {
      const lo = bounds[j]!;
      const hi = bounds[j + 1]! - 1;
      let ready: number[] = [];
      let acc = false;
      let parts = 0;
      for (let k = 0; k < items.length; k += 3) {
        if (items[k]! <= lo && hi <= items[k + 1]!) {
          const r = closed(items[k + 2]!);
          ready = parts++ === 0 ? r.ready : ready.concat(r.ready);
          acc ||= r.acc;
        }
      }
      if (parts === 0 || (ready.length === 0 && !acc)) continue;
      if (parts > 1) ready = [...new Set(ready)];
      else ready = ready.slice();
      row.fill(this.config(ready, acc), lo, hi + 1);
    }
    this.trans.set(row, c * 256);
  }

  /** Adds the ready stacks reachable from stack `s` without reading; true if the root can return. */
  private closure(s0: number, seen: Set<number>, ready: number[]): boolean {
    const { bytes, refs, eps, final, ruleStart } = this.nfa;
    let acc = false;
    const work = [s0];
    while (work.length) {
      const s = work.pop()!;
      if (seen.has(s)) continue;
      seen.add(s);
      if (seen.size > MAX_STACKS * 4) throw new GrammarError('the grammar is too ambiguous to match', 'grammar_too_complex');
      if (s === 0) { acc = true; continue; }
      const q = this.top[s]!;
      const p = this.parent[s]!;
      if (bytes[q]!.length) ready.push(s);
      const e = eps[q]!;
      for (let k = 0; k < e.length; k++) work.push(this.stack(e[k]!, p));
      const r = refs[q]!;
      for (let k = 0; k < r.length; k += 2) {
        const cont = r[k + 1]!;
        // A tail call returns straight to the caller's caller.
        const below = final[cont] && !eps[cont]!.length && !bytes[cont]!.length && !refs[cont]!.length ? p : this.stack(cont, p);
        work.push(this.stack(ruleStart[r[k]!]!, below));
      }
      if (final[q]) work.push(p);
    }
    if (ready.length > MAX_STACKS) throw new GrammarError('the grammar is too ambiguous to match', 'grammar_too_complex');
    return acc;
  }

  private stack(q: number, p: number): number {
    const key = p * 1_048_576 + q;
    let id = this.stackIds.get(key);
    if (id === undefined) {
      id = this.stacks++;
      if (id >= this.top.length) {
        this.top = grow(this.top, id * 2);
        this.parent = grow(this.parent, id * 2);
      }
      this.top[id] = q;
      this.parent[id] = p;
      this.stackIds.set(key, id);
    }
    return id;
  }

  private config(ready: number[], acc: boolean): number {
    // Every path that builds a configuration ends here: an ambiguous grammar (a number of
    // parses that doubles with each byte) is stopped before its cost explodes.
    if (ready.length > MAX_STACKS) throw new GrammarError('the grammar is too ambiguous to match', 'grammar_too_complex');
    ready.sort((a, b) => a - b);
    const key = ready.join(',') + (acc ? '!' : '');
    let id = this.cfgIds.get(key);
    if (id === undefined) {
      id = this.cfgStacks.length;
      this.cfgStacks.push(Int32Array.from(ready));
      this.cfgIds.set(key, id);
      if (id >= this.accepting.length) this.accepting = grow(this.accepting, id * 2);
      if ((id + 1) * 256 > this.trans.length) this.trans = grow(this.trans, (id + 1) * 512);
      this.accepting[id] = acc ? 1 : 0;
    }
    return id;
  }
}

function grow<T extends Int32Array | Uint8Array>(a: T, size: number): T {
  const b = new (a.constructor as new (n: number) => T)(size);
  b.set(a);
  return b;
}

/**
 * Refuses grammars this parser cannot run: a rule that can call itself (directly or
 * through others) before reading a byte (left recursion) would grow the stack forever.
 */
export function checkLeftRecursion(nfa: Nfa): void {
  const { refs, eps, ruleStart, final } = nfa;
  const rules = ruleStart.length;
  // Nullable rules: least fixed point.
  const nullable = new Uint8Array(rules);
  const reachesEndEmpty = (start: number): boolean => {
    const seen = new Set<number>([start]);
    const work = [start];
    while (work.length) {
      const q = work.pop()!;
      if (final[q]) return true;
      const next = [...eps[q]!];
      const r = refs[q]!;
      for (let k = 0; k < r.length; k += 2) if (nullable[r[k]!]) next.push(r[k + 1]!);
      for (const n of next) if (!seen.has(n)) { seen.add(n); work.push(n); }
    }
    return false;
  };
  let changed = true;
  while (changed) {
    changed = false;
    for (let r = 0; r < rules; r++) {
      if (!nullable[r] && reachesEndEmpty(ruleStart[r]!)) { nullable[r] = 1; changed = true; }
    }
  }
  // Left-corner calls: rule -> rules it may call before reading.
  const corner: number[][] = [];
  for (let r = 0; r < rules; r++) {
    const calls = new Set<number>();
    const seen = new Set<number>([ruleStart[r]!]);
    const work = [ruleStart[r]!];
    while (work.length) {
      const q = work.pop()!;
      const next = [...eps[q]!];
      const rf = refs[q]!;
      for (let k = 0; k < rf.length; k += 2) {
        calls.add(rf[k]!);
        if (nullable[rf[k]!]) next.push(rf[k + 1]!);
      }
      for (const n of next) if (!seen.has(n)) { seen.add(n); work.push(n); }
    }
    corner.push([...calls]);
  }
  // A cycle in the left-corner graph (iterative DFS, colours).
  const colour = new Uint8Array(rules);
  for (let r0 = 0; r0 < rules; r0++) {
    if (colour[r0]) continue;
    const stack: Array<[number, number]> = [[r0, 0]];
    colour[r0] = 1;
    while (stack.length) {
      const frame = stack[stack.length - 1]!;
      const [r, k] = frame;
      if (k < corner[r]!.length) {
        frame[1]++;
        const n = corner[r]![k]!;
        if (colour[n] === 1) throw new Unsupported(`rule '${nfa.ruleNames[n]}' is left-recursive`);
        if (colour[n] === 0) { colour[n] = 1; stack.push([n, 0]); }
      } else {
        colour[r] = 2;
        stack.pop();
      }
    }
  }
}
