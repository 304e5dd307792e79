import type { StructuralTagFormat } from '@mlc-ai/web-xgrammar';
import type { GrammarConstraint } from '../../core/engine.js';
import { lowerStructuralFormat, toFormat } from '../../core/grammar/constraint.js';

/**
 * core's GrammarConstraint as llama.cpp's GBNF (the `grammar` of a completion request;
 * llama.cpp's grammar sampler enforces it, since wllama exposes no logits to mask).
 *
 * Every constraint is first lowered by core to one structural-tag format whose leaves are
 * xgrammar EBNF (core's exact JSON-schema grammars), regexes and literals; this module
 * translates that tree:
 * - EBNF: xgrammar's dialect is GBNF-derived. Rule names take `-` not `_` and get a prefix
 *   per grammar (each has its own `root`); lookaheads `(= ...)` are dropped (they only
 *   prune, the language is the same); escapes GBNF lacks (`\0`, `\f`, `\/`, ...) become `\xHH`.
 * - regex: a JS-style regex compiled to GBNF (literals, classes, `\d\w\s`, groups,
 *   alternation, quantifiers); lookarounds and backreferences are refused.
 * - tags, sequences, `or`, `tags_with_separator`, `triggered_tags`, `any_text`: free text
 *   that must not contain a trigger (or a tag's end) is an automaton over the strings'
 *   prefixes, one GBNF rule per state.
 */

/** A constraint GBNF cannot express. */
export class GbnfError extends Error {}

export async function constraintToGbnf(c: GrammarConstraint): Promise<string> {
  const format = await lowerStructuralFormat(toFormat(c));
  const b = new Builder();
  b.rule('root', b.format(format));
  return b.text();
}

class Builder {
  private readonly rules: string[] = [];
  private n = 0;
  private readonly avoided = new Map<string, string>();

  fresh(hint: string): string {
    return `${hint}${this.n++}`;
  }

  rule(name: string, body: string): string {
    this.rules.push(`${name} ::= ${body}`);
    return name;
  }

  text(): string {
    return `${this.rules.join('\n')}\n`;
  }

  format(f: StructuralTagFormat): string {
    const x = f as unknown as Record<string, unknown> & { type: string };
    switch (x.type) {
      case 'const_string':
        return literal(String(x.value));
      case 'grammar':
        return importEbnf(String(x.grammar), this.fresh('g'), (name, body) => this.rule(name, body));
      case 'regex':
        return `( ${regexToGbnf(String(x.pattern))} )`;
      case 'any_text':
        return this.avoid([]);
      case 'sequence':
        return `( ${(x.elements as StructuralTagFormat[]).map((e) => this.format(e)).join(' ')} )`;
      case 'or':
        return `( ${(x.elements as StructuralTagFormat[]).map((e) => this.format(e)).join(' | ')} )`;
      case 'tag':
        return this.tag(x);
      case 'tags_with_separator': {
        const one = this.tagChoice(x.tags as Record<string, unknown>[]);
        const sep = literal(String(x.separator ?? ''));
        const body = x.stop_after_first ? one : `${one} ( ${sep} ${one} )*`;
        return x.at_least_one ? `( ${body} )` : `( ${body} )?`;
      }
      case 'triggered_tags': {
        const one = this.tagChoice(x.tags as Record<string, unknown>[]);
        const free = this.avoid([...(x.triggers as string[]), ...((x.excludes as string[] | undefined) ?? [])]);
        if (x.at_least_one) return x.stop_after_first ? one : `( ${one} ( ${free} ${one} )* ${free} )`;
        return x.stop_after_first ? `( ${free} ( ${one} )? )` : `( ${free} ( ${one} ${free} )* )`;
      }
      default:
        throw new GbnfError(`structural tag format '${x.type}' has no GBNF translation`);
    }
  }

  private tagChoice(tags: Record<string, unknown>[]): string {
    return `( ${tags.map((t) => this.tag(t)).join(' | ')} )`;
  }

