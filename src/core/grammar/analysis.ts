import { parseBody, parseClass, splitRules, type EbnfNode } from './ebnf.js';

/**
 * Facts about a grammar in the normalized form xgrammar prints (`Grammar.toString()`,
 * parsed by ebnf.ts), each element reduced to what the facts need: terminals by length
 * and emptiness.
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
  for (const { name, body } of splitRules(text)) rules.set(name, { name, alternatives: alternativesOf(parseBody(body)) });
  return rules;
}

function alternativesOf(alts: EbnfNode[][]): Element[][] {
  return alts.map((alt) => alt.map(elementOf));
}

function elementOf(e: EbnfNode): Element {
  switch (e.kind) {
    case 'literal': return { kind: 'terminal', empty: false, length: e.codePoints.length };
    case 'class': return { kind: 'terminal', empty: rangesAreEmpty(e.ranges, e.negated), length: 1 };
    case 'ref': return { kind: 'rule', name: e.name };
    case 'group': return { kind: 'group', alternatives: alternativesOf(e.alts) };
    // A lookahead derives nothing itself; TagDispatch is free text that can always end
    // (stop_eos / a stop string).
    case 'lookahead':
    case 'dispatch': return { kind: 'always' };
    // `e*`, `e?`, `e{0,n}` derive the empty string; `e+`, `e{m,n}` what `e` derives. An
    // unbounded repeat is one position in xgrammar (a loop); a bounded one is max positions.
    case 'repeat': return { kind: 'repeat', inner: elementOf(e.inner), min: e.min, max: e.max === Infinity ? Math.max(e.min, 1) : e.max };
  }
}

// ---- character classes ------------------------------------------------------------------

const MAX_CODE_POINT = 0x10ffff;

/** A class that no character matches (`[^\s\S]` prints as a negated class of everything); `body` is its inside. */
export function classIsEmpty(body: string): boolean {
  const { ranges, negated } = parseClass(body);
  return rangesAreEmpty(ranges, negated);
}

function rangesAreEmpty(ranges: Array<[number, number]>, negated: boolean): boolean {
  if (!negated) return ranges.length === 0;
  const sorted = [...ranges].sort((a, b) => a[0] - b[0]);
  let covered = -1;
  for (const [lo, hi] of sorted) {
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
