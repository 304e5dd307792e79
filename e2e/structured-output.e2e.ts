import Ajv from 'ajv';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { collectChat } from '../src/core/endpoints/chat.js';
import type { ChatCompletion, ChatCompletionChunk } from '../src/protocol/chat.js';
import { launch, openPage, type Device } from './support/browser.js';

/**
 * response_format on the tiny model in real Chromium. The tiny model's free output is a
 * sentence, never JSON: every valid reply here was enforced by core's grammar (xgrammar
 * token masks applied by our sampler inside transformers.js's decoding loop).
 */
const ajv = new Ajv({ strict: false });
let browser: Browser;
beforeAll(async () => { browser = await launch(); });
afterAll(async () => { await browser?.close(); });

const messages = [{ role: 'user', content: 'Describe a user as JSON.' }];

/** Nested objects, arrays, enums, required fields, numbers with bounds. */
const SCHEMAS: Record<string, Record<string, unknown>> = {
  user: {
    type: 'object',
    properties: {
      name: { type: 'string', minLength: 1, maxLength: 12 },
      age: { type: 'integer', minimum: 18, maximum: 99 },
      role: { enum: ['admin', 'editor', 'viewer'] },
      active: { type: 'boolean' },
    },
    required: ['name', 'age', 'role', 'active'],
    additionalProperties: false,
  },
  order: {
    type: 'object',
    properties: {
      id: { type: 'string', pattern: '^[A-Z]{2}-[0-9]{4}$' },
      items: {
        type: 'array',
        minItems: 1,
        maxItems: 3,
        items: {
          type: 'object',
          properties: { sku: { type: 'string', maxLength: 8 }, qty: { type: 'integer', minimum: 1, maximum: 9 }, price: { type: 'number', exclusiveMinimum: 0, maximum: 100 } },
          required: ['sku', 'qty', 'price'],
          additionalProperties: false,
        },
      },
      shipping: {
        type: 'object',
        properties: { method: { enum: ['ground', 'air'] }, address: { type: 'object', properties: { city: { type: 'string', maxLength: 10 }, zip: { type: 'string', pattern: '^[0-9]{5}$' } }, required: ['city', 'zip'], additionalProperties: false } },
        required: ['method', 'address'],
        additionalProperties: false,
      },
    },
    required: ['id', 'items', 'shipping'],
    additionalProperties: false,
  },
  reading: {
    type: 'object',
    properties: {
      sensor: { type: 'string', enum: ['t1', 't2'] },
      celsius: { type: 'number', minimum: -40, maximum: 60 },
      samples: { type: 'array', items: { type: 'integer', minimum: -5, maximum: 5 }, maxItems: 4 },
      note: { type: ['string', 'null'], maxLength: 6 },
    },
    required: ['sensor', 'celsius', 'samples', 'note'],
    additionalProperties: false,
  },
};

async function ready(device: Device): Promise<Page & { errors: string[] }> {
  const page = await openPage(browser, `/e2e/pages/structured.html?device=${device}`);
  await page.waitForFunction(() => (window as any).ready);
  await page.evaluate((d) => (window as any).client.models.load('tiny-chat', { device: d }), device);
  return page;
}

function jsonSchema(name: string) {
  return { type: 'json_schema', json_schema: { name, schema: SCHEMAS[name], strict: true } };
}

async function fold(chunks: ChatCompletionChunk[]): Promise<ChatCompletion> {
  return collectChat((async function* () { yield* chunks; })());
}

function sameExceptIds(a: ChatCompletion, b: ChatCompletion): void {
  expect(a.choices.map((c) => c.message)).toEqual(b.choices.map((c) => c.message));
  expect(a.choices.map((c) => c.finish_reason)).toEqual(b.choices.map((c) => c.finish_reason));
  // The second of two equal requests reuses the first one's prompt state (the prefix
  // cache): only how many prompt tokens were cached may differ.
  const counts = (u: ChatCompletion['usage']) => u && { ...u, prompt_tokens_details: undefined };
  expect(counts(a.usage)).toEqual(counts(b.usage));
}

const SEEDS = Array.from({ length: 50 }, (_, i) => i + 1);

