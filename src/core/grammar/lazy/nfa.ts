import { GrammarError } from '../constraint.js';
import { decodeLiteral, EbnfSyntaxError, parseBody, splitRules, type EbnfNode } from '../ebnf.js';
import { buildDispatch, parseDispatch, type DispatchBuilder } from './dispatch.js';
import { complement, encode, utf8Sequences } from './utf8-ranges.js';

/**
 * A grammar (xgrammar's normalized text or a request's EBNF, parsed by ../ebnf.ts)
 * compiled to one byte-level NFA per rule. Edges are byte ranges (classes expanded to
 * UTF-8), rule calls (`refs`: call a rule, continue at a state when it returns) and
 * epsilon moves. Every alternative of a rule ends at the rule's single final state, so a
 * call whose continuation is that final state is a tail call (the parser does not push it).
 * Work is linear in the text plus the bounded repeats, and capped.
 */

/** A construct the lazy engine does not implement (TagDispatch): the caller uses xgrammar. */
export class Unsupported extends Error {}

/** The most NFA states one grammar may have (bounded repeats are expanded). */
export const MAX_STATES = 400_000;

export interface Nfa {
  /** Per state: byte edges as [lo, hi, to, lo, hi, to, ...]. */
  bytes: Int32Array[];
  /** Per state: [rule, continueAt, ...]. */
  refs: Int32Array[];
  /** Per state: epsilon targets. */
  eps: Int32Array[];
  /** Per state: whether it is its rule's final state. */
  final: Uint8Array;
  ruleStart: Int32Array;
  ruleEnd: Int32Array;
  root: number;
  ruleNames: string[];
}

type Element =
  | { kind: 'bytes'; value: number[] }
  | { kind: 'class'; seqs: Array<Array<[number, number]>> }
  | { kind: 'ref'; rule: number }
  | { kind: 'group'; alts: Element[][] }
  | { kind: 'repeat'; inner: Element; min: number; max: number };

const EMPTY = new Int32Array(0);

export function compileNfa(text: string, root: string, deadline = Infinity): Nfa {
  const rules = readable(() => splitRules(text));
  const names = new Map<string, number>();
  rules.forEach((rule, r) => names.set(rule.name, r));
  const rootId = names.get(root);
  if (rootId === undefined) throw new GrammarError(`the grammar has no rule '${root}'`);
  const builder = new Builder(rules.length);
  const bytesOf = (s: string) => readable(() => decodeLiteral(s)).flatMap(encode);
  rules.forEach(({ body }, r) => {
    if ((r & 63) === 0 && performance.now() > deadline) throw new GrammarError('compiling it took longer than the limit', 'grammar_too_complex');
    const alts = readable(() => parseBody(body));
    const only = alts.length === 1 && alts[0]!.length === 1 ? alts[0]![0]! : null;
    if (only?.kind === 'dispatch') {
      buildDispatch(parseDispatch(only.text, bytesOf), builder.ruleStart[r]!, builder.ruleEnd[r]!, builder.dispatchBuilder(names));
      return;
    }
    for (const alt of alts) builder.seq(sequence(alt, names), builder.ruleStart[r]!, builder.ruleEnd[r]!);
  });
  return builder.finish(rootId, [...names.keys()]);
}

/** Text the shared parser cannot read is for xgrammar. */
function readable<T>(parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    if (err instanceof EbnfSyntaxError) throw new Unsupported(err.message);
    throw err;
  }
}

/** A parsed sequence as automaton elements; lookaheads drop out (xgrammar's printed ones restate what the context already requires). */
function sequence(nodes: EbnfNode[], names: Map<string, number>): Element[] {
  const out: Element[] = [];
  for (const node of nodes) {
    const e = elementOf(node, names);
    if (e) out.push(e);
  }
  return out;
}

function elementOf(node: EbnfNode, names: Map<string, number>): Element | null {
  switch (node.kind) {
    case 'literal': return { kind: 'bytes', value: node.codePoints.flatMap(encode) };
    case 'class': return { kind: 'class', seqs: utf8Sequences(node.negated ? complement(node.ranges) : node.ranges) };
    case 'ref': {
      const rule = names.get(node.name);
      if (rule === undefined) throw new GrammarError(`rule '${node.name}' is not defined`);
      return { kind: 'ref', rule };
    }
    case 'group': return { kind: 'group', alts: node.alts.map((alt) => sequence(alt, names)) };
    case 'lookahead': return null;
    case 'repeat': {
      const inner = elementOf(node.inner, names);
      return inner && { kind: 'repeat', inner, min: node.min, max: node.max };
    }
    case 'dispatch': throw new Unsupported('TagDispatch inside a rule body');
  }
}

/** About how many states an element expands to (checked before a repeat is expanded). */
function estimate(e: Element): number {
  switch (e.kind) {
    case 'bytes': return e.value.length;
    case 'class': return 8;
    case 'ref': return 1;
    case 'group': return e.alts.reduce((n, alt) => n + alt.reduce((m, x) => m + estimate(x), 1), 0);
    case 'repeat': return estimate(e.inner) * (e.max === Infinity ? e.min + 1 : e.max);
  }
}

