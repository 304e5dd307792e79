/**
 * EBNF for JSON string *content* (what goes between the quotes). xgrammar's JSON-schema
 * converter writes length-bounded strings as `[^"\\\r\n]{0,n}` (raw control characters,
 * which JSON forbids) and pattern strings straight from the regex (a raw `"` ends the
 * string early; a raw tab is invalid JSON). These helpers write them correctly: the
 * pattern and lengths constrain the decoded string, and characters JSON must escape are
 * produced in their escaped form.
 */

/** One decoded character: anything JSON may write raw, or one of the short escapes. */
export const JSON_CHAR = '([^"\\\\\\0-\\x1f] | "\\\\" ["\\\\/bfnrt])';

/** A character JSON may write raw (no escapes). */
export const RAW_JSON_CHAR = '[^"\\\\\\0-\\x1f]';

/**
 * Content of a string of `min`..`max` characters (max null: unbounded). A bounded string
 * is written without escapes (no `"`, `\` or control characters inside): xgrammar expands
 * `{m,n}` into n grammar positions and compiles a token mask for each, and a plain
 * character class there compiles ~3.5x faster than one with an escape alternative.
 */
export function lengthBoundedContent(min: number, max: number | null): string {
  if (max === null) return min === 0 ? `${JSON_CHAR}*` : `${JSON_CHAR}{${min},}`;
  return `${RAW_JSON_CHAR}{${min},${max}}`;
}

// ---- regex sub-grammars -----------------------------------------------------------------

const MAX_CODE_POINT = 0x10ffff;
type Range = [number, number];

/**
 * Rewrites the grammar xgrammar prints for a regex (rules `root`, `root_1`, ...) so that it
 * matches the JSON text of the strings the regex matches: rule names get `prefix`, every
 * literal and character class is re-encoded (`"` -> `\"`, `\` -> `\\`, control characters
 * -> their escapes). Returns the rule definitions; `prefix` itself names the root rule.
 */
export function regexGrammarToStringContent(ebnf: string, prefix: string): string[] {
  const rules: string[] = [];
  for (const line of ebnf.split('\n')) {
    const m = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*::=\s*(.*)$/.exec(line);
    if (!m) {
      if (line.trim()) throw new Error(`unexpected grammar line: ${line}`);
      continue;
    }
    rules.push(`${rename(m[1]!, prefix)} ::= ${rewriteBody(m[2]!, prefix)}`);
  }
  return rules;
}

function rename(name: string, prefix: string): string {
  return name === 'root' ? prefix : `${prefix}_${name}`;
}