  private tag(t: Record<string, unknown>): string {
    const ends = (Array.isArray(t.end) ? t.end : [t.end ?? '']).map(String);
    const end = ends.length === 1 ? literal(ends[0]!) : `( ${ends.map(literal).join(' | ')} )`;
    const content = t.content as StructuralTagFormat;
    // Free text inside a tag runs up to the first occurrence of its end.
    const body = (content as { type: string }).type === 'any_text' ? this.avoid(ends.filter(Boolean)) : this.format(content);
    return `( ${literal(String(t.begin ?? ''))} ${body} ${end} )`;
  }

  /**
   * Any text that contains none of `patterns`: an automaton whose states are the patterns'
   * proper prefixes (the longest one the text ends with), one rule each; a character that
   * would complete a pattern has no transition.
   */
  avoid(patterns: string[]): string {
    const key = JSON.stringify([...new Set(patterns)].sort());
    const hit = this.avoided.get(key);
    if (hit) return hit;
    const base = this.fresh('text');
    this.avoided.set(key, `${base}-0`);
    const pats = [...new Set(patterns)].filter(Boolean);
    const prefixes = [''];
    for (const p of pats) {
      const cps = [...p];
      for (let i = 1; i < cps.length; i++) {
        const pre = cps.slice(0, i).join('');
        if (!prefixes.includes(pre)) prefixes.push(pre);
      }
    }
    const name = (s: string) => `${base}-${prefixes.indexOf(s)}`;
    const interesting = [...new Set(pats.flatMap((p) => [...p]))];
    const step = (s: string, c: string): string | null => {
      const t = s + c;
      if (pats.some((p) => t.endsWith(p))) return null;
      const cps = [...t];
      for (let i = 0; i < cps.length; i++) {
        const suffix = cps.slice(i).join('');
        if (prefixes.includes(suffix)) return suffix;
      }
      return '';
    };
    const other = interesting.length ? `[^${interesting.map(classChar).join('')}]` : ANY;
    for (const s of prefixes) {
      const alts = ['""', `${other} ${name('')}`];
      for (const c of interesting) {
        const next = step(s, c);
        if (next !== null) alts.push(`${literal(c)} ${name(next)}`);
      }
      this.rule(name(s), alts.join(' | '));
    }
    return name('');
  }
}

/** Any one character. */
const ANY = '[\\x00-\\U0010FFFF]';

// ---- literals and escapes ------------------------------------------------------------------

function hexEscape(cp: number): string {
  if (cp <= 0xff) return `\\x${cp.toString(16).padStart(2, '0')}`;
  if (cp <= 0xffff) return `\\u${cp.toString(16).padStart(4, '0')}`;
  return `\\U${cp.toString(16).padStart(8, '0')}`;
}

export function literal(s: string): string {
  let out = '';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    out += ch === '"' || ch === '\\' ? `\\${ch}` : cp < 0x20 || cp === 0x7f ? hexEscape(cp) : ch;
  }
  return `"${out}"`;
}

/** A character inside a GBNF class: anything but letters and digits escaped. */
function classChar(ch: string): string {
  return /[A-Za-z0-9 ]/.test(ch) ? ch : hexEscape(ch.codePointAt(0)!);
}

const NAMED: Record<string, number> = { '0': 0, f: 12, v: 11, b: 8, e: 27, a: 7 };
const GBNF_ESCAPES = new Set(['t', 'r', 'n', '\\', '"', '[', ']']);

/** An xgrammar string or class body with its escapes in the forms GBNF's parser knows. */
function fixEscapes(body: string): string {
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c !== '\\') { out += c; continue; }
    const e = body[++i]!;
    if (e === 'x' || e === 'u' || e === 'U') {
      const len = e === 'x' ? 2 : e === 'u' ? 4 : 8;
      out += `\\${e}${body.slice(i + 1, i + 1 + len)}`;
      i += len;
    } else if (GBNF_ESCAPES.has(e)) {
      out += `\\${e}`;
    } else {
      out += hexEscape(NAMED[e] ?? e.codePointAt(0)!);
      if (e.codePointAt(0)! > 0xffff) i++;
    }
  }
  return out;
}

// ---- xgrammar EBNF -> GBNF ----------------------------------------------------------------