class Builder {
  // Per state; undefined until a state gets an edge of that kind (most have one kind).
  private readonly bytes: Array<number[] | undefined> = [];
  private readonly refs: Array<number[] | undefined> = [];
  private readonly eps: Array<number[] | undefined> = [];
  private readonly finals: number[] = [];
  readonly ruleStart: number[] = [];
  readonly ruleEnd: number[] = [];

  constructor(rules: number) {
    for (let r = 0; r < rules; r++) {
      this.ruleStart.push(this.state());
      const end = this.state();
      this.ruleEnd.push(end);
      this.finals.push(end);
    }
  }

  private tooMany(): never {
    throw new GrammarError(`it expands to more than ${MAX_STATES} automaton states (long bounded repeats); lower the bounds`, 'grammar_too_complex');
  }

  state(): number {
    if (this.bytes.length >= MAX_STATES) this.tooMany();
    this.bytes.push(undefined);
    this.refs.push(undefined);
    this.eps.push(undefined);
    return this.bytes.length - 1;
  }

  /** The edges a TagDispatch needs (dispatch.ts). */
  dispatchBuilder(names: Map<string, number>): DispatchBuilder {
    return {
      state: () => this.state(),
      byteEdge: (from, lo, hi, to) => { (this.bytes[from] ??= []).push(lo, hi, to); },
      refEdge: (from, rule, to) => { (this.refs[from] ??= []).push(rule, to); },
      epsEdge: (from, to) => { (this.eps[from] ??= []).push(to); },
      rule: (name) => {
        const r = names.get(name);
        if (r === undefined) throw new GrammarError(`rule '${name}' is not defined`);
        return r;
      },
    };
  }

  seq(elems: Element[], from: number, to: number): void {
    if (elems.length === 0) {
      (this.eps[from] ??= []).push(to);
      return;
    }
    let at = from;
    elems.forEach((e, i) => {
      const next = i === elems.length - 1 ? to : this.state();
      this.element(e, at, next);
      at = next;
    });
  }

  element(e: Element, from: number, to: number): void {
    switch (e.kind) {
      case 'bytes': {
        if (e.value.length === 0) { (this.eps[from] ??= []).push(to); return; }
        let at = from;
        e.value.forEach((b, i) => {
          const next = i === e.value.length - 1 ? to : this.state();
          (this.bytes[at] ??= []).push(b, b, next);
          at = next;
        });
        return;
      }
      case 'class': {
        // Sequences that end alike share their states (the continuation bytes of UTF-8):
        // about 7 states per class, not one per sequence and position.
        const after = new Map<string, number>();
        for (const seq of e.seqs) {
          let at = from;
          seq.forEach(([lo, hi], i) => {
            let next = to;
            if (i < seq.length - 1) {
              const key = seq.slice(i + 1).join();
              next = after.get(key) ?? this.state();
              after.set(key, next);
            }
            const edges = (this.bytes[at] ??= []);
            let seen = false;
            for (let k = 0; k < edges.length && !seen; k += 3) seen = edges[k] === lo && edges[k + 1] === hi && edges[k + 2] === next;
            if (!seen) edges.push(lo, hi, next);
            at = next;
          });
        }
        return;
      }
      case 'ref':
        (this.refs[from] ??= []).push(e.rule, to);
        return;
      case 'group':
        for (const alt of e.alts) this.seq(alt, from, to);
        return;
      case 'repeat': {
        const copies = e.max === Infinity ? e.min + 1 : e.max;
        if (copies * estimate(e.inner) + this.bytes.length > MAX_STATES) this.tooMany();
        let at = from;
        for (let i = 0; i < e.min; i++) {
          const next = this.state();
          this.element(e.inner, at, next);
          at = next;
        }
        if (e.max === Infinity) {
          const loop = this.state();
          (this.eps[at] ??= []).push(loop);
          this.element(e.inner, loop, loop);
          (this.eps[loop] ??= []).push(to);
          return;
        }
        for (let i = e.min; i < e.max; i++) {
          (this.eps[at] ??= []).push(to);
          const next = i === e.max - 1 ? to : this.state();
          this.element(e.inner, at, next);
          at = next;
        }
        if (e.max === e.min) (this.eps[at] ??= []).push(to);
      }
    }
  }

  finish(root: number, ruleNames: string[]): Nfa {
    const final = new Uint8Array(this.bytes.length);
    for (const f of this.finals) final[f] = 1;
    // Most states have one kind of edge: the empty lists share one array.
    const pack = (x: number[] | undefined) => (x?.length ? Int32Array.from(x) : EMPTY);
    return {
      bytes: this.bytes.map(pack),
      refs: this.refs.map(pack),
      eps: this.eps.map(pack),
      final,
      ruleStart: Int32Array.from(this.ruleStart),
      ruleEnd: Int32Array.from(this.ruleEnd),
      root,
      ruleNames,
    };
  }
}
