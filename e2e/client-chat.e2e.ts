import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { ChatCompletion, ChatCompletionChunk } from '../src/protocol/chat.js';
import { DEVICES, launch, type Device } from './support/browser.js';
import { openHarness } from './support/harness.js';

/**
 * `client.chat.completions.create` semantics against the real tiny model, on WASM and on
 * WebGPU: exact text, usage, finish reasons, chunk shapes, max_tokens, stop strings,
 * seeds, n and logprobs. One page (dedicated-worker host) per device, model loaded once.
 */

const SENTENCE = 'Hello! I am a tiny model running in your browser.';
/** The greedy answer token by token (then <|im_end|>): 12 text tokens + EOS = 13. */
const TOKENS = ['Hello', '!', ' I', ' am', ' a', ' tiny', ' model', ' running', ' in', ' your', ' browser', '.'];
const HI = [{ role: 'user', content: 'Hi' }];
const BASE = { model: 'tiny-chat', messages: HI };

type Body = Record<string, unknown>;
interface ErrorInfo { name: string; status: number | null; param: string | null; code: string | null; instanceOf: string[] }
type Streamed =
  | { ok: true; chunks: ChatCompletionChunk[]; times: number[]; schemaErrors: string[] }
  | { ok: false; error: ErrorInfo; chunks: ChatCompletionChunk[] };

async function complete(page: Page, body: Body): Promise<ChatCompletion> {
  const r = await page.evaluate((b) => (window as any).harness.run(b), { ...body, stream: false });
  if (!r.ok) throw new Error(`request failed: ${JSON.stringify(r.error)}`);
  expect(r.schemaErrors).toEqual([]);
  return r.completion;
}

async function stream(page: Page, body: Body): Promise<ChatCompletionChunk[]> {
  const r: Streamed = await page.evaluate((b) => (window as any).harness.run(b), { ...body, stream: true });
  if (!r.ok) throw new Error(`request failed: ${JSON.stringify(r.error)}`);
  expect(r.schemaErrors).toEqual([]);
  return r.chunks;
}

/** The text of one choice in a chunk list. */
function textOf(chunks: ChatCompletionChunk[], index = 0): string {
  return chunks.flatMap((c) => c.choices.filter((ch) => ch.index === index).map((ch) => ch.delta.content ?? '')).join('');
}

/** Content deltas of one choice, in order (role and finish chunks excluded). */
function contentDeltas(chunks: ChatCompletionChunk[], index = 0): string[] {
  return chunks.flatMap((c) => c.choices.filter((ch) => ch.index === index && ch.delta.content).map((ch) => ch.delta.content!));
}

let browser: Browser;
beforeAll(async () => { browser = await launch(); });
afterAll(async () => { await browser?.close(); });

