import Ajv from 'ajv';
import { beforeAll, describe, expect, it } from 'vitest';
import { grammarRuntime } from '../../tests/support/grammar-engine.js';
import { useXGrammarInNode } from '../../tests/support/xgrammar-node.js';
import type { ChatCompletion, ChatCompletionChunk } from '../protocol/chat.js';
import { BadRequestError } from '../protocol/errors.js';
import { collectChat } from './endpoints/chat.js';

/**
 * Core's structured output, tools and reasoning against a model that writes random
 * tokens (tests/support/grammar-engine.ts) with the real xgrammar: whatever valid output
 * comes out was enforced by core's grammar. The browser tests (e2e/structured-*) do the
 * same on the tiny model in Chromium.
 */
beforeAll(() => useXGrammarInNode());

const ajv = new Ajv({ strict: false });
const user = [{ role: 'user', content: 'Give me data.' }];

async function stream(runtime: ReturnType<typeof grammarRuntime>['runtime'], body: Record<string, unknown>): Promise<ChatCompletionChunk[]> {
  const chunks: ChatCompletionChunk[] = [];
  for await (const c of await runtime.startChatCompletion({ model: 'g', messages: user, stream: true, stream_options: { include_usage: true }, ...body }, new AbortController().signal)) chunks.push(c);
  return chunks;
}

async function complete(runtime: ReturnType<typeof grammarRuntime>['runtime'], body: Record<string, unknown>): Promise<ChatCompletion> {
  return runtime.createChatCompletion({ model: 'g', messages: user, ...body }, new AbortController().signal);
}

async function rejection(p: Promise<unknown>): Promise<BadRequestError> {
  try {
    await p;
  } catch (err) {
    return err as BadRequestError;
  }
  throw new Error('expected a rejection');
}

/** ids differ per request; everything else must match. */
function withoutIds(c: ChatCompletion) {
  const { id: _id, created: _c, ...rest } = c;
  return {
    ...rest,
    choices: c.choices.map((ch) => ({ ...ch, message: { ...ch.message, tool_calls: ch.message.tool_calls?.map(({ id: _i, ...t }) => t) } })),
  };
}

const PERSON = {
  type: 'object',
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 12 },
    age: { type: 'integer', minimum: 0, maximum: 120 },
    score: { type: 'number', exclusiveMinimum: -1, maximum: 1 },
    role: { enum: ['admin', 'user', 'guest'] },
    tags: { type: 'array', items: { type: 'string', maxLength: 5 }, maxItems: 3 },
    address: {
      type: 'object',
      properties: { city: { type: 'string', maxLength: 10 }, zip: { type: 'string', pattern: '^[0-9]{5}$' } },
      required: ['city', 'zip'],
      additionalProperties: false,
    },
    nickname: { type: ['string', 'null'], maxLength: 6 },
  },
  required: ['name', 'age', 'score', 'role', 'tags', 'address'],
  additionalProperties: false,
};

const WEATHER = {
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'Weather for a city',
    parameters: {
      type: 'object',
      properties: { city: { type: 'string', maxLength: 12 }, unit: { enum: ['c', 'f'] }, days: { type: 'integer', minimum: 1, maximum: 7 } },
      required: ['city', 'unit'],
      additionalProperties: false,
    },
  },
} as const;
const TIME = {
  type: 'function',
  function: { name: 'get_time', parameters: { type: 'object', properties: { tz: { enum: ['UTC', 'CET'] } }, required: ['tz'], additionalProperties: false } },
} as const;

