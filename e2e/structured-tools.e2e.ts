import Ajv from 'ajv';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { collectChat } from '../src/core/endpoints/chat.js';
import type { ChatCompletion, ChatCompletionChunk } from '../src/protocol/chat.js';
import { launch, openPage, type Device } from './support/browser.js';

/**
 * Tools and reasoning on the tiny model in real Chromium. The tiny model's template has
 * Hermes/Qwen tool support (`<tools>` in the system turn, `<tool_call>` JSON), so tools
 * reach it through the template; left alone it never calls one, so every call here was
 * produced under the grammar core builds for tool_choice.
 */
const SENTENCE = 'Hello! I am a tiny model running in your browser.';
const ajv = new Ajv({ strict: false });
let browser: Browser;
beforeAll(async () => { browser = await launch(); });
afterAll(async () => { await browser?.close(); });

const WEATHER = {
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'Current weather in a city',
    parameters: {
      type: 'object',
      properties: {
        city: { type: 'string', minLength: 1, maxLength: 12 },
        unit: { enum: ['celsius', 'fahrenheit'] },
        days: { type: 'integer', minimum: 1, maximum: 7 },
      },
      required: ['city', 'unit'],
      additionalProperties: false,
    },
  },
};
const TIME = {
  type: 'function',
  function: {
    name: 'get_time',
    parameters: { type: 'object', properties: { zone: { enum: ['UTC', 'CET', 'PST'] } }, required: ['zone'], additionalProperties: false },
  },
};
const VALIDATE: Record<string, ReturnType<typeof ajv.compile>> = {
  get_weather: ajv.compile(WEATHER.function.parameters),
  get_time: ajv.compile(TIME.function.parameters),
};
const messages = [{ role: 'user', content: 'What is the weather in Paris?' }];

async function ready(device: Device): Promise<Page & { errors: string[] }> {
  const page = await openPage(browser, `/e2e/pages/structured.html?device=${device}`);
  await page.waitForFunction(() => (window as any).ready);
  await page.evaluate((d) => (window as any).client.models.load('tiny-chat', { device: d }), device);
  return page;
}

async function runSeeds(page: Page, body: unknown, seeds: number[], streaming: boolean) {
  return page.evaluate(([b, s, st]) => (window as any).perSeed(b, s, st), [body, seeds, streaming] as const);
}

async function fold(chunks: ChatCompletionChunk[]): Promise<ChatCompletion> {
  return collectChat((async function* () { yield* chunks; })());
}

function expectValidCalls(completion: ChatCompletion, seed: number): void {
  const choice = completion.choices[0]!;
  expect(choice.finish_reason, `seed ${seed}`).toBe('tool_calls');
  expect(choice.message.content).toBeNull();
  expect(choice.message.tool_calls!.length).toBeGreaterThanOrEqual(1);
  for (const call of choice.message.tool_calls!) {
    expect(call.id).toMatch(/^call_[A-Za-z0-9]{24}$/);
    expect(call.type).toBe('function');
    const validate = VALIDATE[call.function.name]!;
    expect(validate, `unknown function ${call.function.name}`).toBeDefined();
    expect(validate(JSON.parse(call.function.arguments)), `seed ${seed}: ${call.function.arguments}`).toBe(true);
  }
}

/** OpenAI's delta sequence for a call: header (index, id, type, name, '') then argument fragments. */
function expectOpenAIDeltas(chunks: ChatCompletionChunk[]): void {
  const deltas = chunks.flatMap((c) => c.choices.map((ch) => ch.delta));
  for (const d of deltas) expect(d.content ?? '').not.toMatch(/<tool_call>|<\/tool_call>/);
  const calls = deltas.flatMap((d) => d.tool_calls ?? []);
  const headers = calls.filter((t) => t.id !== undefined);
  expect(headers.length).toBeGreaterThanOrEqual(1);
  for (const h of headers) {
    expect(h).toMatchObject({ type: 'function', function: { name: expect.any(String), arguments: '' } });
    expect(h.id).toMatch(/^call_/);
  }
  const first = calls.findIndex((t) => t.id !== undefined);
  expect(calls.slice(first + 1).some((t) => t.id === undefined && (t.function?.arguments ?? '').length > 0)).toBe(true);
  expect(chunks.flatMap((c) => c.choices).find((ch) => ch.finish_reason)?.finish_reason).toBe('tool_calls');
}

