/**
 * The grammar text both grammar paths read: xgrammar's normalized form (`Grammar.toString()`)
 * and the EBNF requests send. One `name ::= body` per line (continuation lines join the rule
 * above; `#` comments outside literals and classes are dropped); bodies of `"literals"`,
 * `[classes]`, rule names, `( ... )` groups, `|`, `*` `+` `?` `{m,n}`, lookaheads `(= ...)`
 * and `TagDispatch(...)`. Parsed once into this small tree: analysis.ts takes facts from it
 * (productivity, terminal positions), lazy/nfa.ts compiles it to byte automata.
 */

/** Text this parser does not understand. */
export class EbnfSyntaxError extends Error {}

export type EbnfNode =
  /** Code points, escapes decoded. */
  | { kind: 'literal'; codePoints: number[] }
  /** Inclusive code point ranges as written (`negated`: the class is their complement). */
  | { kind: 'class'; ranges: Array<[number, number]>; negated: boolean }
  | { kind: 'ref'; name: string }
  | { kind: 'group'; alts: EbnfNode[][] }
  /** `(= ...)`: restricts what follows, derives nothing itself. */
  | { kind: 'lookahead'; alts: EbnfNode[][] }
  /** `max` is Infinity for `*`, `+` and `{m,}`. */
  | { kind: 'repeat'; inner: EbnfNode; min: number; max: number }
  /** `TagDispatch(...)`, its whole text (lazy/dispatch.ts reads it). */
  | { kind: 'dispatch'; text: string };

export interface EbnfRule {
  name: string;
  body: string;
}

const RULE = /^([A-Za-z_][A-Za-z0-9_]*)\s*::=\s*([\s\S]*)$/;
const QUANTIFIER = /(\*|\+|\?|\{\s*(\d+)\s*(,\s*(\d*))?\s*\})/y;
const NAME = /[A-Za-z_][A-Za-z0-9_]*/y;
const ESCAPES: Record<string, number> = { n: 10, r: 13, t: 9, f: 12, v: 11, b: 8, '0': 0, e: 27, a: 7 };

/** The rules of a grammar text, in order, bodies unparsed. */
export function splitRules(text: string): EbnfRule[] {
  // TagDispatch spans several lines: continuation lines join their rule.
  const lines: string[] = [];
  for (const line of withoutComments(text).split('\n')) {
    if (/^[A-Za-z_][A-Za-z0-9_]*\s*::=/.test(line) || lines.length === 0) lines.push(line);
    else lines[lines.length - 1] += `\n${line}`;
  }
  const rules: EbnfRule[] = [];
  for (const line of lines) {
    if (!line.trim()) continue;
    const m = RULE.exec(line);
    if (!m) throw new EbnfSyntaxError(`unexpected grammar line: ${line.slice(0, 80)}`);
    rules.push({ name: m[1]!, body: m[2]! });
  }
  return rules;
}

/** A rule body's alternatives, each a sequence of elements. */
export function parseBody(body: string): EbnfNode[][] {
  return new BodyParser(body).alternatives(false);
}

/** The code points of a literal's inside (the text between its quotes, escapes as written). */
export function decodeLiteral(inner: string): number[] {
  return (new BodyParser(`"${inner}"`).element() as { codePoints: number[] }).codePoints;
}

/** The ranges of a class's inside (the text between its brackets, `^` first when negated). */
export function parseClass(inner: string): { ranges: Array<[number, number]>; negated: boolean } {
  const { ranges, negated } = new BodyParser(`[${inner}]`).element() as { ranges: Array<[number, number]>; negated: boolean };
  return { ranges, negated };
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

class BodyParser {
  private i = 0;
  constructor(private readonly s: string) {}

  alternatives(nested: boolean): EbnfNode[][] {
    const alts: EbnfNode[][] = [[]];
    for (;;) {
      this.space();
      if (this.i >= this.s.length) break;
      const c = this.s[this.i]!;
      if (c === ')') {
        if (!nested) throw new EbnfSyntaxError(`unbalanced ')' in ${this.s.slice(0, 80)}`);
        break;
      }
      if (c === '|') {
        this.i++;
        alts.push([]);
        continue;
      }
      alts[alts.length - 1]!.push(this.quantified(this.element()));
    }
    return alts;
  }

  element(): EbnfNode {
    const c = this.s[this.i]!;
    if (c === '"') return { kind: 'literal', codePoints: this.literal() };
    if (c === '[') return { kind: 'class', ...this.charClass() };
    if (c === '(') {
      this.i++;
      const lookahead = this.s[this.i] === '=';
      if (lookahead) this.i++;
      const alts = this.alternatives(true);
      this.expect(')');
      return { kind: lookahead ? 'lookahead' : 'group', alts };
    }
    NAME.lastIndex = this.i;
    const name = NAME.exec(this.s)?.[0];
    if (!name) throw new EbnfSyntaxError(`unexpected '${c}' in grammar: ${this.s.slice(0, 80)}`);
    const start = this.i;
    this.i += name.length;
    if (name === 'TagDispatch' && this.s[this.i] === '(') {
      this.skipBalanced();
      return { kind: 'dispatch', text: this.s.slice(start, this.i) };
    }
    return { kind: 'ref', name };
  }

  private quantified(e: EbnfNode): EbnfNode {
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

  private literal(): number[] {
    this.i++;
    const out: number[] = [];
    while (this.i < this.s.length && this.s[this.i] !== '"') out.push(this.char());
    if (this.i >= this.s.length) throw new EbnfSyntaxError('unterminated literal');
    this.i++;
    return out;
  }

  private charClass(): { ranges: Array<[number, number]>; negated: boolean } {
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
    if (this.i >= this.s.length) throw new EbnfSyntaxError('unterminated class');
    this.i++;
    return { ranges, negated };
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

  /** Past a balanced `( ... )`, literals inside included. */
  private skipBalanced(): void {
    let depth = 0;
    do {
      const c = this.s[this.i]!;
      if (c === '"') {
        this.literal();
        continue;
      }
      if (c === '(') depth++;
      else if (c === ')') depth--;
      this.i++;
    } while (depth > 0 && this.i < this.s.length);
  }

  private expect(c: string): void {
    this.space();
    if (this.s[this.i] !== c) throw new EbnfSyntaxError(`expected '${c}' in grammar: ${this.s.slice(0, 80)}`);
    this.i++;
  }

  private space(): void {
    while (this.i < this.s.length && /\s/.test(this.s[this.i]!)) this.i++;
  }
}
