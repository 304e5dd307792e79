import Ajv from 'ajv';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { launch, openPage } from './support/browser.js';

/**
 * Structured output and tools through the Service Worker gateway (`/v1`) with the
 * unmodified `openai` SDK and its zod helpers: `chat.completions.parse` with
 * zodResponseFormat / zodFunction, the `.stream()` helper, raw JSON schemas, and the
 * errors as the SDK's own classes. The tiny model on WASM answers.
 */
const ajv = new Ajv({ strict: false });
let browser: Browser;
let page: Awaited<ReturnType<typeof openPage>>;

beforeAll(async () => {
  browser = await launch();
  const context = await browser.newContext();
  page = await openPage(context, '/e2e/pages/structured-gateway.html');
  await page.waitForFunction(() => (window as any).ready, null, { timeout: 60_000 });
  expect(await page.evaluate(() => (window as any).setupError ?? null)).toBeNull();
});
afterAll(async () => { await browser?.close(); });

const messages = [{ role: 'user', content: 'Give me a pet as JSON.' }];

describe('openai SDK via /v1: structured output', () => {
  test('chat.completions.parse with zodResponseFormat: 10 seeds at temperature 1, message.parsed passes the zod schema', async () => {
    const out = await page.evaluate(async (messages) => {
      const w = window as any;
      const { z } = w;
      const Pet = z.object({
        name: z.string().min(1).max(10),
        species: z.enum(['cat', 'dog', 'owl']),
        age: z.number().int().min(0).max(30),
        weightKg: z.number().min(0.1).max(80),
        vaccinated: z.boolean(),
        toys: z.array(z.string().max(6)).max(3),
      });
      const openai = w.makeOpenAI();
      const results = [];
      for (let seed = 1; seed <= 10; seed++) {
        const completion = await openai.chat.completions.parse({
          model: 'tiny-chat', messages, temperature: 1, seed, response_format: w.zodResponseFormat(Pet, 'pet'),
        });
        const message = completion.choices[0].message;
        results.push({ parsed: message.parsed, safe: Pet.safeParse(message.parsed).success, content: message.content, finish: completion.choices[0].finish_reason });
      }
      return results;
    }, messages);
    for (const r of out) {
      expect(r.finish).toBe('stop');
      expect(r.safe, r.content).toBe(true);
      expect(r.parsed).toEqual(JSON.parse(r.content));
    }
    expect(new Set(out.map((r) => JSON.stringify(r.parsed))).size).toBeGreaterThan(5);
  }, 120_000);

  test('a raw json_schema, streamed through SSE: the SDK stream helper assembles a valid object equal to the non-streamed one', async () => {
    const schema = { type: 'object', properties: { city: { type: 'string', maxLength: 10 }, temp: { type: 'number', minimum: -50, maximum: 50 }, sky: { enum: ['clear', 'cloudy'] } }, required: ['city', 'temp', 'sky'], additionalProperties: false };
    const out = await page.evaluate(async ([messages, schema]) => {
      const openai = (window as any).makeOpenAI();
      const body = { model: 'tiny-chat', messages, temperature: 1, seed: 4, response_format: { type: 'json_schema', json_schema: { name: 'weather', schema, strict: true } } };
      const plain = await openai.chat.completions.create(body);
      const runner = openai.chat.completions.stream(body);
      let deltas = 0;
      runner.on('content.delta', () => { deltas++; });
      const final = await runner.finalChatCompletion();
      return { plain: plain.choices[0].message.content, streamed: final.choices[0].message.content, deltas };
    }, [messages, schema] as const);
    expect(ajv.validate(schema, JSON.parse(out.plain))).toBe(true);
    expect(out.streamed).toBe(out.plain);
    expect(out.deltas).toBeGreaterThan(3);
  });

  test('an unsupported schema is the SDK\'s BadRequestError with param response_format', async () => {
    const err = await page.evaluate(async (messages) => {
      const w = window as any;
      try {
        await w.makeOpenAI().chat.completions.create({ model: 'tiny-chat', messages, response_format: { type: 'json_schema', json_schema: { name: 'x', schema: { type: 'object', properties: { a: { not: { type: 'string' } } } } } } });
        return null;
      } catch (e) {
        return w.describeError(e);
      }
    }, messages);
    expect(err).toMatchObject({ name: 'BadRequestError', status: 400, param: 'response_format' });
    expect(err!.message).toMatch(/not is not supported/);
  });
});

