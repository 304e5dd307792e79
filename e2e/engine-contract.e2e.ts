import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { launch, openPage } from './support/browser.js';

/**
 * One contract, every engine: the same requests and assertions against the same model
 * (tiny-random-qwen3, random weights) as ONNX on transformers.js and as GGUF (F32) on
 * llama.cpp through wllama, in real Chromium on WASM, through the in-page client on a
 * dedicated-worker host (GGUF needs one). Each response is also checked against the
 * protocol's schemas (client-harness.html).
 *
 * web-llm is not in the list: it needs a compiled MLC model library, which cannot be built
 * or fetched on this machine (e2e/webllm-real.e2e.ts runs one when the environment names it).
 */

const FIXTURES = join(process.cwd(), 'fixtures', 'models');
const tokenizer = JSON.parse(readFileSync(join(FIXTURES, 'tiny-random-qwen3', 'tokenizer.json'), 'utf8'));
const ADDED: Record<string, number> = Object.fromEntries(tokenizer.added_tokens.map((t: { id: number; content: string }) => [t.content, t.id]));
// Tokens that are not valid UTF-8 alone: wllama 3.13 cannot stream them (README, GGUF), so every engine bans them alike.
const PARTIAL: number[] = JSON.parse(readFileSync(join(FIXTURES, 'tiny-random-qwen3-gguf', 'reference.json'), 'utf8')).partial_utf8_ids;
const BAN = Object.fromEntries(PARTIAL.map((id) => [id, -100]));
// Qwen3's grammars allow a <think> block first, where random weights would stay: banned where the output is constrained.
const NO_THINK = { ...BAN, [ADDED['<think>']!]: -100 };
const MESSAGES = [{ role: 'user', content: 'What is the weather in Paris?' }];
const WEATHER = {
  type: 'function',
  function: {
    name: 'get_weather',
    parameters: { type: 'object', properties: { city: { type: 'string', enum: ['Paris', 'Oslo'] }, unit: { type: 'string', enum: ['celsius', 'fahrenheit'] } }, required: ['city', 'unit'], additionalProperties: false },
  },
};

const ENGINES = [
  { engine: 'transformers', registration: { id: 'contract-onnx', baseUrl: '/models/tiny-random-qwen3/' } },
  { engine: 'gguf', registration: { id: 'contract-gguf', engine: 'gguf', baseUrl: '/models/tiny-random-qwen3-gguf/model-f32.gguf' } },
] as const;

/** The first engine's greedy logprobs, compared with the next engines'. */
const LOGPROBS = new Map<string, Array<{ token: string; logprob: number }>>();

let browser: Browser;
let page: Page & { errors: string[] };

beforeAll(async () => {
  browser = await launch();
  page = await openPage(browser, '/e2e/pages/client-harness.html?device=wasm&shared=0');
  await page.waitForFunction(() => (window as any).ready);
});
afterAll(async () => { await browser?.close(); });

async function run(body: Record<string, unknown>, options: Record<string, unknown> = {}): Promise<any> {
  const r = await page.evaluate(([b, o]) => (window as any).harness.run(b, o), [body, options] as const);
  expect(r.schemaErrors).toEqual([]);
  return r;
}

async function ok(body: Record<string, unknown>): Promise<any> {
  const r = await run(body);
  expect(r.ok, JSON.stringify(r.error)).toBe(true);
  return r.completion ?? r;
}

