import { beforeAll, describe, expect, it } from 'vitest';
import { useXGrammarInNode } from '../../../tests/support/xgrammar-node.js';
import { NumericBoundsError, numericRule, toDecimal, type NumericBounds } from './numeric.js';
import { xgrammar } from './xgrammar.js';

beforeAll(() => useXGrammarInNode());

/** Short canonical JSON numbers: every one is an exact oracle with Number(). */
function candidates(): string[] {
  const out = new Set<string>();
  for (let i = -120; i <= 120; i++) out.add(String(i));
  for (const i of [-12, -10, -3, -2, -1, 0, 1, 2, 3, 4, 5, 9, 10, 11, 99, 100, 101]) {
    for (const f of ['0', '00', '05', '1', '25', '4', '49', '5', '50', '51', '6', '75', '9', '99', '999']) {
      out.add(`${i < 0 ? '-' : ''}${Math.abs(i)}.${f}`);
    }
  }
  out.add('-0');
  out.add('-0.0');
  out.add('-0.5');
  out.add('1000');
  out.add('123456');
  for (const bad of ['01', '1.', '.5', '+1', '1e2', '--1', '']) out.add(bad);
  return [...out];
}

function inBounds(s: string, b: NumericBounds): boolean {
  if (!/^-?(0|[1-9][0-9]*)(\.[0-9]+)?$/.test(s)) return false;
  if (b.integer && s.includes('.')) return false;
  // Negative zero is left out ("-0", "-0.00"): fewer strings, never a wrong one.
  if (/^-0(\.0+)?$/.test(s)) return false;
  const v = Number(s);
  if (b.minimum !== undefined && v < b.minimum) return false;
  if (b.maximum !== undefined && v > b.maximum) return false;
  if (b.exclusiveMinimum !== undefined && v <= b.exclusiveMinimum) return false;
  if (b.exclusiveMaximum !== undefined && v >= b.exclusiveMaximum) return false;
  return true;
}

const CASES: NumericBounds[] = [
  { integer: true, minimum: 5 },
  { integer: true, minimum: 0 },
  { integer: true, minimum: -7 },
  { integer: true, maximum: 5 },
  { integer: true, maximum: -3 },
  { integer: true, minimum: 5, maximum: 10 },
  { integer: true, minimum: -10, maximum: 10 },
  { integer: true, minimum: -100, maximum: -10 },
  { integer: true, exclusiveMinimum: 0, maximum: 100 },
  { integer: true, exclusiveMinimum: -1, exclusiveMaximum: 1 },
  { integer: true, minimum: 1.5, maximum: 4.5 },
  { integer: true, minimum: 0, maximum: 0 },
  { integer: false, minimum: 0, maximum: 100 },
  { integer: false, minimum: 0 },
  { integer: false, maximum: 1.5 },
  { integer: false, minimum: 1.5, maximum: 2.5 },
  { integer: false, exclusiveMinimum: 0, exclusiveMaximum: 1 },
  { integer: false, minimum: -1, maximum: 1 },
  { integer: false, minimum: -2.5, maximum: -0.5 },
  { integer: false, exclusiveMinimum: -10, exclusiveMaximum: 10 },
  { integer: false, minimum: 3.05, maximum: 3.5 },
  { integer: false, minimum: 0.25, exclusiveMaximum: 0.75 },
  { integer: false, exclusiveMinimum: 0 },
  { integer: false, exclusiveMaximum: 0 },
  { integer: false, minimum: 99.99, maximum: 100.5 },
  { integer: false, minimum: 5, exclusiveMinimum: 5 },
  { integer: false, minimum: 0, maximum: 0 },
];

describe('numericRule', () => {
  it.each(CASES.map((c) => [JSON.stringify(c), c] as const))('accepts exactly the numbers within %s', async (_name, bounds) => {
    const xg = await xgrammar();
    const grammar = await xg.Grammar.fromEBNF(`root ::= ${numericRule(bounds)}`);
    const wrong: string[] = [];
    for (const s of candidates()) {
      const accepted = await xg.Testings.isGrammarAcceptString(grammar, s);
      if (accepted !== inBounds(s, bounds)) wrong.push(`${s}: ${accepted ? 'accepted' : 'rejected'}`);
    }
    grammar.dispose();
    expect(wrong).toEqual([]);
  });

  it('refuses bounds no number satisfies', () => {
    expect(() => numericRule({ integer: true, minimum: 5, maximum: 4 })).toThrow(NumericBoundsError);
    expect(() => numericRule({ integer: true, minimum: 1.2, maximum: 1.8 })).toThrow(NumericBoundsError);
    expect(() => numericRule({ integer: false, exclusiveMinimum: 1, exclusiveMaximum: 1 })).toThrow(NumericBoundsError);
  });

  it('expands doubles into exact decimals', () => {
    expect(toDecimal(1e21)).toEqual({ int: 1000000000000000000000n, frac: '' });
    expect(toDecimal(1.5e-7)).toEqual({ int: 0n, frac: '00000015' });
    expect(toDecimal(100.25)).toEqual({ int: 100n, frac: '25' });
  });
});
