import { beforeAll, describe, expect, it } from 'vitest';
import { syntheticVocab } from '../../../../bench/structured.js';
import { useXGrammarInNode } from '../../../../tests/support/xgrammar-node.js';
import type { LoadedModel, TokenVocabulary } from '../../engine.js';
import { GrammarError, lowerSchema, validateConstraint } from '../constraint.js';
import { tokenMaskSource } from '../matcher.js';
import { prepareStructured } from '../../structured.js';
import { GrammarModel } from '../../../../tests/support/grammar-engine.js';
import { LazyTokenMask } from './engine.js';

/**
 * The lazy engine's compile on untrusted input: abortable, under a deadline, never holding
 * the event loop for long, and bounded on pathological schemas.
 */
beforeAll(() => useXGrammarInNode());

const model = (vocab: TokenVocabulary) => ({ tokenVocabulary: () => vocab }) as unknown as LoadedModel;

/** The longest the event loop went without running a 1 ms interval while `p` ran. */
async function longestGap<T>(p: Promise<T>): Promise<{ value: T | unknown; gap: number; failed: boolean }> {
  let last = performance.now();
  let gap = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    gap = Math.max(gap, now - last);
    last = now;
  }, 1);
  try {
    return { value: await p, gap, failed: false };
  } catch (err) {
    return { value: err, gap, failed: true };
  } finally {
    clearInterval(timer);
  }
}

describe('which engine takes a request', () => {
  const tool = { type: 'function', function: { name: 'get', parameters: { type: 'object', properties: { q: { type: 'string' } }, required: ['q'] } } };
  const cases: Array<[string, Record<string, unknown>, 'lazy' | 'xgrammar']> = [
    ['json_schema', { response_format: { type: 'json_schema', json_schema: { name: 'x', schema: { type: 'object', properties: { a: { type: 'integer' } } } } } }, 'lazy'],
    ['json_object', { response_format: { type: 'json_object' } }, 'lazy'],
    ['regex', { response_format: { type: 'regex', regex: '[a-z]{3}' } }, 'lazy'],
    ['grammar', { response_format: { type: 'grammar', grammar: 'root ::= "a"+' } }, 'lazy'],
    ['tool_choice required', { tools: [tool], tool_choice: 'required' }, 'lazy'],
    ['a named tool', { tools: [tool], tool_choice: { type: 'function', function: { name: 'get' } } }, 'lazy'],
    ['tool_choice auto (free text with a trigger)', { tools: [tool], tool_choice: 'auto' }, 'lazy'],
    ['a left-recursive EBNF', { response_format: { type: 'grammar', grammar: 'root ::= root "a" | "b"' } }, 'xgrammar'],
    ['an EBNF with a lookahead', { response_format: { type: 'grammar', grammar: 'root ::= x [a-z]\nx ::= "a" (= "b")' } }, 'xgrammar'],
  ];
  for (const [name, body, engine] of cases) {
    it(`${name}: ${engine}`, async () => {
      const model = new GrammarModel('g');
      const prepared = await prepareStructured({ model: 'g', messages: [{ role: 'user', content: 'hi' }], ...body } as never, model, { messages: [{ role: 'user', content: 'hi' }] });
      const mask = await prepared.tokenMask!.create();
      expect(mask instanceof LazyTokenMask ? 'lazy' : 'xgrammar').toBe(engine);
      mask.dispose();
    });
  }
});

describe('lazy compile', () => {
  it('abort during a compile ends the request at once; the vocabulary work goes on for the next request', async () => {
    const vocab = syntheticVocab(151_936);
    const m = model(vocab);
    await validateConstraint({ type: 'json_object' }); // xgrammar's parse (and its module's start) first
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 20);
    let abortedAt = 0;
    ac.signal.addEventListener('abort', () => { abortedAt = performance.now(); });
    const aborted = await longestGap(tokenMaskSource(m, { type: 'json_object' }, ac.signal));
    expect(aborted.failed).toBe(true);
    expect((aborted.value as Error).name).toBe('AbortError');
    // Rejected within a slice of the abort, while the work was still going on.
    expect(performance.now() - abortedAt).toBeLessThan(150);
    const started = performance.now();
    const next = await longestGap(tokenMaskSource(m, { type: 'json_object' }, new AbortController().signal));
    expect(next.failed).toBe(false);
    expect(performance.now() - started).toBeGreaterThan(5); // it was not finished when the abort came
    // The host was never blocked for long (slices of ~8 ms; generous for a loaded machine).
    expect(Math.max(aborted.gap, next.gap)).toBeLessThan(250);
    const mask = await (next.value as { create(): Promise<{ next(): Promise<Int32Array> }> }).create();
    const bits = await mask.next();
    const open = vocab.tokens.indexOf('{');
    expect(bits[open >> 5]! & (1 << (open & 31))).not.toBe(0);
  }, 60_000);

  it('pathological schemas stay bounded: deep nesting, many properties, big bounds, a backtracking pattern', async () => {
    const vocab = syntheticVocab(32_000);
    let deep: unknown = { type: 'boolean' };
    for (let i = 0; i < 40; i++) deep = { type: 'object', properties: { x: deep }, required: ['x'] };
    const props: Record<string, unknown> = {};
    for (let i = 0; i < 400; i++) props[`p${i}`] = { type: 'string' };
    const schemas = [
      deep,
      { type: 'object', properties: props, required: Object.keys(props), additionalProperties: false },
      { type: 'array', items: { type: 'integer' }, minItems: 1000 },
      { type: 'string', maxLength: 100_000 },
      { type: 'string', pattern: '^(a+)+b$' },
    ];
    for (const schema of schemas) {
      const grammar = await lowerSchema(schema);
      const started = performance.now();
      const source = await tokenMaskSource(model(vocab), { type: 'grammar', grammar });
      const mask = await source.create();
      for (let i = 0; i < 3; i++) {
        const bits = await mask.next();
        const first = bits.findIndex((w) => w !== 0);
        const id = first * 32 + Math.clz32(0) - 32 + (31 - Math.clz32(bits[first]! & -bits[first]!));
        expect(mask.accept(id)).toBe(true);
      }
      expect(performance.now() - started, JSON.stringify(schema).slice(0, 60)).toBeLessThan(3000);
    }
  }, 120_000);

  it('past the deadline the compile is refused as grammar_too_complex', async () => {
    const { setCompileBudget } = await import('../matcher.js');
    setCompileBudget(1);
    try {
      const err = await tokenMaskSource(model(syntheticVocab(151_936)), { type: 'json_object' }).catch((e) => e);
      expect(err).toBeInstanceOf(GrammarError);
      expect((err as GrammarError).code).toBe('grammar_too_complex');
    } finally {
      setCompileBudget(5000);
    }
  }, 60_000);
});