describe('response_format on a model that writes noise', () => {
  it('json_schema: 50 seeds at temperature 1, every reply valid (ajv), stream == non-stream', async () => {
    const { runtime, model } = grammarRuntime();
    const validate = ajv.compile(PERSON);
    const body = { response_format: { type: 'json_schema', json_schema: { name: 'person', schema: PERSON, strict: true } }, temperature: 1, max_tokens: 600 };
    for (let seed = 0; seed < 50; seed++) {
      const out = await complete(runtime, { ...body, seed });
      expect(out.choices[0]!.finish_reason).toBe('stop');
      let value; try { value = JSON.parse(out.choices[0]!.message.content!); } catch (e) { throw new Error(`seed ${seed}: ${out.choices[0]!.message.content}`); }
      expect(validate(value), JSON.stringify(validate.errors)).toBe(true);
      if (seed % 10 === 0) {
        const folded = await collectChat((async function* () { yield* await stream(runtime, { ...body, seed }); })());
        expect(withoutIds(folded)).toEqual(withoutIds(out));
      }
    }
    expect(model().masked).toBeGreaterThanOrEqual(50);
  }, 60_000);

  it('json_object: parses as an object', async () => {
    const { runtime } = grammarRuntime();
    for (let seed = 0; seed < 10; seed++) {
      const out = await complete(runtime, { response_format: { type: 'json_object' }, seed, max_tokens: 2000 });
      if (out.choices[0]!.finish_reason !== 'stop') continue;
      const value = JSON.parse(out.choices[0]!.message.content!);
      expect(typeof value === 'object' && value !== null && !Array.isArray(value)).toBe(true);
    }
  });

  it('regex and grammar are obeyed', async () => {
    const { runtime } = grammarRuntime();
    for (let seed = 0; seed < 10; seed++) {
      const r = await complete(runtime, { response_format: { type: 'regex', regex: '[A-Z]{2}-[0-9]{3,4}' }, seed });
      expect(r.choices[0]!.message.content).toMatch(/^[A-Z]{2}-[0-9]{3,4}$/);
      const g = await complete(runtime, { response_format: { type: 'grammar', grammar: 'root ::= answer " because " reason\nanswer ::= "yes" | "no"\nreason ::= [a-z]{1,8}' }, seed });
      expect(g.choices[0]!.message.content).toMatch(/^(yes|no) because [a-z]{1,8}$/);
    }
  });

  it('structural_tag (vLLM legacy shape): free text, and JSON after each trigger', async () => {
    const { runtime } = grammarRuntime();
    const out = await complete(runtime, {
      response_format: {
        type: 'structural_tag',
        structures: [{ begin: '<tool_call>', schema: { type: 'object', properties: { n: { type: 'integer', minimum: 1, maximum: 9 } }, required: ['n'], additionalProperties: false }, end: '</tool_call>' }],
        triggers: ['<tool_call>'],
      },
      seed: 3,
      max_tokens: 60,
    });
    for (const m of out.choices[0]!.message.content!.matchAll(/<tool_call>([\s\S]*?)(<\/tool_call>|$)/g)) {
      if (m[2]) expect(JSON.parse(m[1]!).n).toBeGreaterThanOrEqual(1);
    }
  });

  it("structural_tag (xgrammar's current shape, { format }): json_schema inside is enforced exactly", async () => {
    const { runtime } = grammarRuntime();
    const format = {
      type: 'sequence',
      elements: [
        { type: 'const_string', value: 'n=' },
        { type: 'tag', begin: '<v>', content: { type: 'json_schema', json_schema: { type: 'integer', minimum: 5, maximum: 7 } }, end: '</v>' },
      ],
    };
    for (let seed = 0; seed < 10; seed++) {
      const out = await complete(runtime, { response_format: { type: 'structural_tag', format }, seed });
      expect(out.choices[0]!.message.content).toMatch(/^n=<v>[5-7]<\/v>$/);
    }
  });

  it('a reasoning block before the answer goes to reasoning_content', async () => {
    const { runtime } = grammarRuntime();
    const grammar = 'root ::= "<think>" [a-z ]{3,20} "</think>" [A-Za-z]{1,10}';
    const out = await complete(runtime, { response_format: { type: 'grammar', grammar }, seed: 1 });
    const msg = out.choices[0]!.message;
    expect(msg.reasoning_content).toMatch(/^[a-z ]{1,20}$/);
    expect(msg.content).toMatch(/^[A-Za-z]{1,10}$/);
    const inline = await complete(runtime, { response_format: { type: 'grammar', grammar }, seed: 1, reasoning_format: 'inline' });
    expect(inline.choices[0]!.message.content).toMatch(/^<think>[a-z ]{3,20}<\/think>[A-Za-z]{1,10}$/);
    expect(inline.choices[0]!.message.reasoning_content).toBeUndefined();
  });
});

