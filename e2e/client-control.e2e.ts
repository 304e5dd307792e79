import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { DEVICES, launch, type Device } from './support/browser.js';
import { openHarness } from './support/harness.js';

/**
 * Request control on WASM and WebGPU: abort (mid-stream, mid-generation, while queued),
 * the FIFO queue under concurrent requests, and typed errors that leave the runtime
 * serving. The long request below would take many seconds (WASM) to minutes (WebGPU) to
 * finish, so "the next request answers at once" shows the engine really stopped.
 */

const SENTENCE = 'Hello! I am a tiny model running in your browser.';
const HI = [{ role: 'user', content: 'Hi' }];
const BASE = { model: 'tiny-chat', messages: HI };
/** 16 choices x 2000 tokens, EOS ignored: 8-30 s on WASM, minutes on SwiftShader WebGPU. */
const LONG = { ...BASE, ignore_eos: true, max_tokens: 2000, n: 16 };
/** How soon the next request must be answered after an abort (it takes ~0.1-0.4 s). */
const AT_ONCE_MS = 3000;

let browser: Browser;
beforeAll(async () => { browser = await launch(); });
afterAll(async () => { await browser?.close(); });

describe.each(DEVICES)('request control on %s', (device: Device) => {
  let page: Page & { errors: string[] };

  beforeAll(async () => {
    page = await openHarness(browser, device);
  });
  afterAll(async () => {
    expect(page.errors).toEqual([]);
    await page?.close();
  });

  test('abort mid-stream: the iterator rejects with APIUserAbortError, the next request answers at once', async () => {
    const r = await page.evaluate(async ([long, base]) => {
      const { harness } = window as any;
      const aborted = await harness.run({ ...long, stream: true }, { abortAfter: 4 });
      const next = await harness.run(base);
      const stats = await (window as any).client.stats();
      return { aborted, next, stats };
    }, [LONG, BASE] as const);
    expect(r.aborted.ok).toBe(false);
    expect(r.aborted.error.name).toBe('APIUserAbortError');
    expect(r.aborted.error.instanceOf).toEqual(['APIUserAbortError']);
    expect(r.aborted.chunks).toHaveLength(4);
    expect(r.next.completion.choices[0].message.content).toBe(SENTENCE);
    expect(r.next.completion.usage.completion_tokens).toBe(13);
    expect(r.next.ms).toBeLessThan(AT_ONCE_MS);
    expect(r.stats.queue).toEqual({ running: false, pending: 0 });
  });

  test('stream.controller.abort(), leaving the loop early, and aborting a stream never iterated all stop generation', async () => {
    const r = await page.evaluate(async ([long, base]) => {
      const { harness, client } = window as any;
      // openai-node's way: the stream's own controller.
      const s = await client.chat.completions.create({ ...long, stream: true });
      let seen = 0;
      let error = null;
      try {
        for await (const _ of s) if (++seen === 3) s.controller.abort();
      } catch (e) {
        error = harness.describeError(e);
      }
      const afterController = await harness.run(base);
      // `break` out of for-await: no error, and the worker stops too.
      const broke = await harness.run({ ...long, stream: true }, { breakAfter: 3 });
      const afterBreak = await harness.run(base);
      // A stream that is aborted without ever being iterated stops the worker too.
      const idle = new AbortController();
      await client.chat.completions.create({ ...long, stream: true }, { signal: idle.signal });
      await new Promise((res) => setTimeout(res, 100));
      idle.abort();
      const afterIdle = await harness.run(base);
      return { seen, error, afterController, broke, afterBreak, afterIdle };
    }, [LONG, BASE] as const);
    expect(r.seen).toBe(3);
    expect(r.error?.name).toBe('APIUserAbortError');
    expect(r.afterController.completion.choices[0].message.content).toBe(SENTENCE);
    expect(r.afterController.ms).toBeLessThan(AT_ONCE_MS);
    expect(r.broke.ok).toBe(true);
    expect(r.broke.chunks).toHaveLength(3);
    expect(r.afterBreak.completion.choices[0].message.content).toBe(SENTENCE);
    expect(r.afterBreak.ms).toBeLessThan(AT_ONCE_MS);
    expect(r.afterIdle.completion.choices[0].message.content).toBe(SENTENCE);
    expect(r.afterIdle.ms).toBeLessThan(AT_ONCE_MS);
  });

  test('abort of a non-streamed request mid-generation rejects, and frees the engine', async () => {
    const r = await page.evaluate(async ([long, base]) => {
      const { harness } = window as any;
      const controller = new AbortController();
      const pending = harness.run(long, { signal: controller.signal });
      const during = await harness.waitForStats((s: any) => s.queue.running);
      await new Promise((res) => setTimeout(res, 200));
      const t0 = performance.now();
      controller.abort();
      const aborted = await pending;
      const rejectMs = performance.now() - t0;
      const next = await harness.run(base);
      // An already-aborted signal rejects without starting anything.
      const pre = new AbortController();
      pre.abort();
      const preAborted = await harness.run(base, { signal: pre.signal });
      return { during, aborted, rejectMs, next, preAborted };
    }, [LONG, BASE] as const);
    expect(r.during.queue.running).toBe(true);
    expect(r.aborted.ok).toBe(false);
    expect(r.aborted.error.name).toBe('APIUserAbortError');
    expect(r.rejectMs).toBeLessThan(AT_ONCE_MS);
    expect(r.next.completion.choices[0].message.content).toBe(SENTENCE);
    expect(r.next.ms).toBeLessThan(AT_ONCE_MS);
    expect(r.preAborted.error.name).toBe('APIUserAbortError');
  });

  test('abort while queued behind another request: leaves the line, the running one goes on', async () => {
    const r = await page.evaluate(async ([long, base]) => {
      const { harness } = window as any;
      const running = new AbortController();
      const aLog: string[] = [];
      const a = harness.run({ ...long, stream: true }, { signal: running.signal, label: 'a', log: aLog });
      while (aLog.length < 2) await new Promise((res) => setTimeout(res, 5));

      const queuedPlain = new AbortController();
      const queuedStream = new AbortController();
      const b = harness.run(base, { signal: queuedPlain.signal });
      const c = harness.run({ ...base, stream: true }, { signal: queuedStream.signal });
      const waiting = await harness.waitForStats((s: any) => s.queue.pending === 2);

      const t0 = performance.now();
      const aChunksAtAbort = aLog.length;
      queuedPlain.abort();
      queuedStream.abort();
      const [bR, cR] = await Promise.all([b, c]);
      const rejectMs = performance.now() - t0;
      const after = await harness.waitForStats((s: any) => s.queue.pending === 0);

      // The running request still streams after the queued ones left.
      await new Promise((res) => setTimeout(res, 300));
      running.abort();
      const aR = await a;
      const next = await harness.run(base);
      return { waiting, bR, cR, rejectMs, after, aR: { error: aR.error, chunks: aR.chunks.length }, aChunksAtAbort, next };
    }, [LONG, BASE] as const);
    expect(r.waiting.queue).toEqual({ running: true, pending: 2 });
    expect(r.bR.error.name).toBe('APIUserAbortError');
    expect(r.cR.error.name).toBe('APIUserAbortError');
    expect(r.cR.chunks).toEqual([]);
    expect(r.rejectMs).toBeLessThan(1000);
    expect(r.after.queue).toEqual({ running: true, pending: 0 });
    expect(r.aChunksAtAbort).toBeGreaterThan(0);
    expect(r.aR.chunks).toBeGreaterThan(r.aChunksAtAbort);
    expect(r.aR.error.name).toBe('APIUserAbortError');
    expect(r.next.completion.choices[0].message.content).toBe(SENTENCE);
    expect(r.next.ms).toBeLessThan(AT_ONCE_MS);
  });

  test('two concurrent streams both give the exact sentence, token by token, never mixed', async () => {
    const r = await page.evaluate(async (base) => {
      const { harness } = window as any;
      const [a, b] = await Promise.all([
        harness.run({ ...base, stream: true, stream_options: { include_usage: true } }),
        harness.run({ ...base, stream: true, stream_options: { include_usage: true } }),
      ]);
      return { a, b };
    }, BASE);
    const deltas = (chunks: any[]) => chunks.flatMap((c) => c.choices.map((ch: any) => ch.delta.content)).filter(Boolean);
    for (const s of [r.a, r.b]) {
      expect(deltas(s.chunks)).toEqual(['Hello', '!', ' I', ' am', ' a', ' tiny', ' model', ' running', ' in', ' your', ' browser', '.']);
      expect(deltas(s.chunks).join('')).toBe(SENTENCE);
      expect(new Set(s.chunks.map((c: any) => c.id)).size).toBe(1);
      expect(s.chunks.at(-1).usage).toMatchObject({ prompt_tokens: 9, completion_tokens: 13, total_tokens: 22 });
    }
    expect(r.a.chunks[0].id).not.toBe(r.b.chunks[0].id);
  });

  test('concurrent requests with different settings each get their own exact answer', async () => {
    const r = await page.evaluate(async (base) => {
      const { harness } = window as any;
      const bodies = [
        { ...base },
        { ...base, max_tokens: 4 },
        { ...base, stop: ' tiny' },
        { ...base, temperature: 1, seed: 3, max_tokens: 30 },
        { ...base, temperature: 1, seed: 4, max_tokens: 30, stream: true },
      ];
      const together = await Promise.all(bodies.map((b) => harness.run(b)));
      const oneByOne = [];
      for (const b of bodies) oneByOne.push(await harness.run(b));
      return { together, oneByOne };
    }, BASE);
    const text = (x: any) =>
      x.completion ? x.completion.choices[0].message.content : x.chunks.map((c: any) => c.choices[0]?.delta.content ?? '').join('');
    const together = r.together.map(text);
    expect(together.slice(0, 3)).toEqual([SENTENCE, 'Hello! I am', 'Hello! I am a']);
    expect(together).toEqual(r.oneByOne.map(text));
    expect(r.together[0].completion.usage.completion_tokens).toBe(13);
  });

  const invalid: Array<[string, Record<string, unknown>, { cls: string; status: number; param: string; code?: string }]> = [
    [
      'an empty image url',
      { messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: '' } }] }] },
      { cls: 'BadRequestError', status: 400, param: 'messages[0].content[0].image_url.url' },
    ],
    ['temperature above 2', { temperature: 3 }, { cls: 'BadRequestError', status: 400, param: 'temperature' }],
    ['an unknown field', { foo: 1 }, { cls: 'BadRequestError', status: 400, param: 'foo', code: 'unknown_parameter' }],
    ['an unknown model', { model: 'no-such-model' }, { cls: 'NotFoundError', status: 404, param: 'model', code: 'model_not_found' }],
    ['no messages', { messages: [] }, { cls: 'BadRequestError', status: 400, param: 'messages' }],
    ['top_logprobs without logprobs', { top_logprobs: 2 }, { cls: 'BadRequestError', status: 400, param: 'top_logprobs' }],
    [
      'an image for a text-only model',
      { messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' } }] }] },
      { cls: 'BadRequestError', status: 400, param: 'messages[0].content[0]', code: 'unsupported_content' },
    ],
    [
      'max_tokens beyond the context',
      { max_tokens: 5000 },
      { cls: 'BadRequestError', status: 400, param: 'max_tokens', code: 'context_length_exceeded' },
    ],
  ];
  test.each(invalid)('invalid request (%s) -> typed error naming the param; the runtime keeps serving', async (_name, patch, want) => {
    for (const stream of [false, true]) {
      const r = await page.evaluate(async ([body, base]) => {
        const { harness } = window as any;
        const bad = await harness.run(body);
        const good = await harness.run(base);
        return { bad, good };
      }, [{ ...BASE, ...patch, stream }, BASE] as const);
      expect(r.bad.ok).toBe(false);
      expect(r.bad.error.name).toBe(want.cls);
      expect(r.bad.error.instanceOf).toEqual(['APIError', want.cls]);
      expect(r.bad.error.status).toBe(want.status);
      expect(r.bad.error.type).toBe(want.status === 404 ? 'not_found_error' : 'invalid_request_error');
      expect(r.bad.error.param).toBe(want.param);
      if (want.code) expect(r.bad.error.code).toBe(want.code);
      expect(r.bad.error.message).toEqual(expect.any(String));
      expect(r.good.completion.choices[0].message.content).toBe(SENTENCE);
    }
  });

  test('model API errors are typed too: retrieve/load of an unknown model -> NotFoundError', async () => {
    const r = await page.evaluate(async () => {
      const { harness, client } = window as any;
      return {
        retrieve: await harness.settle(client.models.retrieve('no-such-model')),
        load: await harness.settle(client.models.load('no-such-model')),
        known: await harness.settle(client.models.retrieve('tiny-chat')),
      };
    });
    for (const e of [r.retrieve.error, r.load.error]) {
      expect(e.instanceOf).toEqual(['APIError', 'NotFoundError']);
      expect(e.status).toBe(404);
      expect(e.param).toBe('model');
    }
    expect(r.known.value).toMatchObject({ id: 'tiny-chat', object: 'model', loaded: true });
  });
});
