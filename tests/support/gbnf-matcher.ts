/**
 * A small GBNF recognizer for tests: whether a grammar (in the subset gbnf.ts writes and
 * xgrammar's EBNF uses: literals, classes, rule references, groups, `|`, `* + ? {m,n}`)
 * derives a string. Memoized end positions per (node, start); no left recursion.
 */
type Node =
  | { t: 'lit'; cps: number[] }
  | { t: 'class'; neg: boolean; ranges: Array<[number, number]> }
  | { t: 'ref'; name: string }
  | { t: 'alt'; alts: Node[][] }
  | { t: 'rep'; inner: Node; min: number; max: number };

export function gbnfAccepts(grammar: string, text: string): boolean {
  const rules = new Map<string, Node>();
  for (const line of grammar.split('\n')) {
    const m = /^([A-Za-z0-9-]+) ::= (.*)$/.exec(line);
    if (m) rules.set(m[1]!, parseBody(m[2]!));
  }
  const cps = [...text].map((c) => c.codePointAt(0)!);
  const memo = new Map<Node, Map<number, Set<number>>>();
  const ends = (n: Node, at: number): Set<number> => {
    let byPos = memo.get(n);
    if (!byPos) memo.set(n, (byPos = new Map()));
    const hit = byPos.get(at);
    if (hit) return hit;
    const out = new Set<number>();
    byPos.set(at, out);
    switch (n.t) {
      case 'lit':
        if (n.cps.every((c, i) => cps[at + i] === c)) out.add(at + n.cps.length);
        break;
      case 'class': {
        const c = cps[at];
        if (c !== undefined && n.ranges.some(([lo, hi]) => c >= lo && c <= hi) !== n.neg) out.add(at + 1);
        break;
      }
      case 'ref':
        for (const e of ends(rules.get(n.name)!, at)) out.add(e);
        break;
      case 'alt':
        for (const seq of n.alts) {
          let cur = new Set([at]);
          for (const item of seq) {
            const next = new Set<number>();
            for (const p of cur) for (const e of ends(item, p)) next.add(e);
            cur = next;
          }
          for (const e of cur) out.add(e);
        }
        break;
      case 'rep': {
        let cur = new Set([at]);
        if (n.min === 0) out.add(at);
        for (let k = 1; k <= n.max && cur.size; k++) {
          const next = new Set<number>();
          for (const p of cur) for (const e of ends(n.inner, p)) if (e !== p) next.add(e);
          if (k >= n.min) for (const e of next) out.add(e);
          cur = next;
        }
        break;
      }
    }
    return out;
  };
  return ends({ t: 'ref', name: 'root' }, 0).has(cps.length);
}

function parseBody(s: string): Node {
  let i = 0;
  const esc = (): number => {
    const e = s[i++]!;
    const hex = (n: number) => { const v = parseInt(s.slice(i, i + n), 16); i += n; return v; };
    if (e === 'x') return hex(2);
    if (e === 'u') return hex(4);
    if (e === 'U') return hex(8);
    return ({ n: 10, r: 13, t: 9 } as Record<string, number>)[e] ?? e.codePointAt(0)!;
  };
  const char = (): number => {
    if (s[i] === '\\') { i++; return esc(); }
    const cp = s.codePointAt(i)!;
    i += cp > 0xffff ? 2 : 1;
    return cp;
  };
  const alternatives = (): Node => {
    const alts: Node[][] = [[]];
    for (;;) {
      while (s[i] === ' ') i++;
      if (i >= s.length || s[i] === ')') break;
      if (s[i] === '|') { i++; alts.push([]); continue; }
      alts[alts.length - 1]!.push(postfix(atom()));
    }
    return { t: 'alt', alts };
  };
  const atom = (): Node => {
    const c = s[i]!;
    if (c === '"') {
      i++;
      const cps: number[] = [];
      while (s[i] !== '"') cps.push(char());
      i++;
      return { t: 'lit', cps };
    }
    if (c === '[') {
      i++;
      const neg = s[i] === '^';
      if (neg) i++;
      const ranges: Array<[number, number]> = [];
      while (s[i] !== ']') {
        const lo = char();
        if (s[i] === '-' && s[i + 1] !== ']') { i++; ranges.push([lo, char()]); } else ranges.push([lo, lo]);
      }
      i++;
      return { t: 'class', neg, ranges };
    }
    if (c === '(') { i++; const n = alternatives(); i++; return n; }
    const name = /^[A-Za-z0-9-]+/.exec(s.slice(i))![0];
    i += name.length;
    return { t: 'ref', name };
  };
  const postfix = (n: Node): Node => {
    for (;;) {
      while (s[i] === ' ' && /[*+?{]/.test(s[i + 1] ?? '')) i++;
      const m = /^(\*|\+|\?|\{(\d+)(,(\d*))?\})/.exec(s.slice(i));
      if (!m) return n;
      i += m[0].length;
      const [min, max] = m[1] === '*' ? [0, Infinity] : m[1] === '+' ? [1, Infinity] : m[1] === '?' ? [0, 1]
        : [Number(m[2]), m[3] === undefined ? Number(m[2]) : m[4] ? Number(m[4]) : Infinity];
      n = { t: 'rep', inner: n, min, max };
    }
  };
  return alternatives();
}