function rewriteBody(body: string, prefix: string): string {
  let out = '';
  let i = 0;
  while (i < body.length) {
    const c = body[i]!;
    if (c === '"') {
      const end = scanQuoted(body, i, '"');
      out += encodeLiteral(decodeEscapes(body.slice(i + 1, end)));
      i = end + 1;
    } else if (c === '[') {
      const end = scanQuoted(body, i, ']');
      out += encodeClass(body.slice(i + 1, end));
      i = end + 1;
    } else if (/[A-Za-z_]/.test(c)) {
      let j = i;
      while (j < body.length && /[A-Za-z0-9_]/.test(body[j]!)) j++;
      out += rename(body.slice(i, j), prefix);
      i = j;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

/** Index of the unescaped `close` that ends the token opened at `start`. */
function scanQuoted(s: string, start: number, close: string): number {
  for (let i = start + 1; i < s.length; i++) {
    if (s[i] === '\\') { i++; continue; }
    if (s[i] === close) return i;
  }
  throw new Error(`unterminated token in grammar: ${s.slice(start)}`);
}

/** xgrammar's escapes inside literals and classes -> code points (escapes kept marked). */
function decodeEscapes(s: string): number[] {
  const out: number[] = [];
  for (let i = 0; i < s.length; ) {
    const c = s[i]!;
    if (c !== '\\') {
      const cp = s.codePointAt(i)!;
      out.push(cp);
      i += cp > 0xffff ? 2 : 1;
      continue;
    }
    const e = s[i + 1]!;
    const simple: Record<string, number> = { n: 10, r: 13, t: 9, f: 12, v: 11, b: 8, a: 7, e: 27, '0': 0 };
    if (e === 'x') { out.push(parseInt(s.slice(i + 2, i + 4), 16)); i += 4; continue; }
    if (e === 'u') { out.push(parseInt(s.slice(i + 2, i + 6), 16)); i += 6; continue; }
    if (e === 'U') { out.push(parseInt(s.slice(i + 2, i + 10), 16)); i += 10; continue; }
    out.push(e in simple ? simple[e]! : e.codePointAt(0)!);
    i += 2;
  }
  return out;
}

const SHORT_ESCAPES: Record<number, string> = { 8: 'b', 9: 't', 10: 'n', 12: 'f', 13: 'r', 0x22: '"', 0x5c: '\\' };

function mustEscape(cp: number): boolean {
  return cp < 0x20 || cp === 0x22 || cp === 0x5c;
}

/** How JSON writes one decoded character, as EBNF literal text (without quotes). */
function jsonText(cp: number): string {
  if (!mustEscape(cp)) return ebnfChar(cp, '"');
  const short = SHORT_ESCAPES[cp];
  if (short) return `\\\\${short === '"' ? '\\"' : short === '\\' ? '\\\\' : short}`;
  return `\\\\u00${cp.toString(16).padStart(2, '0')}`;
}

/** One code point inside an EBNF literal ("...") or class ([...]). */
function ebnfChar(cp: number, context: '"' | ']'): string {
  if (cp === 0x5c) return '\\\\';
  if (context === '"' && cp === 0x22) return '\\"';
  if (context === ']' && (cp === 0x5d || cp === 0x2d || cp === 0x5e || cp === 0x5b)) return `\\${String.fromCodePoint(cp)}`;
  if (cp < 0x20 || cp === 0x7f) return `\\x${cp.toString(16).padStart(2, '0')}`;
  if (cp > 0xffff) return `\\U${cp.toString(16).padStart(8, '0')}`;
  if (cp >= 0x80 && cp <= 0xa0) return `\\u${cp.toString(16).padStart(4, '0')}`;
  return String.fromCodePoint(cp);
}

function encodeLiteral(cps: number[]): string {
  return `"${cps.map(jsonText).join('')}"`;
}

function encodeClass(inner: string): string {
  const negated = inner.startsWith('^');
  const cps = decodeClassItems(negated ? inner.slice(1) : inner);
  let set = normalize(cps);
  if (negated) set = complement(set);
  const forbidden: Range[] = [[0, 0x1f], [0x22, 0x22], [0x5c, 0x5c]];
  const raw = subtract(set, forbidden);
  const alts: string[] = [];
  if (raw.length) alts.push(printClass(raw));
  for (const [a, b] of intersect(set, forbidden)) {
    for (let cp = a; cp <= b; cp++) alts.push(`"${jsonText(cp)}"`);
  }
  if (alts.length === 0) throw new Error('a character class of the pattern matches no character');
  return alts.length === 1 ? alts[0]! : `(${alts.join(' | ')})`;
}

/** Class items (`a-z`, `\n`, `\u03b1`) -> ranges. */
function decodeClassItems(s: string): Range[] {
  const cps: Array<number | '-'> = [];
  for (let i = 0; i < s.length; ) {
    if (s[i] === '-' ) { cps.push('-'); i++; continue; }
    let j = i + 1;
    if (s[i] === '\\') {
      const e = s[i + 1];
      j = e === 'x' ? i + 4 : e === 'u' ? i + 6 : e === 'U' ? i + 10 : i + 2;
    } else if (s.codePointAt(i)! > 0xffff) {
      j = i + 2;
    }
    cps.push(decodeEscapes(s.slice(i, j))[0]!);
    i = j;
  }
  const ranges: Range[] = [];
  for (let k = 0; k < cps.length; k++) {
    const a = cps[k]!;
    if (a === '-') { ranges.push([0x2d, 0x2d]); continue; }
    if (cps[k + 1] === '-' && k + 2 < cps.length && cps[k + 2] !== '-') {
      ranges.push([a, cps[k + 2] as number]);
      k += 2;
    } else {
      ranges.push([a, a]);
    }
  }
  return ranges;
}

function normalize(ranges: Range[]): Range[] {
  const sorted = ranges.map(([a, b]) => [Math.min(a, b), Math.max(a, b)] as Range).sort((x, y) => x[0] - y[0]);
  const out: Range[] = [];
  for (const r of sorted) {
    const last = out[out.length - 1];
    if (last && r[0] <= last[1] + 1) last[1] = Math.max(last[1], r[1]);
    else out.push([r[0], r[1]]);
  }
  return out;
}

function complement(set: Range[]): Range[] {
  const out: Range[] = [];
  let next = 0;
  for (const [a, b] of set) {
    if (a > next) out.push([next, a - 1]);
    next = b + 1;
  }
  if (next <= MAX_CODE_POINT) out.push([next, MAX_CODE_POINT]);
  return out;
}

function subtract(set: Range[], remove: Range[]): Range[] {
  return intersect(set, complement(normalize(remove)));
}

function intersect(x: Range[], y: Range[]): Range[] {
  const out: Range[] = [];
  for (const [a, b] of x) {
    for (const [c, d] of y) {
      const lo = Math.max(a, c);
      const hi = Math.min(b, d);
      if (lo <= hi) out.push([lo, hi]);
    }
  }
  return normalize(out);
}

function printClass(set: Range[]): string {
  // Large sets print shorter as a negation.
  const neg = complement(set);
  if (neg.length < set.length) {
    return `[^${neg.map(([a, b]) => (a === b ? ebnfChar(a, ']') : `${ebnfChar(a, ']')}-${ebnfChar(b, ']')}`)).join('')}]`;
  }
  return `[${set.map(([a, b]) => (a === b ? ebnfChar(a, ']') : `${ebnfChar(a, ']')}-${ebnfChar(b, ']')}`)).join('')}]`;
}