function sameMessageExceptIds(a: ChatCompletion, b: ChatCompletion): void {
  const strip = (c: ChatCompletion) => c.choices.map((ch) => ({
    finish: ch.finish_reason,
    message: { ...ch.message, tool_calls: ch.message.tool_calls?.map((t) => ({ type: t.type, function: t.function })) },
  }));
  expect(strip(a)).toEqual(strip(b));
}

const SEEDS = Array.from({ length: 20 }, (_, i) => i + 1);

describe('tools on wasm', () => {
  let page: Page & { errors: string[] };
  beforeAll(async () => { page = await ready('wasm'); });

  test('tool_choice required: 20 seeds at temperature 1, valid calls; streamed deltas fold into exactly the non-streamed message', async () => {
    const body = { messages, tools: [WEATHER, TIME], tool_choice: 'required', temperature: 1, max_tokens: 600 };
    const plain = await runSeeds(page, body, SEEDS, false) as Array<{ seed: number; completion: ChatCompletion }>;
    const streamed = await runSeeds(page, body, SEEDS, true) as Array<{ seed: number; chunks: ChatCompletionChunk[] }>;
    for (const [i, { seed, completion }] of plain.entries()) {
      expectValidCalls(completion, seed);
      expectOpenAIDeltas(streamed[i]!.chunks);
      sameMessageExceptIds(await fold(streamed[i]!.chunks), completion);
    }
    expect(page.errors).toEqual([]);
  }, 300_000);

  test('a named function: exactly one call, of that function', async () => {
    const body = { messages, tools: [WEATHER, TIME], tool_choice: { type: 'function', function: { name: 'get_time' } }, temperature: 1 };
    const plain = await runSeeds(page, body, SEEDS.slice(0, 10), false) as Array<{ seed: number; completion: ChatCompletion }>;
    for (const { seed, completion } of plain) {
      expectValidCalls(completion, seed);
      expect(completion.choices[0]!.message.tool_calls!.map((c) => c.function.name)).toEqual(['get_time']);
    }
  }, 120_000);

  test('parallel_tool_calls false: one call', async () => {
    const body = { messages, tools: [WEATHER, TIME], tool_choice: 'required', parallel_tool_calls: false, temperature: 1 };
    const plain = await runSeeds(page, body, SEEDS.slice(0, 10), false) as Array<{ seed: number; completion: ChatCompletion }>;
    for (const { seed, completion } of plain) {
      expectValidCalls(completion, seed);
      expect(completion.choices[0]!.message.tool_calls).toHaveLength(1);
    }
  }, 120_000);

  test('tool_choice none: no call; auto: the model answers in text (it never calls on its own)', async () => {
    const none = await page.evaluate((b) => (window as any).complete(b), { messages, tools: [WEATHER], tool_choice: 'none' });
    expect(none.value.choices[0].message).toEqual({ role: 'assistant', content: SENTENCE, refusal: null });
    expect(none.value.choices[0].finish_reason).toBe('stop');
    const auto = await page.evaluate((b) => (window as any).complete(b), { messages, tools: [WEATHER] });
    expect(auto.value.choices[0].message.tool_calls).toBeUndefined();
    expect(auto.value.choices[0].finish_reason).toBe('stop');
    expect(auto.value.choices[0].message.content).toBeTruthy();
  });

  test('multi-turn: assistant tool_calls and tool results go back through the template', async () => {
    const history = [
      { role: 'system', content: 'You are a weather bot.' },
      ...messages,
      { role: 'assistant', content: null, tool_calls: [{ id: 'call_abc', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris","unit":"celsius"}' } }] },
      { role: 'tool', tool_call_id: 'call_abc', content: '{"temperature": 18}' },
    ];
    const text = await page.evaluate((b) => (window as any).complete(b), { messages: history, tools: [WEATHER] });
    expect(text.ok).toBe(true);
    expect(text.value.choices[0].finish_reason).toBe('stop');
    const again = await page.evaluate((b) => (window as any).complete(b), { messages: history, tools: [WEATHER], tool_choice: 'required', seed: 7 });
    expectValidCalls(again.value, 7);
    // The rendered history is longer than the question alone: the call and its result were in the prompt.
    const bare = await page.evaluate((b) => (window as any).complete(b), { messages, tools: [WEATHER], max_tokens: 1 });
    expect(text.value.usage.prompt_tokens).toBeGreaterThan(bare.value.usage.prompt_tokens + 20);
  });

  test('bad tool requests are 400s naming the parameter', async () => {
    const results = await page.evaluate(async (weather) => {
      const w = window as any;
      return [
        await w.complete({ messages: [{ role: 'user', content: 'x' }], tools: [weather], tool_choice: { type: 'function', function: { name: 'nope' } } }),
        await w.complete({ messages: [{ role: 'user', content: 'x' }], tools: [{ type: 'function', function: { name: 'f', parameters: { type: 'object', properties: { a: { type: 'integer', multipleOf: 5 } } } } }] }),
      ];
    }, WEATHER);
    expect(results[0].error).toMatchObject({ status: 400, param: 'tool_choice' });
    expect(results[1].error).toMatchObject({ status: 400, param: 'tools[0].function.parameters' });
  });
});

describe('reasoning on wasm', () => {
  test('<think> goes to reasoning_content in messages and deltas; reasoning_format inline keeps it in content', async () => {
    const page = await ready('wasm');
    // A grammar makes the tiny model "think" first, the way reasoning models do.
    const body = { messages, temperature: 1, seed: 3, response_format: { type: 'grammar', grammar: 'root ::= "<think>" [a-z] [a-z ]{2,20} [a-z] "</think>" "\\n\\n" [A-Z] [a-z]{2,10} "."' } };
    const parsed = await page.evaluate((b) => (window as any).complete(b), body);
    const msg = parsed.value.choices[0].message;
    expect(msg.reasoning_content).toMatch(/^[a-z][a-z ]{2,20}[a-z]$/);
    expect(msg.content).toMatch(/^[A-Z][a-z]{2,10}\.$/);
    const chunks = await page.evaluate((b) => (window as any).stream(b), body) as ChatCompletionChunk[];
    const deltas = chunks.flatMap((c) => c.choices.map((ch) => ch.delta));
    expect(deltas.some((d) => d.reasoning_content)).toBe(true);
    expect(deltas.map((d) => d.content ?? '').join('')).toBe(msg.content);
    expect((await fold(chunks)).choices[0]!.message).toEqual(msg);
    const inline = await page.evaluate((b) => (window as any).complete(b), { ...body, reasoning_format: 'inline' });
    expect(inline.value.choices[0].message.content).toBe(`<think>${msg.reasoning_content}</think>\n\n${msg.content}`);
    expect(inline.value.choices[0].message.reasoning_content).toBeUndefined();
  });
});

describe('tools on webgpu', () => {
  test('tool_choice required: 3 seeds, valid calls, stream folds into the same message', async () => {
    const page = await ready('webgpu');
    const body = { messages, tools: [WEATHER, TIME], tool_choice: 'required', temperature: 1, max_tokens: 300 };
    const seeds = [1, 2, 3];
    const plain = await runSeeds(page, body, seeds, false) as Array<{ seed: number; completion: ChatCompletion }>;
    const streamed = await runSeeds(page, body, seeds, true) as Array<{ chunks: ChatCompletionChunk[] }>;
    for (const [i, { seed, completion }] of plain.entries()) {
      expectValidCalls(completion, seed);
      expectOpenAIDeltas(streamed[i]!.chunks);
      sameMessageExceptIds(await fold(streamed[i]!.chunks), completion);
    }
    expect(plain[0]!.completion.system_fingerprint).toContain('webgpu');
    expect(page.errors).toEqual([]);
  }, 240_000);
});
