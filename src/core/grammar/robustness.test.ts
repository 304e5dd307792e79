import Ajv from 'ajv';
import { beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { grammarRuntime } from '../../../tests/support/grammar-engine.js';
import { freshXGrammar, useXGrammarInNode } from '../../../tests/support/xgrammar-node.js';
import type { ChatCompletion } from '../../protocol/chat.js';
import type { BadRequestError } from '../../protocol/errors.js';
import { classIsEmpty, findUnproductive, parseNormalized, rootOf } from './analysis.js';
import { lowerSchema } from './constraint.js';
import { compileUncached, setCompileBudget, setGrammarEngine } from './matcher.js';
import { generation, setXGrammarLoader, type XGrammarApi } from './xgrammar.js';

/**
 * The grammar engine on hostile input (issue #11): constraints nothing satisfies are 400s
 * naming the param, a crash of xgrammar is a 400 that leaks nothing and the next request
 * works, a compile predicted past the budget is refused at once, many properties compile fast.
 */
beforeAll(() => useXGrammarInNode());

const ajv = new Ajv({ strict: false });
const user = [{ role: 'user', content: 'Give me data.' }];
type Runtime = ReturnType<typeof grammarRuntime>['runtime'];

function complete(runtime: Runtime, body: Record<string, unknown>): Promise<ChatCompletion> {
  return runtime.createChatCompletion({ model: 'g', messages: user, max_tokens: 400, ...body }, new AbortController().signal);
}

async function rejection(p: Promise<unknown>): Promise<BadRequestError> {
  try { await p; } catch (err) { return err as BadRequestError; }
  throw new Error('expected a rejection');
}

const schemaFormat = (schema: unknown) => ({ response_format: { type: 'json_schema', json_schema: { name: 'x', schema } } });

/** The host keeps serving: a plain schema right after gives a valid value. */
async function servesNext(runtime: Runtime): Promise<void> {
  const out = await complete(runtime, { ...schemaFormat({ type: 'object', properties: { y: { type: 'boolean' } }, required: ['y'], additionalProperties: false }), seed: 1 });
  expect(typeof JSON.parse(out.choices[0]!.message.content!).y).toBe('boolean');
}

describe('refusals that are true', () => {
  it('a schema no value satisfies is a 400 naming response_format (not a 200 with {})', async () => {
    const { runtime } = grammarRuntime();
    for (const schema of [
      { type: 'object', properties: {}, required: ['a'], additionalProperties: false },
      { type: 'object', properties: { a: false }, required: ['a'] },
      { type: 'array', minItems: 3, maxItems: 2 },
      { $defs: { a: { $ref: '#/$defs/a' } }, $ref: '#/$defs/a' },
      { $defs: { n: { type: 'object', properties: { next: { $ref: '#/$defs/n' } }, required: ['next'] } }, $ref: '#/$defs/n' },
    ]) {
      const err = await rejection(complete(runtime, schemaFormat(schema)));
      expect(err.status, JSON.stringify(schema)).toBe(400);
      expect(err.param).toBe('response_format');
      expect(err.message).toMatch(/no (JSON )?value satisfies/);
    }
    await servesNext(runtime);
  });

  it('satisfiable schemas stay accepted: a property from allOf under unevaluatedProperties false, a patternProperties match', async () => {
    const { runtime } = grammarRuntime();
    for (const schema of [
      { allOf: [{ type: 'object', properties: { a: { type: 'boolean' } } }], unevaluatedProperties: false, required: ['a'] },
      { type: 'object', patternProperties: { '^a$': { type: 'boolean' } }, required: ['a'], additionalProperties: false },
    ]) {
      const out = await complete(runtime, { ...schemaFormat(schema), seed: 1 });
      expect(out.choices[0]!.finish_reason, JSON.stringify(schema)).toBe('stop');
    }
  });

  it('the same in a tool: the 400 names tools[i].function.parameters', async () => {
    const { runtime } = grammarRuntime();
    const tools = [
      { type: 'function', function: { name: 'ok', parameters: { type: 'object', properties: {} } } },
      { type: 'function', function: { name: 'bad', parameters: { $defs: { a: { $ref: '#/$defs/a' } }, $ref: '#/$defs/a' } } },
    ];
    const err = await rejection(complete(runtime, { tools, tool_choice: 'required' }));
    expect([err.status, err.param]).toEqual([400, 'tools[1].function.parameters']);
  });

  it('a recursive $ref with a finite value (a tree) works', async () => {
    const { runtime } = grammarRuntime();
    const tree = { $defs: { node: { type: 'object', properties: { v: { type: 'integer', minimum: 0, maximum: 9 }, kids: { type: 'array', items: { $ref: '#/$defs/node' }, maxItems: 2 } }, required: ['v', 'kids'], additionalProperties: false } }, $ref: '#/$defs/node' };
    const validate = ajv.compile(tree);
    let valid = 0;
    for (let seed = 0; seed < 5; seed++) {
      const out = await complete(runtime, { ...schemaFormat(tree), seed, max_tokens: 2000 });
      if (out.choices[0]!.finish_reason !== 'stop') continue;
      expect(validate(JSON.parse(out.choices[0]!.message.content!))).toBe(true);
      valid++;
    }
    expect(valid).toBeGreaterThan(0);
  });

  it('a grammar that derives no finite string and a regex that cannot match are 400s', async () => {
    const { runtime } = grammarRuntime();
    for (const rf of [
      { type: 'grammar', grammar: 'root ::= root' },
      { type: 'grammar', grammar: 'root ::= "a" x\nx ::= "b" x' },
      { type: 'regex', regex: '[^\\s\\S]' },
      { type: 'regex', regex: 'a[^\\d\\D]b' },
    ]) {
      const err = await rejection(complete(runtime, { response_format: rf }));
      expect([err.status, err.param], JSON.stringify(rf)).toEqual([400, 'response_format']);
      expect(err.message).toMatch(/no finite output matches it/);
    }
    await servesNext(runtime);
  });

  it('a pathological backtracking regex compiles (an automaton, no backtracking) and is obeyed', async () => {
    const { runtime } = grammarRuntime();
    const started = performance.now();
    const out = await complete(runtime, { response_format: { type: 'regex', regex: '(a+)+b' }, seed: 3 });
    expect(out.choices[0]!.message.content).toMatch(/^(a+)+b$/);
    expect(performance.now() - started).toBeLessThan(5000);
  });

  it('the analysis: productive rules, empty classes', () => {
    expect(findUnproductive(parseNormalized('root ::= (("a" root) | ("b"))\n'))).toBeNull();
    expect(findUnproductive(parseNormalized('root ::= (("a" x))\nx ::= (("b" x))\n'))).toBe('root');
    expect(findUnproductive(parseNormalized('root ::= (([a-z]* x?))\nx ::= ((x))\n'))).toBeNull();
    // A structural tag's or a regex's grammar is wrapped: the root is the unreferenced root_N.
    expect(rootOf(parseNormalized('root ::= (("x"))\nroot_1 ::= ((root))\n'))).toBe('root_1');
    expect(findUnproductive(parseNormalized('root ::= (("x"))\nroot_1 ::= ((root root_1))\n'))).toBe('root_1');
    expect(classIsEmpty('^\\0-\\U0010ffff')).toBe(true);
    expect(classIsEmpty('^\\0-\\x40\\x42-\\U0010ffff')).toBe(false);
    expect(classIsEmpty('a-z')).toBe(false);
  });
});

describe('failures of the grammar engine itself', () => {
  it('a crash is a 400 grammar_too_complex without the engine\'s text, the instance is replaced, and the next request works', async () => {
    const { runtime } = grammarRuntime();
    let deep: unknown = { type: 'boolean' };
    for (let i = 0; i < 200; i++) deep = { type: 'object', properties: { x: deep }, required: ['x'] };
    const before = generation('check');
    const err = await rejection(complete(runtime, schemaFormat(deep)));
    expect([err.status, err.param, err.code]).toEqual([400, 'response_format', 'grammar_too_complex']);
    expect(err.message).not.toMatch(/memory|Aborted|RuntimeError|ASSERTIONS/);
    expect(generation('check')).toBeGreaterThan(before);
    await servesNext(runtime);
    // A new schema (not cached) compiles on the new instance.
    const out = await complete(runtime, { ...schemaFormat({ type: 'object', properties: { z: { enum: ['p', 'q'] } }, required: ['z'] }), seed: 2 });
    expect(['p', 'q']).toContain(JSON.parse(out.choices[0]!.message.content!).z);
  });

  it('a bad request replaces only the checking instance: compiled grammars survive it', async () => {
    const { runtime } = grammarRuntime();
    await servesNext(runtime);
    const match = generation('match');
    const check = generation('check');
    await rejection(complete(runtime, { response_format: { type: 'grammar', grammar: 'root ::= "a" |' } }));
    expect(generation('check')).toBeGreaterThan(check);
    expect(generation('match')).toBe(match);
    await servesNext(runtime);
  });

  it('forced: a trap in any call (here xgrammar\'s compile, the fallback engine) is contained the same way', async () => {
    setGrammarEngine('xgrammar');
    onTestFinished(() => setGrammarEngine('lazy'));
    let sabotage = true;
    // An instance whose compiler traps once, as a WebAssembly crash would.
    setXGrammarLoader(async () => {
      const fresh = freshXGrammar();
      const api: XGrammarApi = { ...fresh, GrammarCompiler: { createGrammarCompiler: async (info: never) => {
        const c = await fresh.GrammarCompiler.createGrammarCompiler(info);
        const compileGrammar = c.compileGrammar.bind(c);
        c.compileGrammar = (async (g: string) => {
          if (sabotage) { sabotage = false; throw new WebAssembly.RuntimeError('unreachable executed'); }
          return compileGrammar(g);
        }) as typeof c.compileGrammar;
        return c;
      } } as never };
      return api;
    });
    const { runtime } = grammarRuntime();
    const err = await rejection(complete(runtime, schemaFormat({ type: 'object', properties: { q: { type: 'integer' } }, required: ['q'] })));
    expect([err.status, err.code]).toEqual([400, 'grammar_too_complex']);
    expect(err.message).not.toMatch(/unreachable/);
    useXGrammarInNode();
    await servesNext(runtime);
  });
});

describe('compile cost', () => {
  it('xgrammar: a compile predicted past the budget is refused at once, naming the param', async () => {
    setGrammarEngine('xgrammar');
    onTestFinished(() => setGrammarEngine('lazy'));
    const { runtime } = grammarRuntime();
    // The test model's vocabulary is ~110 tokens: a budget to match its scale.
    setCompileBudget(0.01);
    try {
      const started = performance.now();
      const err = await rejection(complete(runtime, schemaFormat({ type: 'object', properties: { s: { type: 'string', maxLength: 200_000 } }, required: ['s'] })));
      expect([err.status, err.param, err.code]).toEqual([400, 'response_format', 'grammar_too_complex']);
      expect(err.message).toMatch(/would take about/);
      expect(performance.now() - started).toBeLessThan(3000);
    } finally {
      setCompileBudget(5000);
    }
    await servesNext(runtime);
  });

  it('an object with 200 required properties compiles in seconds at most (was 15.9 s; ~0.3-1.6 s on a loaded 2-core VM)', async () => {
    const props: Record<string, unknown> = {};
    for (let i = 0; i < 200; i++) props[`p${i}`] = { type: 'string' };
    const ebnf = await lowerSchema({ type: 'object', properties: props, required: Object.keys(props), additionalProperties: false });
    const tokens = ['', ...Array.from({ length: 95 }, (_, i) => String.fromCharCode(0x20 + i))];
    const ms = await compileUncached({ tokens, vocabType: 'raw', prependSpace: false, vocabSize: tokens.length, stopTokenIds: [0] }, { type: 'grammar', grammar: ebnf });
    expect(ms).toBeLessThan(4000);
  });
});