describe('hostile constraints (issue #11): true 400s, no leaked engine text, the host answers right after', () => {
  test('through the in-page client and /v1: unsatisfiable schema, recursive $ref, root ::= root, unmatchable regex, a schema that crashes the engine', async () => {
    const cases = [
      { name: 'unsatisfiable', rf: { type: 'json_schema', json_schema: { name: 'x', schema: { type: 'object', properties: {}, required: ['a'], additionalProperties: false } } }, message: /no value satisfies/ },
      { name: 'self $ref', rf: { type: 'json_schema', json_schema: { name: 'x', schema: { $defs: { a: { $ref: '#/$defs/a' } }, $ref: '#/$defs/a' } } }, message: /no JSON value satisfies/ },
      { name: 'root ::= root', rf: { type: 'grammar', grammar: 'root ::= root' }, message: /no finite output/ },
      { name: 'regex', rf: { type: 'regex', regex: '[^\\s\\S]' }, message: /no finite output/ },
      // Built in the page (a 200-deep object does not cross page.evaluate). It once crashed
      // xgrammar; the request shape limit (depth 64) now refuses it before any engine sees it.
      { name: '200 levels deep', rf: null, message: /deeper than 64 levels/ },
    ];
    const results = await page.evaluate(async ({ cases, messages }) => {
      const w = window as any;
      const plain = { type: 'json_schema', json_schema: { name: 'y', schema: { type: 'object', properties: { y: { type: 'boolean' } }, required: ['y'], additionalProperties: false } } };
      let deep: unknown = { type: 'boolean' };
      for (let i = 0; i < 200; i++) deep = { type: 'object', properties: { x: deep }, required: ['x'] };
      const out = [];
      for (const c of cases) {
        c.rf ??= { type: 'json_schema', json_schema: { name: 'x', schema: deep } };
        for (const via of ['client', 'v1']) {
          const api = via === 'client' ? w.client : w.makeOpenAI();
          const started = performance.now();
          let error = null;
          try {
            await api.chat.completions.create({ model: 'tiny-chat', messages, max_tokens: 20, response_format: c.rf });
          } catch (e) {
            error = w.describeError(e);
          }
          const ms = performance.now() - started;
          const next = await api.chat.completions.create({ model: 'tiny-chat', messages, response_format: plain, max_tokens: 300 });
          out.push({ name: c.name, via, error, ms, next: next.choices[0].message.content });
        }
      }
      return out;
    }, { cases: cases.map(({ name, rf }) => ({ name, rf: rf as unknown })), messages });
    for (const r of results) {
      const c = cases.find((x) => x.name === r.name)!;
      // The shape limit names the exact path inside response_format.
      expect(r.error, `${r.name} via ${r.via}`).toMatchObject({ status: 400, param: expect.stringMatching(/^response_format(\.|$)/) });
      expect(r.error!.message, `${r.name} via ${r.via}`).toMatch(c.message);
      expect(r.error!.message).not.toMatch(/memory access|Aborted|ASSERTIONS|RuntimeError/);
      expect(r.ms, `${r.name} via ${r.via}`).toBeLessThan(5000);
      expect(typeof JSON.parse(r.next).y, `the request after ${r.name} via ${r.via}`).toBe('boolean');
    }
  }, 120_000);
});

describe('openai SDK via /v1: tools', () => {
  test('parse with zodFunction and tool_choice required: parsed_arguments pass the zod schema; the stream helper assembles the same call', async () => {
    const out = await page.evaluate(async (messages) => {
      const w = window as any;
      const { z } = w;
      const Args = z.object({ city: z.string().min(1).max(12), unit: z.enum(['celsius', 'fahrenheit']) });
      const tools = [w.zodFunction({ name: 'get_weather', description: 'Weather in a city', parameters: Args })];
      const openai = w.makeOpenAI();
      const results = [];
      for (let seed = 1; seed <= 5; seed++) {
        const body = { model: 'tiny-chat', messages, temperature: 1, seed, tools, tool_choice: 'required' as const };
        const parsed = await openai.chat.completions.parse(body);
        const choice = parsed.choices[0];
        const call = choice.message.tool_calls[0];
        const runner = openai.chat.completions.stream({ ...body, tools: [{ type: 'function', function: { name: 'get_weather', parameters: tools[0].function.parameters } }] });
        const streamed = (await runner.finalChatCompletion()).choices[0];
        results.push({
          finish: choice.finish_reason,
          content: choice.message.content,
          name: call.function.name,
          id: call.id,
          args: call.function.arguments,
          safe: Args.safeParse(call.function.parsed_arguments).success,
          streamedFinish: streamed.finish_reason,
          streamedCalls: streamed.message.tool_calls.map((c: any) => ({ name: c.function.name, args: c.function.arguments })),
        });
      }
      return results;
    }, messages);
    for (const r of out) {
      expect(r.finish).toBe('tool_calls');
      expect(r.content).toBeNull();
      expect(r.name).toBe('get_weather');
      expect(r.id).toMatch(/^call_/);
      expect(r.safe, r.args).toBe(true);
      expect(r.streamedFinish).toBe('tool_calls');
      expect(r.streamedCalls).toEqual([{ name: 'get_weather', args: r.args }]);
    }
  }, 120_000);

  test('tool_choice none through the SDK: plain text, no calls; reasoning_format passes through as an extra body field', async () => {
    const out = await page.evaluate(async (messages) => {
      const openai = (window as any).makeOpenAI();
      const tools = [{ type: 'function', function: { name: 'f', parameters: { type: 'object', properties: {} } } }];
      const none = await openai.chat.completions.create({ model: 'tiny-chat', messages, tools, tool_choice: 'none' });
      const think = await openai.chat.completions.create({
        model: 'tiny-chat', messages, seed: 2, reasoning_format: 'parsed',
        response_format: { type: 'grammar', grammar: 'root ::= "<think>" [a-z]{3,8} "</think>" [A-Z] [a-z]{2,6}' },
      });
      return { none: none.choices[0], think: think.choices[0].message };
    }, messages);
    expect(out.none.message.tool_calls).toBeUndefined();
    expect(out.none.finish_reason).toBe('stop');
    expect(out.think.reasoning_content).toMatch(/^[a-z]{3,8}$/);
    expect(out.think.content).toMatch(/^[A-Z][a-z]{2,6}$/);
  });
});
