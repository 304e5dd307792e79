/**
 * Facts about a grammar in the normalized form xgrammar prints (`Grammar.toString()`):
 * one rule per line, `name ::= body`, bodies built from `"literals"`, `[classes]`, rule
 * names, `( ... )` groups, `|`, `""`, lookaheads `(= ...)` and `TagDispatch(...)`;
 * `{m,n}`, `*`, `+` and `?` are already expanded into rules there.
 *
 * - `findUnproductive`: whether the root derives at least one finite string. `root ::= root`,
 *   a `$ref` cycle with no way out, a regex no string matches: each compiles to a grammar
 *   that either refuses every token or loops in xgrammar's compiler, so they are refused.
 * - `terminalPositions`: how many terminal positions the grammar has; xgrammar's compile
 *   precomputes a token mask for each one, so its cost is about positions x vocabulary.
 */

type Element =
  | { kind: 'terminal'; empty: boolean; length: number }
  | { kind: 'rule'; name: string }
  | { kind: 'group'; alternatives: Element[][] }
  | { kind: 'repeat'; inner: Element; min: number; max: number }
  | { kind: 'always' };

interface Rule {
  name: string;
  alternatives: Element[][];
}

/** Parses the printed grammar; throws on text it does not understand (a caller bug). */
export function parseNormalized(text: string): Map<string, Rule> {
  const rules = new Map<string, Rule>();
  // TagDispatch spans several lines: join the continuation lines to their rule.
  const lines: string[] = [];
  for (const line of text.split('\n')) {
    if (/^[A-Za-z_][A-Za-z0-9_]*\s*::=/.test(line) || lines.length === 0) lines.push(line);
    else lines[lines.length - 1] += `\n${line}`;
  }
  for (const line of lines) {
    if (!line.trim()) continue;
    const m = /^([A-Za-z_][A-Za-z0-9_]*)\s*::=\s*([\s\S]*)$/.exec(line);
    if (!m) throw new Error(`unexpected grammar line: ${line.slice(0, 80)}`);
    const parser = new BodyParser(m[2]!);
    rules.set(m[1]!, { name: m[1]!, alternatives: parser.alternatives(false) });
  }
  return rules;
}

class BodyParser {
  private i = 0;
  constructor(private readonly s: string) {}