/**
 * Adds an xgrammar EBNF grammar's rules under `prefix` (via `add`) and returns the name of
 * its root rule.
 */
export function importEbnf(ebnf: string, prefix: string, add: (name: string, body: string) => void): string {
  const names = new Map<string, string>();
  const rename = (id: string) => {
    let n = names.get(id);
    if (!n) {
      n = `${prefix}-${names.size}-${id.replace(/[^A-Za-z0-9]/g, '-')}`;
      names.set(id, n);
    }
    return n;
  };
  const rules: Array<{ name: string; body: string[] }> = [];
  let i = 0;
  const s = ebnf;
  const ident = /[A-Za-z_][A-Za-z0-9_.-]*/y;
  const define = /\s*::=/y;
  const scan = (close: string): string => {
    const start = i++;
    while (i < s.length && s[i] !== close) i += s[i] === '\\' ? 2 : 1;
    if (i >= s.length) throw new GbnfError(`unterminated ${close} in the grammar`);
    i++;
    return s.slice(start, i);
  };
  const skipLookahead = () => {
    let depth = 0;
    do {
      const c = s[i]!;
      if (c === '"') { scan('"'); continue; }
      if (c === '[') { scan(']'); continue; }
      if (c === '(') depth++;
      else if (c === ')') depth--;
      i++;
    } while (depth > 0 && i < s.length);
  };
  while (i < s.length) {
    const c = s[i]!;
    if (/\s/.test(c)) { i++; continue; }
    if (c === '#') { while (i < s.length && s[i] !== '\n') i++; continue; }
    ident.lastIndex = i;
    const id = ident.exec(s);
    if (id) {
      i += id[0].length;
      define.lastIndex = i;
      const d = define.exec(s);
      if (d) {
        i += d[0].length;
        rules.push({ name: rename(id[0]), body: [] });
        continue;
      }
      if (id[0] === 'TagDispatch' && s[i] === '(') throw new GbnfError('TagDispatch has no GBNF translation');
      current().push(rename(id[0]));
      continue;
    }
    if (c === '"') { current().push(`"${fixEscapes(scan('"').slice(1, -1))}"`); continue; }
    if (c === '[') { current().push(`[${fixEscapes(scan(']').slice(1, -1))}]`); continue; }
    if (c === '(' && /^\(\s*=/.test(s.slice(i, i + 8))) { skipLookahead(); continue; }
    const quant = /^\{\s*\d*\s*(,\s*\d*\s*)?\}/.exec(s.slice(i));
    if (quant) { current().push(quant[0].replace(/\s+/g, '')); i += quant[0].length; continue; }
    if ('()|*+?'.includes(c)) { current().push(c); i++; continue; }
    throw new GbnfError(`unexpected '${c}' in the grammar`);
  }
  function current(): string[] {
    const r = rules.at(-1);
    if (!r) throw new GbnfError('the grammar does not start with a rule');
    return r.body;
  }
  if (!names.has('root')) throw new GbnfError('the grammar has no root rule');
  for (const r of rules) add(r.name, r.body.join(' ') || '""');
  const undefinedRule = [...names.entries()].find(([, n]) => !rules.some((r) => r.name === n));
  if (undefinedRule) throw new GbnfError(`rule '${undefinedRule[0]}' is not defined`);
  return rename('root');
}

// ---- regex -> GBNF ------------------------------------------------------------------------

const CLASS_SHORTHAND: Record<string, string> = {
  d: '0-9',
  w: 'a-zA-Z0-9_',
  s: ' \\t\\n\\r\\x0b\\x0c',
};

/** A regex (JS / xgrammar syntax, the whole output must match) as a GBNF expression. */
export function regexToGbnf(pattern: string): string {
  let i = 0;
  const p = pattern;
  const fail = (what: string): never => { throw new GbnfError(`regex ${JSON.stringify(pattern)}: ${what} is not supported`); };

  const alternation = (): string => {
    const alts = [sequence()];
    while (p[i] === '|') { i++; alts.push(sequence()); }
    return alts.length === 1 ? alts[0]! : `( ${alts.join(' | ')} )`;
  };
  const sequence = (): string => {
    const items: string[] = [];
    while (i < p.length && p[i] !== '|' && p[i] !== ')') {
      const a = atom();
      if (a === null) continue;
      items.push(a + quantifier());
    }
    return items.length ? items.join(' ') : '""';
  };
  const quantifier = (): string => {
    const m = /^(\*|\+|\?|\{(\d+)(,(\d*))?\})[?+]?/.exec(p.slice(i));
    if (!m) return '';
    i += m[0].length;
    return m[1]!;
  };
  const escapeCp = (): number => {
    const e = p[i++]!;
    const hex = (n: number) => { const v = parseInt(p.slice(i, i + n), 16); if (Number.isNaN(v)) fail(`escape \\${e}`); i += n; return v; };
    if (e === 'x') return hex(2);
    if (e === 'u') {
      if (p[i] === '{') { const end = p.indexOf('}', i); const v = parseInt(p.slice(i + 1, end), 16); i = end + 1; return v; }
      return hex(4);
    }
    const named: Record<string, number> = { n: 10, r: 13, t: 9, f: 12, v: 11, '0': 0 };
    if (e in named) return named[e]!;
    if (/[A-Za-z0-9]/.test(e)) fail(`escape \\${e}`);
    return e.codePointAt(0)!;
  };
  const atom = (): string | null => {
    const c = p[i]!;
    if (c === '^' || c === '$') {
      // Anchors at the ends are implied (the whole output matches); elsewhere they are not supported.
      if ((c === '^' && i === 0) || (c === '$' && i === p.length - 1)) { i++; return null; }
      fail(`anchor '${c}' inside the pattern`);
    }
    if (c === '(') {
      i++;
      if (p[i] === '?') {
        if (p[i + 1] === ':') i += 2;
        else if (p[i + 1] === '<' && p[i + 2] !== '=' && p[i + 2] !== '!') i = p.indexOf('>', i) + 1;
        else fail('a lookaround or group flag');
      }
      const inner = alternation();
      if (p[i] !== ')') fail('an unbalanced parenthesis');
      i++;
      return `( ${inner} )`;
    }
    if (c === '[') return charClass();
    if (c === '.') { i++; return '[^\\n\\r]'; }
    if (c === '\\') {
      i++;
      const e = p[i]!;
      if (e in CLASS_SHORTHAND) { i++; return `[${CLASS_SHORTHAND[e]}]`; }
      if (e.toLowerCase() in CLASS_SHORTHAND) { i++; return `[^${CLASS_SHORTHAND[e.toLowerCase()]}]`; }
      if (/[1-9bBk]/.test(e)) fail(`\\${e}`);
      return literal(String.fromCodePoint(escapeCp()));
    }
    if ('*+?'.includes(c) || /^\{\d+(,\d*)?\}/.test(p.slice(i))) fail('a quantifier with nothing before it');
    const cp = p.codePointAt(i)!;
    i += cp > 0xffff ? 2 : 1;
    return literal(String.fromCodePoint(cp));
  };
  const charClass = (): string => {
    i++;
    let out = '';
    if (p[i] === '^') { out += '^'; i++; }
    let first = true;
    while (i < p.length && (p[i] !== ']' || first)) {
      first = false;
      if (p[i] === '\\') {
        i++;
        const e = p[i]!;
        if (e in CLASS_SHORTHAND) { out += CLASS_SHORTHAND[e]; i++; continue; }
        if (e.toLowerCase() in CLASS_SHORTHAND) fail(`\\${e} inside a class`);
        out += hexEscape(escapeCp());
        continue;
      }
      if (p[i] === '-' && out.length > 0 && p[i + 1] !== ']' && !out.endsWith('^')) { out += '-'; i++; continue; }
      const cp = p.codePointAt(i)!;
      i += cp > 0xffff ? 2 : 1;
      out += classChar(String.fromCodePoint(cp));
    }
    if (p[i] !== ']') fail('an unterminated class');
    i++;
    return `[${out}]`;
  };

  const out = alternation();
  if (i < p.length) fail('an unbalanced parenthesis');
  return out;
}