describe.each(DEVICES)('chat.completions.create on %s', (device: Device) => {
  let page: Page & { errors: string[] };

  beforeAll(async () => {
    page = await openHarness(browser, device);
  });
  afterAll(async () => {
    expect(page.errors).toEqual([]);
    await page?.close();
  });

  test('non-streamed: the exact sentence, usage 9/13/22, finish_reason stop, OpenAI shape', async () => {
    const c = await complete(page, BASE);
    expect(c.object).toBe('chat.completion');
    expect(c.id).toMatch(/^chatcmpl-/);
    expect(c.model).toBe('tiny-chat');
    expect(c.system_fingerprint).toContain(device);
    expect(c.choices).toHaveLength(1);
    expect(c.choices[0]).toEqual({
      index: 0,
      message: { role: 'assistant', content: SENTENCE, refusal: null },
      logprobs: null,
      finish_reason: 'stop',
    });
    expect(c.usage).toMatchObject({ prompt_tokens: 9, completion_tokens: 13, total_tokens: 22 });
  });

  test('streamed: role first, one content chunk per token, finish_reason last, no usage unless asked', async () => {
    const chunks = await stream(page, BASE);
    expect(new Set(chunks.map((c) => c.id)).size).toBe(1);
    for (const c of chunks) {
      expect(c.object).toBe('chat.completion.chunk');
      expect(c.model).toBe('tiny-chat');
      expect(c.choices).toHaveLength(1);
      expect(c.usage).toBeUndefined();
    }
    const first = chunks[0]!.choices[0]!;
    expect(first.delta.role).toBe('assistant');
    expect(first.finish_reason).toBeNull();
    expect(chunks.slice(1).every((c) => c.choices[0]!.delta.role === undefined)).toBe(true);

    const last = chunks.at(-1)!.choices[0]!;
    expect(last.finish_reason).toBe('stop');
    expect(last.delta).toEqual({});
    expect(chunks.slice(0, -1).every((c) => c.choices[0]!.finish_reason === null)).toBe(true);

    expect(contentDeltas(chunks)).toEqual(TOKENS);
    expect(textOf(chunks)).toBe(SENTENCE);
  });

  test('streamed with stream_options.include_usage: a final usage chunk with empty choices', async () => {
    const chunks = await stream(page, { ...BASE, stream_options: { include_usage: true } });
    const usageChunk = chunks.at(-1)!;
    expect(usageChunk.choices).toEqual([]);
    expect(usageChunk.usage).toMatchObject({ prompt_tokens: 9, completion_tokens: 13, total_tokens: 22 });
    // Every other chunk says usage: null, as OpenAI sends it.
    expect(chunks.slice(0, -1).every((c) => c.usage === null)).toBe(true);
    expect(chunks.at(-2)!.choices[0]!.finish_reason).toBe('stop');
    expect(textOf(chunks)).toBe(SENTENCE);
  });

  test('max_tokens cuts with finish_reason length and exactly that many completion tokens', async () => {
    for (const k of [1, 5]) {
      const c = await complete(page, { ...BASE, max_tokens: k });
      expect(c.choices[0]!.finish_reason).toBe('length');
      expect(c.choices[0]!.message.content).toBe(TOKENS.slice(0, k).join(''));
      expect(c.usage).toMatchObject({ prompt_tokens: 9, completion_tokens: k, total_tokens: 9 + k });
    }
    // max_completion_tokens is the same limit under its current name.
    const mct = await complete(page, { ...BASE, max_completion_tokens: 3 });
    expect(mct.choices[0]!.message.content).toBe('Hello! I');
    expect(mct.choices[0]!.finish_reason).toBe('length');
    expect(mct.usage.completion_tokens).toBe(3);

    // Edge: 12 tokens is the whole sentence but no EOS yet -> length; 13 reaches EOS -> stop.
    const twelve = await complete(page, { ...BASE, max_tokens: 12 });
    expect(twelve.choices[0]!.message.content).toBe(SENTENCE);
    expect(twelve.choices[0]!.finish_reason).toBe('length');
    expect(twelve.usage.completion_tokens).toBe(12);
    const thirteen = await complete(page, { ...BASE, max_tokens: 13 });
    expect(thirteen.choices[0]!.finish_reason).toBe('stop');
    expect(thirteen.usage.completion_tokens).toBe(13);

    // Streamed: the cut shows as the last choice chunk, usage agrees.
    const chunks = await stream(page, { ...BASE, max_tokens: 5, stream_options: { include_usage: true } });
    expect(textOf(chunks)).toBe('Hello! I am a');
    expect(chunks.at(-2)!.choices[0]!.finish_reason).toBe('length');
    expect(chunks.at(-1)!.usage).toMatchObject({ prompt_tokens: 9, completion_tokens: 5, total_tokens: 14 });
  });

  // [stop, text before it, tokens generated until the stop completed, the stop's first word]
  const stopCases: Array<[string | string[], string, number, string]> = [
    [' tiny', 'Hello! I am a', 6, 'tiny'], // one whole token
    ['model run', 'Hello! I am a tiny ', 8, 'model'], // spans two tokens: ' model' is held back, then dropped
    ['brow', 'Hello! I am a tiny model running in your ', 11, 'brow'], // ends inside a token
    [['xyz', 'your b', 'never'], 'Hello! I am a tiny model running in ', 11, 'your'], // a list: the first match wins
  ];
  test.each(stopCases)('stop %j cuts with finish_reason stop and never leaks a partial match', async (stop, expected, tokens, word) => {
    const chunks = await stream(page, { ...BASE, stop, stream_options: { include_usage: true } });
    expect(textOf(chunks)).toBe(expected);
    expect(chunks.at(-2)!.choices[0]!.finish_reason).toBe('stop');
    expect(chunks.at(-1)!.usage).toMatchObject({ completion_tokens: tokens });
    // No chunk ever carried text that was later taken back: every running total is a
    // prefix of the final text, so not even the first character of the stop string (nor
    // of the text after it) was ever streamed.
    let sofar = '';
    for (const delta of contentDeltas(chunks)) {
      sofar += delta;
      expect(expected.startsWith(sofar), `streamed ${JSON.stringify(sofar)}`).toBe(true);
    }
    expect(contentDeltas(chunks).filter((d) => d.includes(word))).toEqual([]);
    // The same cut without streaming.
    const c = await complete(page, { ...BASE, stop });
    expect(c.choices[0]!.message.content).toBe(expected);
    expect(c.choices[0]!.finish_reason).toBe('stop');
  });

  test('a stop string that only partly matches is held back, then released in full', async () => {
    // 'Hello', 'Hello!' could become 'Hello!!' and 'browser' could become 'browser!': each
    // is held until the next token proves otherwise, then released with it.
    const chunks = await stream(page, { ...BASE, stop: ['browser!', 'Hello!!'] });
    expect(textOf(chunks)).toBe(SENTENCE);
    expect(chunks.at(-1)!.choices[0]!.finish_reason).toBe('stop');
    expect(contentDeltas(chunks)).toEqual(['Hello! I', ' am', ' a', ' tiny', ' model', ' running', ' in', ' your', ' ', 'browser.']);
  });

  test('the same seed at temperature 1 gives the same text; different seeds differ', async () => {
    const sample = async (seed: number) =>
      (await complete(page, { ...BASE, temperature: 1, seed, max_tokens: 40 })).choices[0]!.message.content!;
    const a = await sample(7);
    const b = await sample(7);
    expect(b).toBe(a);
    // Streaming does not change what a seed draws.
    expect(textOf(await stream(page, { ...BASE, temperature: 1, seed: 7, max_tokens: 40 }))).toBe(a);

    const texts = [];
    for (let seed = 1; seed <= 6; seed++) texts.push(await sample(seed));
    expect(new Set(texts).size, JSON.stringify(texts)).toBeGreaterThanOrEqual(3);
    expect(texts.some((t) => t !== SENTENCE)).toBe(true);
  });

  test('n: 3 non-streamed gives three choices with summed usage', async () => {
    const c = await complete(page, { ...BASE, n: 3 });
    expect(c.choices.map((ch) => ch.index)).toEqual([0, 1, 2]);
    for (const ch of c.choices) {
      expect(ch.message.content).toBe(SENTENCE);
      expect(ch.finish_reason).toBe('stop');
    }
    expect(c.usage).toMatchObject({ prompt_tokens: 9, completion_tokens: 39, total_tokens: 48 });
  });

  test('n: 3 streamed: chunks by choice index, each choice with its role and finish chunk, same as non-streamed', async () => {
    const body = { ...BASE, n: 3, temperature: 1, seed: 11, max_tokens: 30 };
    const whole = await complete(page, body);
    const chunks = await stream(page, { ...body, stream_options: { include_usage: true } });
    for (const index of [0, 1, 2]) {
      const mine = chunks.flatMap((c) => c.choices.filter((ch) => ch.index === index));
      expect(mine.length).toBeGreaterThanOrEqual(2);
      expect(mine[0]!.delta.role).toBe('assistant');
      expect(mine.slice(1).every((ch) => ch.delta.role === undefined)).toBe(true);
      expect(mine.at(-1)!.finish_reason).toBe(whole.choices[index]!.finish_reason);
      expect(mine.slice(0, -1).every((ch) => ch.finish_reason === null)).toBe(true);
      expect(textOf(chunks, index)).toBe(whole.choices[index]!.message.content);
    }
    // Choices draw from different streams of the seed.
    expect(new Set(whole.choices.map((ch) => ch.message.content)).size).toBeGreaterThan(1);
    expect(chunks.at(-1)!.choices).toEqual([]);
    expect(chunks.at(-1)!.usage).toEqual(whole.usage);
  });

  test('logprobs with top_logprobs: shape, tokens spell the content, greedy token is the top alternative', async () => {
    const c = await complete(page, { ...BASE, logprobs: true, top_logprobs: 3 });
    const content = c.choices[0]!.logprobs!.content!;
    expect(content.map((t) => t.token)).toEqual(TOKENS);
    expect(content.map((t) => t.token).join('')).toBe(c.choices[0]!.message.content);
    for (const t of content) {
      expect(Number.isFinite(t.logprob)).toBe(true);
      expect(t.logprob).toBeLessThanOrEqual(0);
      expect(t.bytes).toEqual([...new TextEncoder().encode(t.token)]);
      expect(t.top_logprobs).toHaveLength(3);
      const lps = t.top_logprobs.map((a) => a.logprob);
      expect([...lps].sort((x, y) => y - x)).toEqual(lps);
      expect(lps.every((lp) => lp <= 0)).toBe(true);
      expect(lps.reduce((s, lp) => s + Math.exp(lp), 0)).toBeLessThanOrEqual(1 + 1e-6);
      expect(new Set(t.top_logprobs.map((a) => a.token)).size).toBe(3);
      // Greedy decoding picked the most likely token.
      expect(t.top_logprobs[0]!.token).toBe(t.token);
      expect(t.top_logprobs[0]!.logprob).toBeCloseTo(t.logprob, 6);
    }

    // Streamed: each chunk carries the logprobs of exactly the tokens in its delta.
    const chunks = await stream(page, { ...BASE, logprobs: true, top_logprobs: 2 });
    for (const ch of chunks.flatMap((x) => x.choices).filter((ch) => ch.delta.content)) {
      expect(ch.logprobs!.content!.map((t) => t.token).join('')).toBe(ch.delta.content);
      expect(ch.logprobs!.content!.every((t) => t.top_logprobs.length === 2)).toBe(true);
    }
    const streamed = chunks.flatMap((x) => x.choices).flatMap((ch) => ch.logprobs?.content ?? []);
    expect(streamed.map((t) => t.token)).toEqual(TOKENS);
    streamed.forEach((t, i) => expect(t.logprob).toBeCloseTo(content[i]!.logprob, 6));

    // logprobs without top_logprobs: empty alternative lists; without logprobs: null.
    const bare = await complete(page, { ...BASE, logprobs: true });
    expect(bare.choices[0]!.logprobs!.content!.every((t) => t.top_logprobs.length === 0)).toBe(true);
    expect((await complete(page, { ...BASE, max_tokens: 2 })).choices[0]!.logprobs).toBeNull();
  });
});