describe('tools on a model that writes noise', () => {
  const validateWeather = ajv.compile(WEATHER.function.parameters);
  const validateTime = ajv.compile(TIME.function.parameters);

  it('tool_choice required: valid calls on 20 seeds, finish_reason tool_calls, stream == non-stream', async () => {
    const { runtime } = grammarRuntime();
    for (let seed = 0; seed < 20; seed++) {
      const body = { tools: [WEATHER, TIME], tool_choice: 'required', seed, max_tokens: 400 };
      const out = await complete(runtime, body);
      const choice = out.choices[0]!;
      expect(choice.finish_reason).toBe('tool_calls');
      expect(choice.message.content).toBeNull();
      expect(choice.message.tool_calls!.length).toBeGreaterThanOrEqual(1);
      for (const call of choice.message.tool_calls!) {
        expect(call.id).toMatch(/^call_/);
        const args = JSON.parse(call.function.arguments);
        const validate = call.function.name === 'get_weather' ? validateWeather : validateTime;
        expect(validate(args), JSON.stringify(validate.errors)).toBe(true);
      }
      const chunks = await stream(runtime, body);
      // Deltas: the call's index/id/type/name first, then argument fragments; never markup as content.
      const toolDeltas = chunks.flatMap((c) => c.choices.flatMap((ch) => ch.delta.tool_calls ?? []));
      expect(toolDeltas[0]).toMatchObject({ index: 0, type: 'function', function: { name: expect.any(String), arguments: '' } });
      expect(toolDeltas[0]!.id).toMatch(/^call_/);
      expect(chunks.some((c) => c.choices.some((ch) => ch.delta.content?.includes('<tool_call>')))).toBe(false);
      const folded = await collectChat((async function* () { yield* chunks; })());
      expect(withoutIds(folded)).toEqual(withoutIds(out));
    }
  }, 60_000);

  it('a named function: exactly one call of it', async () => {
    const { runtime } = grammarRuntime();
    for (let seed = 0; seed < 10; seed++) {
      const out = await complete(runtime, { tools: [WEATHER, TIME], tool_choice: { type: 'function', function: { name: 'get_time' } }, seed });
      const calls = out.choices[0]!.message.tool_calls!;
      expect(calls).toHaveLength(1);
      expect(calls[0]!.function.name).toBe('get_time');
      expect(validateTime(JSON.parse(calls[0]!.function.arguments))).toBe(true);
    }
  });

  it('parallel_tool_calls false: one call', async () => {
    const { runtime } = grammarRuntime();
    for (let seed = 0; seed < 10; seed++) {
      const out = await complete(runtime, { tools: [WEATHER, TIME], tool_choice: 'required', parallel_tool_calls: false, seed });
      expect(out.choices[0]!.message.tool_calls).toHaveLength(1);
    }
  });

  it('tool_choice auto: free text, but a call the model opens is a valid one', async () => {
    const { runtime, model } = grammarRuntime();
    let calls = 0;
    for (let seed = 0; seed < 40; seed++) {
      const out = await complete(runtime, { tools: [WEATHER, TIME], seed, max_tokens: 120 });
      const choice = out.choices[0]!;
      const finished = (choice.message.tool_calls ?? []).slice(0, choice.finish_reason === 'length' ? -1 : undefined);
      for (const call of finished) {
        calls++;
        const validate = call.function.name === 'get_weather' ? validateWeather : validateTime;
        expect(validate(JSON.parse(call.function.arguments)), call.function.arguments).toBe(true);
      }
      if (choice.message.tool_calls && choice.finish_reason !== 'length') expect(choice.finish_reason).toBe('tool_calls');
      expect(choice.message.content ?? '').not.toContain('<tool_call>');
    }
    expect(model().calls[0]!.grammar).toMatchObject({ type: 'structural_tag' });
    expect(calls).toBeGreaterThan(0);
  }, 60_000);

  it('tool_choice none: no call, no tools in the prompt', async () => {
    const { runtime, model } = grammarRuntime();
    const out = await complete(runtime, { tools: [WEATHER], tool_choice: 'none', seed: 1, max_tokens: 20 });
    expect(out.choices[0]!.message.tool_calls).toBeUndefined();
    expect(out.choices[0]!.finish_reason).not.toBe('tool_calls');
    expect(model().calls.at(-1)!.grammar).toBeNull();
  });

  it('a template without tool support gets the default tool prompt; history round-trips as text', async () => {
    const { runtime, model } = grammarRuntime({ rendersTools: false });
    const messages = [
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'Weather in Oslo?' },
      { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Oslo","unit":"c"}' } }] },
      { role: 'tool', tool_call_id: 'call_1', content: '{"temp": 3}' },
    ];
    const out = await runtime.createChatCompletion({ model: 'g', messages, tools: [WEATHER], tool_choice: 'required', seed: 2 }, new AbortController().signal);
    expect(out.choices[0]!.message.tool_calls![0]!.function.name).toBe('get_weather');
    expect(model().calls.at(-1)!.grammar).toBeTruthy();
  });
});

describe('400s before anything runs', () => {
  it.each([
    ['an unsupported schema keyword', { response_format: { type: 'json_schema', json_schema: { name: 'x', schema: { type: 'object', properties: { a: { type: 'string', oneOf: [] } } } } } }, 'response_format'],
    ['multipleOf', { response_format: { type: 'json_schema', json_schema: { name: 'x', schema: { type: 'integer', multipleOf: 2 } } } }, 'response_format'],
    ['an invalid grammar', { response_format: { type: 'grammar', grammar: 'root ::= (' } }, 'response_format'],
    ['an invalid regex', { response_format: { type: 'regex', regex: '(' } }, 'response_format'],
    ['a tool whose parameters use an unsupported keyword', { tools: [{ type: 'function', function: { name: 'f', parameters: { type: 'object', properties: { a: { not: {} } } } } }] }, 'tools[0].function.parameters'],
    ['a named tool_choice that is not in tools', { tools: [WEATHER], tool_choice: { type: 'function', function: { name: 'nope' } } }, 'tool_choice'],
    ['tool_choice required without tools', { tool_choice: 'required' }, 'tool_choice'],
    ['a custom tool', { tools: [{ type: 'custom', custom: { name: 'sql' } }] }, 'tools[0].type'],
    ['structural_tag begin without a trigger', { response_format: { type: 'structural_tag', structures: [{ begin: '<a>', schema: {}, end: '</a>' }], triggers: ['<b>'] } }, 'response_format'],
  ])('%s', async (_name, extra, param) => {
    const { runtime, model } = grammarRuntime();
    const err = await rejection(complete(runtime, extra));
    expect(err).toBeInstanceOf(BadRequestError);
    expect(err.status).toBe(400);
    expect(err.param).toBe(param);
    expect(model()?.calls.length ?? 0).toBe(0);
  });
});