describe('structured output on wasm', () => {
  let page: Page & { errors: string[] };
  beforeAll(async () => { page = await ready('wasm'); });

  test.each(Object.keys(SCHEMAS))('json_schema %s: 50 seeds at temperature 1, streamed and not, all valid; the stream folds into the same message', async (name) => {
    // The tiny model is fond of whitespace between JSON tokens (up to 16 per gap are allowed).
    const body = { messages, response_format: jsonSchema(name), temperature: 1, max_tokens: 1200 };
    const plain = await page.evaluate(([b, s]) => (window as any).perSeed(b, s, false), [body, SEEDS] as const) as Array<{ seed: number; completion: ChatCompletion }>;
    const streamed = await page.evaluate(([b, s]) => (window as any).perSeed(b, s, true), [body, SEEDS] as const) as Array<{ seed: number; chunks: ChatCompletionChunk[] }>;
    const validate = ajv.compile(SCHEMAS[name]!);
    const distinct = new Set<string>();
    for (const [i, { seed, completion }] of plain.entries()) {
      const choice = completion.choices[0]!;
      expect(choice.finish_reason, `seed ${seed}`).toBe('stop');
      const value = JSON.parse(choice.message.content!);
      expect(validate(value), `seed ${seed}: ${choice.message.content} ${JSON.stringify(validate.errors)}`).toBe(true);
      distinct.add(JSON.stringify(value));
      sameExceptIds(await fold(streamed[i]!.chunks), completion);
    }
    // Temperature 1 really sampled: the seeds gave different objects.
    expect(distinct.size).toBeGreaterThan(25);
    expect(page.errors).toEqual([]);
  }, 300_000);

  test('json_object: parses as an object', async () => {
    const body = { messages, response_format: { type: 'json_object' }, temperature: 1, max_tokens: 400 };
    const runs = await page.evaluate(([b, s]) => (window as any).perSeed(b, s, false), [body, SEEDS.slice(0, 10)] as const) as Array<{ seed: number; completion: ChatCompletion }>;
    const finished = runs.filter((r) => r.completion.choices[0]!.finish_reason === 'stop');
    expect(finished.length).toBeGreaterThan(5);
    for (const { completion } of finished) {
      const value = JSON.parse(completion.choices[0]!.message.content!);
      expect(typeof value === 'object' && value !== null && !Array.isArray(value)).toBe(true);
    }
  });

  test('a regex and a grammar are obeyed', async () => {
    const regex = { messages, response_format: { type: 'regex', regex: '(yes|no), [a-z]{2,6}!' }, temperature: 1 };
    const grammar = {
      messages,
      response_format: { type: 'grammar', grammar: 'root ::= greeting " " name "."\ngreeting ::= "Hello" | "Hi"\nname ::= [A-Z] [a-z]{1,7}' },
      temperature: 1,
    };
    const r = await page.evaluate(([b, s]) => (window as any).perSeed(b, s, false), [regex, SEEDS.slice(0, 10)] as const) as Array<{ completion: ChatCompletion }>;
    const g = await page.evaluate(([b, s]) => (window as any).perSeed(b, s, false), [grammar, SEEDS.slice(0, 10)] as const) as Array<{ completion: ChatCompletion }>;
    for (const { completion } of r) expect(completion.choices[0]!.message.content).toMatch(/^(yes|no), [a-z]{2,6}!$/);
    for (const { completion } of g) expect(completion.choices[0]!.message.content).toMatch(/^(Hello|Hi) [A-Z][a-z]{1,7}\.$/);
  });

  test('invalid or unenforceable schemas and grammars are 400s naming response_format', async () => {
    const results = await page.evaluate(async () => {
      const w = window as any;
      const ask = (response_format: unknown) => w.complete({ messages: [{ role: 'user', content: 'x' }], response_format });
      return [
        await ask({ type: 'json_schema', json_schema: { name: 'x', schema: { type: 'integer', multipleOf: 3 } } }),
        await ask({ type: 'json_schema', json_schema: { name: 'x', schema: { oneOf: [{ type: 'string' }, { type: 'integer' }] } } }),
        await ask({ type: 'grammar', grammar: 'root ::= "a" |' }),
        await ask({ type: 'regex', regex: '[a-' }),
      ];
    });
    for (const r of results) {
      expect(r.ok).toBe(false);
      expect(r.error).toMatchObject({ status: 400, param: 'response_format' });
    }
    expect(results[0].error.message).toMatch(/multipleOf/);
  });
});

describe('structured output on webgpu', () => {
  test('json_schema: 5 seeds at temperature 1, streamed and not, valid and equal', async () => {
    const page = await ready('webgpu');
    const body = { messages, response_format: jsonSchema('user'), temperature: 1, max_tokens: 200 };
    const seeds = SEEDS.slice(0, 5);
    const plain = await page.evaluate(([b, s]) => (window as any).perSeed(b, s, false), [body, seeds] as const) as Array<{ completion: ChatCompletion }>;
    const streamed = await page.evaluate(([b, s]) => (window as any).perSeed(b, s, true), [body, seeds] as const) as Array<{ chunks: ChatCompletionChunk[] }>;
    const validate = ajv.compile(SCHEMAS.user!);
    for (const [i, { completion }] of plain.entries()) {
      expect(validate(JSON.parse(completion.choices[0]!.message.content!))).toBe(true);
      sameExceptIds(await fold(streamed[i]!.chunks), completion);
    }
    expect(plain[0]!.completion.system_fingerprint).toContain('webgpu');
    expect(page.errors).toEqual([]);
  }, 180_000);
});
