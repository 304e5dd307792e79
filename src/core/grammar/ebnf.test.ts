import { describe, expect, it } from 'vitest';
import { decodeLiteral, EbnfSyntaxError, parseBody, parseClass, splitRules } from './ebnf.js';

describe('the shared EBNF parser', () => {
  it('splits rules, joins continuation lines, drops comments outside literals and classes', () => {
    const rules = splitRules('# a comment\nroot ::= "a#b" [#] x # trailing\nx ::= TagDispatch(\n  ("<t>", y),\n  stop_eos=true\n)\n\n');
    expect(rules.map((r) => r.name)).toEqual(['root', 'x']);
    expect(rules[0]!.body.trim()).toBe('"a#b" [#] x');
    expect(rules[1]!.body).toContain('stop_eos=true');
    expect(() => splitRules('root = "a"')).toThrow(EbnfSyntaxError);
  });

  it('parses literals, classes, refs, groups, lookaheads, quantifiers and TagDispatch', () => {
    const [alt1, alt2] = parseBody('"h\\x69\\n" [^a-c\\]] (x | "") (= "z") y* z+ w? v{2} u{1,} t{0,3} | TagDispatch(("<a>", r), stop_str=(")"), stop_eos=false, loop_after_dispatch=true)');
    expect(alt1).toEqual([
      { kind: 'literal', codePoints: [0x68, 0x69, 10] },
      { kind: 'class', ranges: [[0x61, 0x63], [0x5d, 0x5d]], negated: true },
      { kind: 'group', alts: [[{ kind: 'ref', name: 'x' }], [{ kind: 'literal', codePoints: [] }]] },
      { kind: 'lookahead', alts: [[{ kind: 'literal', codePoints: [0x7a] }]] },
      { kind: 'repeat', inner: { kind: 'ref', name: 'y' }, min: 0, max: Infinity },
      { kind: 'repeat', inner: { kind: 'ref', name: 'z' }, min: 1, max: Infinity },
      { kind: 'repeat', inner: { kind: 'ref', name: 'w' }, min: 0, max: 1 },
      { kind: 'repeat', inner: { kind: 'ref', name: 'v' }, min: 2, max: 2 },
      { kind: 'repeat', inner: { kind: 'ref', name: 'u' }, min: 1, max: Infinity },
      { kind: 'repeat', inner: { kind: 'ref', name: 't' }, min: 0, max: 3 },
    ]);
    // The dispatch's text whole, a ')' inside its literals included.
    expect(alt2).toEqual([{ kind: 'dispatch', text: 'TagDispatch(("<a>", r), stop_str=(")"), stop_eos=false, loop_after_dispatch=true)' }]);
  });

  it('decodes escapes and astral characters; reads class insides', () => {
    expect(decodeLiteral('\\u00e9\\U0001F600😀\\t\\"')).toEqual([0xe9, 0x1f600, 0x1f600, 9, 0x22]);
    expect(parseClass('^\\0-\\U0010ffff')).toEqual({ ranges: [[0, 0x10ffff]], negated: true });
    expect(parseClass('a-')).toEqual({ ranges: [[0x61, 0x61], [0x2d, 0x2d]], negated: false });
  });

  it('refuses what it cannot read', () => {
    for (const body of ['"open', '[a-', '(x', 'x )', '@']) expect(() => parseBody(body)).toThrow(EbnfSyntaxError);
  });
});
