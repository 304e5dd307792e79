import { GrammarError } from '../constraint.js';
import { buildDispatch, parseDispatch, type DispatchBuilder } from './dispatch.js';
import { complement, encode, utf8Sequences } from './utf8-ranges.js';

/**
 * xgrammar's normalized grammar text (`Grammar.toString()`: one `name ::= body` per line,
 * bodies of `"literals"`, `[classes]`, rule names, groups, `|`, quantifiers, lookaheads)
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
const QUANTIFIER = /(\*|\+|\?|\{\s*(\d+)\s*(,\s*(\d*))?\s*\})/y;
const NAME = /[A-Za-z_][A-Za-z0-9_]*/y;
const ESCAPES: Record<string, number> = { n: 10, r: 13, t: 9, f: 12, v: 11, b: 8, '0': 0, e: 27, a: 7 };

export function compileNfa(text: string, root: string, deadline = Infinity): Nfa {
  const lines: string[] = [];
  for (const line of withoutComments(text).split('\n')) {
    if (/^[A-Za-z_][A-Za-z0-9_]*\s*::=/.test(line) || lines.length === 0) lines.push(line);
    else lines[lines.length - 1] += `\n${line}`;
  }
  const names = new Map<string, number>();
  const bodies: string[] = [];
  for (const line of lines) {
    if (!line.trim()) continue;
    const m = /^([A-Za-z_][A-Za-z0-9_]*)\s*::=\s*([\s\S]*)$/.exec(line);
    if (!m) throw new Unsupported(`unexpected grammar line: ${line.slice(0, 80)}`);
    names.set(m[1]!, bodies.length);
    bodies.push(m[2]!);
  }
  const rootId = names.get(root);
  if (rootId === undefined) throw new GrammarError(`the grammar has no rule '${root}'`);
  const builder = new Builder(bodies.length);
  bodies.forEach((body, r) => {
    if ((r & 63) === 0 && performance.now() > deadline) throw new GrammarError('compiling it took longer than the limit', 'grammar_too_complex');
    if (/^\s*TagDispatch\(/.test(body)) {
      const spec = parseDispatch(body, (s) => new BodyParser(`"${s}"`, names).literal());
      buildDispatch(spec, builder.ruleStart[r]!, builder.ruleEnd[r]!, builder.dispatchBuilder(names));
      return;
    }
    const alts = new BodyParser(body, names).alternatives(false);
    for (const alt of alts) builder.seq(alt, builder.ruleStart[r]!, builder.ruleEnd[r]!);
  });
  return builder.finish(rootId, [...names.keys()]);
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

/** The text without `#` comments (outside literals and classes). */
function withoutComments(text: string): string {
  if (!text.includes('#')) return text;
  let out = '';
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === '"' || c === '[') {
      const close = c === '"' ? '"' : ']';
      let j = i + 1;
      while (j < text.length && text[j] !== close && text[j] !== '\n') j += text[j] === '\\' ? 2 : 1;
      out += text.slice(i, j + 1);
      i = j + 1;
    } else if (c === '#') {
      while (i < text.length && text[i] !== '\n') i++;
    } else {
      out += c;
      i++;
    }
  }
  return out;
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

class BodyParser {
  private i = 0;
  constructor(private readonly s: string, private readonly names: Map<string, number>) {}

  alternatives(nested: boolean): Element[][] {
    const alts: Element[][] = [[]];
    for (;;) {
      this.space();
      if (this.i >= this.s.length) break;
      const c = this.s[this.i]!;
      if (c === ')') {
        if (!nested) throw new Unsupported(`unbalanced ')'`);
        break;
      }
      if (c === '|') {
        this.i++;
        alts.push([]);
        continue;
      }
      const e = this.element();
      if (e) alts[alts.length - 1]!.push(this.quantified(e));
    }
    return alts;
  }

  private quantified(e: Element): Element {
    QUANTIFIER.lastIndex = this.i;
    const m = QUANTIFIER.exec(this.s);
    if (!m) return e;
    this.i += m[0].length;
    if (m[1] === '*') return { kind: 'repeat', inner: e, min: 0, max: Infinity };
    if (m[1] === '+') return { kind: 'repeat', inner: e, min: 1, max: Infinity };
    if (m[1] === '?') return { kind: 'repeat', inner: e, min: 0, max: 1 };
    const min = Number(m[2]);
    const max = m[3] === undefined ? min : m[4] ? Number(m[4]) : Infinity;
    return { kind: 'repeat', inner: e, min, max };
  }

  /** One element, or null for a lookahead (xgrammar's printed lookaheads restate what the context already requires). */
  private element(): Element | null {
    const c = this.s[this.i]!;
    if (c === '"') return { kind: 'bytes', value: this.literal() };
    if (c === '[') return { kind: 'class', seqs: utf8Sequences(this.charClass()) };
    if (c === '(') {
      this.i++;
      const lookahead = this.s[this.i] === '=';
      if (lookahead) this.i++;
      const alts = this.alternatives(true);
      this.expect(')');
      return lookahead ? null : { kind: 'group', alts };
    }
    NAME.lastIndex = this.i;
    const name = NAME.exec(this.s)?.[0];
    if (!name) throw new Unsupported(`unexpected '${c}' in grammar`);
    this.i += name.length;
    if (name === 'TagDispatch') throw new Unsupported('TagDispatch inside a rule body');
    const rule = this.names.get(name);
    if (rule === undefined) throw new GrammarError(`rule '${name}' is not defined`);
    return { kind: 'ref', rule };
  }

  literal(): number[] {
    this.i++;
    const out: number[] = [];
    while (this.i < this.s.length && this.s[this.i] !== '"') {
      const cp = this.char();
      out.push(...encode(cp));
    }
    if (this.i >= this.s.length) throw new Unsupported('unterminated literal');
    this.i++;
    return out;
  }

  private charClass(): Array<[number, number]> {
    this.i++;
    const negated = this.s[this.i] === '^';
    if (negated) this.i++;
    const ranges: Array<[number, number]> = [];
    while (this.i < this.s.length && this.s[this.i] !== ']') {
      const lo = this.char();
      let hi = lo;
      if (this.s[this.i] === '-' && this.s[this.i + 1] !== ']') {
        this.i++;
        hi = this.char();
      }
      if (hi >= lo) ranges.push([lo, hi]);
    }
    if (this.i >= this.s.length) throw new Unsupported('unterminated class');
    this.i++;
    return negated ? complement(ranges) : ranges;
  }

  /** One (possibly escaped) code point. */
  private char(): number {
    const c = this.s[this.i]!;
    if (c !== '\\') {
      const cp = this.s.codePointAt(this.i)!;
      this.i += cp > 0xffff ? 2 : 1;
      return cp;
    }
    const e = this.s[this.i + 1]!;
    const hex = (n: number) => {
      const v = parseInt(this.s.slice(this.i + 2, this.i + 2 + n), 16);
      this.i += 2 + n;
      return v;
    };
    if (e === 'x') return hex(2);
    if (e === 'u') return hex(4);
    if (e === 'U') return hex(8);
    this.i += 2;
    return ESCAPES[e] ?? e.codePointAt(0)!;
  }

  private expect(c: string): void {
    this.space();
    if (this.s[this.i] !== c) throw new Unsupported(`expected '${c}'`);
    this.i++;
  }

  private space(): void {
    while (this.i < this.s.length && /\s/.test(this.s[this.i]!)) this.i++;
  }
}