describe.each(ENGINES)('the contract on $engine', ({ engine, registration }) => {
  const model = registration.id;
  const base = { model, messages: MESSAGES, logit_bias: BAN };

  beforeAll(async () => {
    const info = await page.evaluate(async (reg) => {
      const client = (window as any).client;
      await client.models.register(reg);
      return client.models.load(reg.id, { device: 'wasm' });
    }, registration);
    expect(info).toMatchObject({ engine, device: 'wasm' });
  });
  afterAll(async () => { await page.evaluate((id) => (window as any).client.models.unload(id), model); });

  test('seeded sampling is reproducible and n gives that many choices; another seed differs', async () => {
    const body = { ...base, n: 2, max_tokens: 8, temperature: 1, seed: 7, ignore_eos: true };
    const [a, b, c] = [await ok(body), await ok(body), await ok({ ...body, seed: 8 })];
    const texts = (r: any) => r.choices.map((ch: any) => ch.message.content);
    expect(a.choices.map((ch: any) => ch.index)).toEqual([0, 1]);
    expect(texts(a)).toEqual(texts(b));
    expect(texts(c)).not.toEqual(texts(a));
    expect(a.usage.completion_tokens).toBe(16);
  });

  test('max_tokens ends with finish_reason length; a stop string ends before its match, streamed too', async () => {
    const greedy = { ...base, max_tokens: 12, temperature: 0, ignore_eos: true };
    const full = await ok(greedy);
    expect(full.choices[0].finish_reason).toBe('length');
    expect(full.usage.completion_tokens).toBe(12);
    const text = full.choices[0].message.content as string;
    const at = Math.max(1, Math.floor(text.length / 2));
    const stop = text.slice(at, at + 2);
    const expected = text.slice(0, text.indexOf(stop));
    const plain = await ok({ ...greedy, stop: [stop] });
    expect(plain.choices[0]).toMatchObject({ finish_reason: 'stop', message: { content: expected } });
    const streamed = await run({ ...greedy, stop: [stop], stream: true });
    expect(streamed.chunks.map((c: any) => c.choices[0]?.delta?.content ?? '').join('')).toBe(expected);
    expect(streamed.chunks.at(-1).choices[0].finish_reason).toBe('stop');
  });

  test('logprobs: one entry per token with its top alternatives; the same model gives the same figures on every engine', async () => {
    const r = await ok({ ...base, max_tokens: 6, temperature: 0, ignore_eos: true, logprobs: true, top_logprobs: 3 });
    const entries = r.choices[0].logprobs.content;
    expect(entries).toHaveLength(6);
    for (const e of entries) {
      expect(e.top_logprobs).toHaveLength(3);
      // From the raw logits (before logit_bias): a banned token may lead; the pick is never above the top.
      expect(e.logprob).toBeLessThanOrEqual(e.top_logprobs[0].logprob + 1e-4);
      expect(e.top_logprobs[1].logprob).toBeLessThanOrEqual(e.top_logprobs[0].logprob);
      expect(e.top_logprobs[2].logprob).toBeLessThanOrEqual(e.top_logprobs[1].logprob);
    }
    const mine = entries.map((e: any) => ({ token: e.token, logprob: e.logprob }));
    const first = LOGPROBS.get('first');
    if (!first) LOGPROBS.set('first', mine);
    else {
      // F32 weights in both formats: the same greedy tokens, logprobs within llama.cpp's F16 KV cache.
      expect(mine.map((e: any) => e.token)).toEqual(first.map((e: any) => e.token));
      for (const [i, e] of mine.entries()) expect(Math.abs(e.logprob - first[i]!.logprob)).toBeLessThan(5e-3);
    }
  });

  test('json_schema: the reply parses and satisfies the schema', async () => {
    const schema = { type: 'object', properties: { city: { type: 'string', enum: ['Paris', 'Oslo'] }, temp: { type: 'integer', minimum: -20, maximum: 40 } }, required: ['city', 'temp'], additionalProperties: false };
    const r = await ok({ ...base, logit_bias: NO_THINK, max_tokens: 200, temperature: 1, seed: 3, response_format: { type: 'json_schema', json_schema: { name: 'w', schema, strict: true } } });
    const value = JSON.parse(r.choices[0].message.content);
    expect(Object.keys(value).sort()).toEqual(['city', 'temp']);
    expect(['Paris', 'Oslo']).toContain(value.city);
    expect(Number.isInteger(value.temp) && value.temp >= -20 && value.temp <= 40).toBe(true);
    expect(r.choices[0].finish_reason).toBe('stop');
  });

  test('a forced tool call comes back as tool_calls with valid arguments', async () => {
    const r = await ok({ ...base, logit_bias: NO_THINK, tools: [WEATHER], tool_choice: { type: 'function', function: { name: 'get_weather' } }, max_tokens: 200, temperature: 1, seed: 1 });
    const choice = r.choices[0];
    expect(choice.finish_reason).toBe('tool_calls');
    expect(choice.message.tool_calls).toHaveLength(1);
    expect(choice.message.tool_calls[0].function.name).toBe('get_weather');
    const args = JSON.parse(choice.message.tool_calls[0].function.arguments);
    expect(['Paris', 'Oslo']).toContain(args.city);
    expect(['celsius', 'fahrenheit']).toContain(args.unit);
  });

  test('reasoning split: a <think> block becomes reasoning_content (Qwen3 tags)', async () => {
    // Random weights do not think on their own: logit_bias writes <think>; penalties take the bias back once it is out.
    const body = { ...base, logit_bias: { ...BAN, [ADDED['<think>']!]: 6 }, presence_penalty: 2, frequency_penalty: 2, max_tokens: 6, temperature: 0, ignore_eos: true };
    const inline = (await ok({ ...body, reasoning_format: 'inline' })).choices[0].message.content as string;
    expect(inline.startsWith('<think>')).toBe(true);
    const parsed = await ok(body);
    expect(parsed.choices[0].message.reasoning_content).toBe(inline.slice('<think>'.length));
    expect(parsed.usage.completion_tokens_details.reasoning_tokens).toBe(6);
  });

  test('abort frees the engine: the next request answers at once', async () => {
    const aborted = await run({ ...base, max_tokens: 2000, ignore_eos: true, stream: true }, { abortAfter: 3 });
    expect(aborted.ok).toBe(false);
    expect(aborted.error.name).toMatch(/Abort/);
    const t0 = Date.now();
    const next = await ok({ ...base, max_tokens: 2, temperature: 0 });
    expect(next.choices[0].message.content.length).toBeGreaterThan(0);
    expect(Date.now() - t0).toBeLessThan(5000);
  });

  test('typed 400s name the param, and the model keeps serving', async () => {
    const badSchema = await run({ ...base, response_format: { type: 'json_schema', json_schema: { name: 'x', schema: { type: 'nope' } } } });
    expect(badSchema.error).toMatchObject({ status: 400, param: 'response_format' });
    const badBias = await run({ ...base, logit_bias: { 999999: 1 } });
    expect(badBias.error).toMatchObject({ status: 400, param: 'logit_bias.999999' });
    const badTool = await run({ ...base, tools: [WEATHER], tool_choice: { type: 'function', function: { name: 'nope' } } });
    expect(badTool.error).toMatchObject({ status: 400, param: 'tool_choice' });
    expect((await ok({ ...base, max_tokens: 1 })).choices).toHaveLength(1);
  });
});

describe('the contract on webllm', () => {
  // Stated, not silently absent: this browser has a (SwiftShader) WebGPU adapter, but no web-llm model can run here.
  test.skip('skipped: web-llm needs a compiled MLC model library (.wasm) and MLC weights, which cannot be built or fetched on this machine; e2e/webllm-real.e2e.ts runs a real one when WEBINFER_WEBLLM_MODEL_* name it', () => undefined);
});