  alternatives(nested: boolean): Element[][] {
    const alts: Element[][] = [[]];
    for (;;) {
      this.space();
      if (this.i >= this.s.length) break;
      const c = this.s[this.i]!;
      if (c === ')') {
        if (!nested) throw new Error(`unbalanced ')' in ${this.s.slice(0, 80)}`);
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

  /** `e*`, `e?`, `e{0,n}` derive the empty string; `e+`, `e{m,n}` what `e` derives. */
  private quantified(e: Element): Element {
    const m = /^(\*|\+|\?|\{\s*(\d+)\s*(,\s*(\d*))?\s*\})/.exec(this.s.slice(this.i));
    if (!m) return e;
    this.i += m[0].length;
    const min = m[1] === '+' ? 1 : m[2] !== undefined ? Number(m[2]) : 0;
    // An unbounded repeat is one position in xgrammar (a loop); a bounded one is max positions.
    const max = m[2] === undefined ? 1 : m[3] === undefined ? min : m[4] ? Number(m[4]) : Math.max(min, 1);
    return { kind: 'repeat', inner: e, min, max };
  }

  private element(): Element {
    const c = this.s[this.i]!;
    if (c === '"') {
      const text = this.scan('"');
      return { kind: 'terminal', empty: false, length: text.replace(/\\(x..|u.{4}|U.{8}|.)/g, 'x').length };
    }
    if (c === '[') return { kind: 'terminal', empty: classIsEmpty(this.scan(']')), length: 1 };
    if (c === '(') {
      this.i++;
      if (this.s[this.i] === '=') {
        // A lookahead restricts what follows; it derives nothing itself.
        this.i++;
        this.alternatives(true);
        this.expect(')');
        return { kind: 'always' };
      }
      const alternatives = this.alternatives(true);
      this.expect(')');
      return { kind: 'group', alternatives };
    }
    const name = /^[A-Za-z_][A-Za-z0-9_]*/.exec(this.s.slice(this.i))?.[0];
    if (!name) throw new Error(`unexpected '${c}' in grammar: ${this.s.slice(0, 80)}`);
    this.i += name.length;
    if (name === 'TagDispatch' && this.s[this.i] === '(') {
      // Free text with tagged sections: it can always end (stop_eos / a stop string).
      this.skipBalanced();
      return { kind: 'always' };
    }
    return { kind: 'rule', name };
  }

  /** The text between a delimiter at i and its closing `close`, escapes kept. */
  private scan(close: string): string {
    const start = ++this.i;
    while (this.i < this.s.length && this.s[this.i] !== close) this.i += this.s[this.i] === '\\' ? 2 : 1;
    if (this.i >= this.s.length) throw new Error(`unterminated ${close} in grammar`);
    return this.s.slice(start, this.i++);
  }

  private skipBalanced(): void {
    let depth = 0;
    do {
      const c = this.s[this.i]!;
      if (c === '"') { this.scan('"'); continue; }
      if (c === '(') depth++;
      else if (c === ')') depth--;
      this.i++;
    } while (depth > 0 && this.i < this.s.length);
  }

  private expect(c: string): void {
    this.space();
    if (this.s[this.i] !== c) throw new Error(`expected '${c}' in grammar: ${this.s.slice(0, 80)}`);
    this.i++;
  }

  private space(): void {
    while (this.i < this.s.length && /\s/.test(this.s[this.i]!)) this.i++;
  }
}

// ---- character classes ------------------------------------------------------------------

const MAX_CODE_POINT = 0x10ffff;
const ESCAPES: Record<string, number> = { n: 10, r: 13, t: 9, f: 12, v: 11, b: 8, '0': 0, e: 27 };

/** A class that no character matches (`[^\s\S]` prints as a negated class of everything). */
export function classIsEmpty(body: string): boolean {
  const negated = body.startsWith('^');
  const ranges: Array<[number, number]> = [];
  let i = negated ? 1 : 0;
  const next = (): number => {
    const c = body[i]!;
    if (c !== '\\') {
      const cp = body.codePointAt(i)!;
      i += cp > 0xffff ? 2 : 1;
      return cp;
    }
    const e = body[i + 1]!;
    const hex = (n: number) => { const v = parseInt(body.slice(i + 2, i + 2 + n), 16); i += 2 + n; return v; };
    if (e === 'x') return hex(2);
    if (e === 'u') return hex(4);
    if (e === 'U') return hex(8);
    i += 2;
    return ESCAPES[e] ?? e.codePointAt(0)!;
  };
  while (i < body.length) {
    const lo = next();
    let hi = lo;
    if (body[i] === '-' && i + 1 < body.length) {
      i++;
      hi = next();
    }
    ranges.push([lo, hi]);
  }
  if (!negated) return ranges.length === 0;
  ranges.sort((a, b) => a[0] - b[0]);
  let covered = -1;
  for (const [lo, hi] of ranges) {
    if (lo > covered + 1) return false;
    covered = Math.max(covered, hi);
  }
  return covered >= MAX_CODE_POINT;
}

// ---- facts --------------------------------------------------------------------------------

/** The names an element refers to. */
function references(e: Element, into: Set<string>): void {
  if (e.kind === 'rule') into.add(e.name);
  else if (e.kind === 'group') e.alternatives.forEach((alt) => alt.forEach((x) => references(x, into)));
  else if (e.kind === 'repeat') references(e.inner, into);
}

/**
 * The root rule of a printed grammar. Not always `root`: a structural tag or a regex wraps
 * its grammar in `root_1 ::= ((...))`, printed after it. The root is the last `root*` rule
 * no other rule refers to.
 */
export function rootOf(rules: Map<string, Rule>): string {
  const referenced = new Set<string>();
  for (const rule of rules.values()) {
    const refs = new Set<string>();
    rule.alternatives.forEach((alt) => alt.forEach((e) => references(e, refs)));
    refs.delete(rule.name);
    refs.forEach((r) => referenced.add(r));
  }
  const roots = [...rules.keys()].filter((n) => /^root(_\d+)?$/.test(n) && !referenced.has(n));
  return roots[roots.length - 1] ?? 'root';
}

/**
 * The first rule (from the root) that derives no finite string, or null when the root
 * does. A least fixed point: a rule is productive once one alternative is.
 */
export function findUnproductive(rules: Map<string, Rule>, root = rootOf(rules)): string | null {
  const productive = new Set<string>();
  const derives = (e: Element): boolean => {
    switch (e.kind) {
      case 'terminal': return !e.empty;
      case 'always': return true;
      case 'rule': return productive.has(e.name);
      case 'group': return e.alternatives.some((alt) => alt.every(derives));
      case 'repeat': return e.min === 0 || derives(e.inner);
    }
  };
  let changed = true;
  while (changed) {
    changed = false;
    for (const rule of rules.values()) {
      if (!productive.has(rule.name) && rule.alternatives.some((alt) => alt.every(derives))) {
        productive.add(rule.name);
        changed = true;
      }
    }
  }
  if (!rules.has(root)) return root;
  return productive.has(root) ? null : root;
}

const REPEAT_POSITIONS = 800;

/** Terminal positions (each character of a literal, each class) of the rules the root reaches. */
export function terminalPositions(rules: Map<string, Rule>, root = rootOf(rules)): number {
  const one = (e: Element): number =>
    e.kind === 'terminal' ? e.length
      : e.kind === 'group' ? count(e.alternatives)
      // xgrammar keeps long bounded repeats of a rule as one construct (`r{0, 1000}`), whose
      // compile costs like ~800 positions whatever the bound (measured at 32k tokens).
      : e.kind === 'repeat' ? (e.inner.kind === 'rule' && e.max > 1 ? REPEAT_POSITIONS : one(e.inner) * e.max)
      : 0;
  const count = (alts: Element[][]): number => alts.reduce((sum, alt) => sum + alt.reduce((s, e) => s + one(e), 0), 0);
  const reached = new Set<string>();
  const visit = (name: string) => {
    const rule = rules.get(name);
    if (!rule || reached.has(name)) return;
    reached.add(name);
    const refs = new Set<string>();
    rule.alternatives.forEach((alt) => alt.forEach((e) => references(e, refs)));
    refs.forEach(visit);
  };
  visit(root);
  let total = 0;
  for (const name of reached) total += count(rules.get(name)!.alternatives);
  return total;
}
