/**
 * Contract tests of the web-llm adapter's grammar mapping: core's engine-neutral
 * constraint -> web-llm's `response_format`. They prove the MAPPING, not the engine: the
 * formats are compiled by the real xgrammar exactly as web-llm 0.2.86 compiles them, and
 * enforced by the scripted pipeline the way web-llm's pipeline enforces them (bitmask
 * before the LogitProcessor), under web-llm's real MLCEngine.
 */
import Ajv from 'ajv';
import { describe, expect, test } from 'vitest';
import type { GenerateOptions, GrammarConstraint, LoadedModel } from '../../src/core/engine.js';
import { toResponseFormat } from '../../src/engines/webllm/grammar.js';
import { BadRequestError } from '../../src/protocol/errors.js';
import { PEAK, type WebLLMScript } from './support/scripted-webllm.js';
import { setup, signal } from './support/setup.js';
import { loadXGrammar } from './support/xgrammar.js';

const PERSON = {
  type: 'object',
  properties: { name: { type: 'string' }, age: { type: 'integer', minimum: 0 } },
  required: ['name', 'age'],
  additionalProperties: false,
};

describe('mapping', () => {
  test('each constraint maps to the response_format web-llm takes', () => {
    expect(toResponseFormat(undefined)).toBeUndefined();
    // web-llm 0.2.86 compiles json_object with `compileJSONSchema(schema)`; without a schema
    // that throws, so "a JSON object" is spelled out as a schema.
    expect(toResponseFormat({ type: 'json_object' })).toEqual({ type: 'json_object', schema: '{"type":"object"}' });
    expect(toResponseFormat({ type: 'json_schema', schema: PERSON })).toEqual({ type: 'json_object', schema: JSON.stringify(PERSON) });
    expect(toResponseFormat({ type: 'grammar', grammar: 'root ::= "a"' })).toEqual({ type: 'grammar', grammar: 'root ::= "a"' });
    expect(toResponseFormat({ type: 'regex', pattern: '[0-9]+' })).toEqual({
      type: 'structural_tag',
      structural_tag: { type: 'structural_tag', format: { type: 'regex', pattern: '[0-9]+' } },
    });
    const tag = { type: 'structural_tag', format: { type: 'const_string', value: 'hi' } };
    expect(toResponseFormat({ type: 'structural_tag', structuralTag: tag })).toEqual({ type: 'structural_tag', structural_tag: tag });
  });

  test('every mapped format compiles in xgrammar the way web-llm compiles it, and means what core meant', async () => {
    const xg = await loadXGrammar();
    const accepts = async (constraint: GrammarConstraint, text: string) => {
      const f = toResponseFormat(constraint)!;
      const grammar = f.type === 'json_object' ? await xg.Grammar.fromJSONSchema(f.schema!)
        : f.type === 'grammar' ? await xg.Grammar.fromEBNF(f.grammar!)
        : await xg.Grammar.fromStructuralTag(f.structural_tag as never);
      return xg.Testings.isGrammarAcceptString(grammar, text);
    };
    expect(await accepts({ type: 'json_object' }, '{"any": [1, true]}')).toBe(true);
    expect(await accepts({ type: 'json_object' }, '[1]')).toBe(false);
    expect(await accepts({ type: 'json_schema', schema: PERSON }, '{"name": "Ada", "age": 36}')).toBe(true);
    expect(await accepts({ type: 'json_schema', schema: PERSON }, '{"name": "Ada", "age": "old"}')).toBe(false);
    expect(await accepts({ type: 'json_schema', schema: PERSON }, '{"name": "Ada", "age": 36, "x": 1}')).toBe(false);
    expect(await accepts({ type: 'grammar', grammar: 'root ::= "yes" | "no"' }, 'no')).toBe(true);
    expect(await accepts({ type: 'grammar', grammar: 'root ::= "yes" | "no"' }, 'maybe')).toBe(false);
    expect(await accepts({ type: 'regex', pattern: '[0-9]+' }, '42')).toBe(true);
    expect(await accepts({ type: 'regex', pattern: '[0-9]+' }, '4a')).toBe(false);
  });
});

/**
 * A model that would rather chat (A) than answer in JSON, and would rather give a
 * schema-violating JSON (J1) than the right one (J2); it also likes '4' then '2', and 'n'.
 */
const A = 'Sure! Here you go.';
const J1 = '{"name": "Ada", "age": "old"}';
const J2 = '{"name": "Ada", "age": 36}';
const chatty: WebLLMScript = {
  logits: (g) => {
    const out: Record<string, number> = {};
    const want = (text: string, score: number) => {
      if (text.startsWith(g) && g.length < text.length) out[text[g.length]!] = Math.max(out[text[g.length]!] ?? -Infinity, score);
      if (g === text) out['<eos>'] = Math.max(out['<eos>'] ?? -Infinity, score);
    };
    want(A, PEAK + 5);
    want(J1, PEAK + 3);
    want(J2, PEAK);
    want('42', 2);
    want('no', 1);
    return out;
  },
};

