import { Unsupported } from './nfa.js';
import { utf8Sequences } from './utf8-ranges.js';

/**
 * xgrammar's `TagDispatch(...)` (free text in which a trigger string starts a tagged rule;
 * it ends at a stop string, or anywhere when stop_eos) as part of a rule NFA: an
 * Aho-Corasick automaton over the triggers and stop strings, whose states are NFA states.
 * Any character is text; completing a trigger calls its rule (then the text goes on, or
 * the rule ends), completing a stop string ends the rule. Non-ASCII patterns, and patterns
 * that end inside another, are left to xgrammar (Unsupported).
 */

export interface DispatchSpec {
  triggers: Array<{ text: number[]; rule: string }>;
  stopStrings: number[][];
  stopEos: boolean;
  loop: boolean;
}

/** Parses `TagDispatch( ("trigger", rule), ..., stop_eos=.., stop_str=(..), loop_after_dispatch=.. )`. */
export function parseDispatch(body: string, literal: (s: string) => number[]): DispatchSpec {
  const inner = /^TagDispatch\(([\s\S]*)\)\s*$/.exec(body.trim())?.[1];
  if (inner === undefined) throw new Unsupported('TagDispatch with trailing elements');
  const str = '"((?:[^"\\\\]|\\\\.)*)"';
  const triggers = [...inner.matchAll(new RegExp(`\\(\\s*${str}\\s*,\\s*([A-Za-z_][A-Za-z0-9_]*)\\s*\\)`, 'g'))]
    .map((m) => ({ text: literal(m[1]!), rule: m[2]! }));
  const stopList = /stop_str\s*=\s*\(([^)]*)\)/.exec(inner)?.[1] ?? '';
  const stopStrings = [...stopList.matchAll(new RegExp(str, 'g'))].map((m) => literal(m[1]!));
  const flag = (name: string) => {
    const v = new RegExp(`${name}\\s*=\\s*(true|false)`).exec(inner)?.[1];
    if (v === undefined) throw new Unsupported(`TagDispatch without ${name}`);
    return v === 'true';
  };
  return { triggers, stopStrings, stopEos: flag('stop_eos'), loop: flag('loop_after_dispatch') };
}

export interface DispatchBuilder {
  state(): number;
  byteEdge(from: number, lo: number, hi: number, to: number): void;
  refEdge(from: number, rule: number, to: number): void;
  epsEdge(from: number, to: number): void;
  rule(name: string): number;
}

/** Builds the dispatch between `start` and `end` (a rule's start and final states). */
export function buildDispatch(spec: DispatchSpec, start: number, end: number, b: DispatchBuilder): void {
  const patterns = [
    ...spec.triggers.map((t) => ({ text: t.text, rule: b.rule(t.rule) })),
    ...spec.stopStrings.map((text) => ({ text, rule: -1 })),
  ];
  if (patterns.some((p) => p.text.length === 0 || p.text.some((x) => x >= 0x80))) throw new Unsupported('TagDispatch pattern');
  // The pattern trie: node 0 = no partial match. A pattern inside another is left to xgrammar.
  const next: Array<Map<number, number>> = [new Map()];
  const done: Array<number | null> = [null]; // pattern index completed at the node
  patterns.forEach((p, i) => {
    let n = 0;
    for (const x of p.text) {
      if (done[n] !== null) throw new Unsupported('TagDispatch patterns overlap');
      let child = next[n]!.get(x);
      if (child === undefined) {
        child = next.length;
        next.push(new Map());
        done.push(null);
        next[n]!.set(x, child);
      }
      n = child;
    }
    if (done[n] !== null || next[n]!.size) throw new Unsupported('TagDispatch patterns overlap');
    done[n] = i;
  });
  // Aho-Corasick failure links, breadth first; one that lands on a completed pattern is an overlap.
  const fail = new Array<number>(next.length).fill(0);
  const order: number[] = [...next[0]!.values()];
  for (let k = 0; k < order.length; k++) {
    const n = order[k]!;
    for (const [x, child] of next[n]!) {
      let f = fail[n]!;
      while (f && !next[f]!.has(x)) f = fail[f]!;
      const target = next[f]!.get(x);
      fail[child] = target !== undefined && target !== child ? target : 0;
      if (done[fail[child]!] !== null) throw new Unsupported('TagDispatch patterns overlap');
      order.push(child);
    }
  }
  const goto = (n: number, x: number): number => {
    while (n && !next[n]!.has(x)) n = fail[n]!;
    return next[n]!.get(x) ?? 0;
  };
  // NFA states: one per trie node (the text state), the rest are shared UTF-8 continuations.
  const states = next.map((_, n) => (n === 0 ? start : b.state()));
  const textStart = states[0]!;
  // Multi-byte characters: never part of a pattern, so they return to "no partial match".
  const cont = new Map<string, number>();
  const added = new Set<string>();
  const multi = utf8Sequences([[0x80, 0x10ffff]]);
  next.forEach((_, n) => {
    if (done[n] !== null) return;
    const from = states[n]!;
    for (let x = 0; x < 0x80; x++) {
      const to = goto(n, x);
      const i = done[to] ?? null;
      if (i === null) b.byteEdge(from, x, x, states[to]!);
      else if (patterns[i]!.rule < 0) b.byteEdge(from, x, x, end); // a stop string: the text ends with it
      else {
        const matched = b.state();
        b.byteEdge(from, x, x, matched);
        b.refEdge(matched, patterns[i]!.rule, spec.loop ? textStart : end);
      }
    }
    for (const seq of multi) {
      let at = from;
      seq.forEach(([lo, hi], k) => {
        let to = textStart;
        if (k < seq.length - 1) {
          const key = seq.slice(k + 1).join();
          to = cont.get(key) ?? b.state();
          cont.set(key, to);
        }
        // The continuation states are shared: their edges are added once.
        const edge = `${at},${lo},${hi},${to}`;
        if (k === 0 || !added.has(edge)) b.byteEdge(at, lo, hi, to);
        added.add(edge);
        at = to;
      });
    }
    if (spec.stopEos) b.epsEdge(from, end);
  });
}