async function loadDirect(model = 'm', script: WebLLMScript = chatty) {
  const { engine, web } = setup({ [model]: script });
  const loaded = await engine.load(
    { id: model, engine: 'webllm', source: { repo: model, baseUrl: `https://models.test/${model}/` }, options: { model_lib: 'https://libs.test/m.wasm' } },
    { device: 'auto', signal: signal(), onProgress: () => {} },
  );
  return { loaded, web };
}

const greedy = (grammar?: GrammarConstraint): GenerateOptions => ({
  maxTokens: 64,
  sampling: { temperature: 0, topP: 1, topK: 0, minP: 0, repetitionPenalty: 1, presencePenalty: 0, frequencyPenalty: 0, logitBias: new Map() },
  seed: 1,
  topLogprobs: null,
  minTokens: 0,
  ignoreEos: false,
  grammar: grammar ?? null,
});

async function run(model: LoadedModel, grammar?: GrammarConstraint, extra: Partial<GenerateOptions> = {}): Promise<string> {
  const prompt = await model.prepareChat({ messages: [{ role: 'user', content: 'Who is Ada? Answer in JSON.' }] });
  let text = '';
  for await (const token of model.generate(prompt, { ...greedy(grammar), ...extra }, signal())) if (!token.isEos) text += token.text;
  return text;
}

describe('enforced by web-llm (scripted pipeline, real xgrammar)', () => {
  test('free text without a constraint; JSON with json_object; the schema with json_schema', async () => {
    const { loaded, web } = await loadDirect();
    expect(await run(loaded)).toBe(A);
    expect(await run(loaded, { type: 'json_object' })).toBe(J1);
    const out = await run(loaded, { type: 'json_schema', schema: PERSON });
    expect(out).toBe(J2);
    expect(new Ajv().validate(PERSON, JSON.parse(out))).toBe(true);
    expect(web.callsOf('chatCompletion').map((c) => (c.args[0] as { response_format?: unknown }).response_format)).toEqual([
      undefined,
      { type: 'json_object', schema: '{"type":"object"}' },
      { type: 'json_object', schema: JSON.stringify(PERSON) },
    ]);
  });

  test("core's Sampler (here because logprobs are asked for) samples inside the mask too: web-llm masks before the hook", async () => {
    const { loaded, web } = await loadDirect();
    expect(await run(loaded, { type: 'json_schema', schema: PERSON }, { topLogprobs: 2 })).toBe(J2);
    expect(web.callsOf('chatCompletion')[0]!.args[0]).toMatchObject({ temperature: 1, top_p: 1 });
  });

  test('a regex and an EBNF grammar', async () => {
    const { loaded } = await loadDirect();
    expect(await run(loaded, { type: 'regex', pattern: '[0-9]+' })).toBe('42');
    expect(await run(loaded, { type: 'grammar', grammar: 'root ::= "yes" | "no"' })).toBe('no');
  });

  test('an invalid grammar is a 400 naming response_format, and web-llm stays usable', async () => {
    const { loaded, web } = await loadDirect();
    const err = await run(loaded, { type: 'grammar', grammar: 'root ::= ' }).catch((e) => e);
    expect(err).toBeInstanceOf(BadRequestError);
    expect(err).toMatchObject({ param: 'response_format', code: 'invalid_response_format' });
    expect(web.locks[0]!.acquired).toBe(false);
    expect(await run(loaded)).toBe(A);
  });

  test('through the Runtime: response_format json_schema (once core passes it on)', async (ctx) => {
    await useCoreXGrammar(ctx);
    const { runtime, web } = setup({ m: chatty });
    const body = {
      model: 'm',
      messages: [{ role: 'user', content: 'Who is Ada? Answer in JSON.' }],
      temperature: 0,
      response_format: { type: 'json_schema', json_schema: { name: 'person', schema: PERSON, strict: true } },
    };
    let completion;
    try {
      completion = await runtime.createChatCompletion(body, signal());
    } catch (err) {
      if (err instanceof BadRequestError && /not available yet/.test(err.message)) {
        ctx.skip("core does not hand response_format to engines yet (issue 5); the engine-level tests above cover the mapping");
      }
      throw err;
    }
    expect(completion.choices[0]!.message.content).toBe(J2);
    // Core lowers schemas to its own EBNF; web-llm gets it as a grammar.
    const format = (web.callsOf('chatCompletion')[0]!.args[0] as { response_format?: { type: string; grammar?: string } }).response_format;
    expect(format?.type).toBe('grammar');
    expect(format?.grammar).toMatch(/root ::=/);
  });
});

/** Core's grammar code loads xgrammar through a loader that Node cannot run by default. */
async function useCoreXGrammar(ctx: { skip: (note?: string) => never }): Promise<void> {
  const mod = await import('../../src/core/grammar/xgrammar.js').catch(() => null) as
    | { setXGrammarLoader?: (l: () => Promise<unknown>) => void }
    | null;
  if (!mod?.setXGrammarLoader) ctx.skip('core has no grammar support (src/core/grammar) yet');
  mod!.setXGrammarLoader!(loadXGrammar);
}
