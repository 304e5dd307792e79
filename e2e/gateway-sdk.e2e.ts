import type { Browser, BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { openPage } from './support/browser.js';
import { launchGateway } from './support/ready-page.js';

/**
 * The unmodified `openai` npm SDK (bundled by Vite into the page) against the Service
 * Worker gateway at location.origin + '/v1', the tiny model on WASM behind it.
 */
const SENTENCE = 'Hello! I am a tiny model running in your browser.';
/** A raw ChatML prompt: the legacy endpoint then answers like the chat one. */
const CHATML_HI = '<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n';

let browser: Browser;
let context: BrowserContext;
let page: Awaited<ReturnType<typeof openPage>>;

beforeAll(async () => {
  ({ browser, context, page } = await launchGateway());
  expect(await page.evaluate(() => (window as any).gateway.controlled)).toBe(true);
});
afterAll(async () => {
  await browser?.close();
});

describe('openai SDK through the Service Worker gateway', () => {
  test('models.list and models.retrieve (ids with a slash too)', async () => {
    const out = await page.evaluate(async () => {
      const openai = (window as any).makeOpenAI();
      const list = [];
      for await (const model of openai.models.list()) list.push(model);
      const tiny = await openai.models.retrieve('tiny-chat');
      const hub = await openai.models.retrieve('onnx-community/Qwen2.5-0.5B-Instruct');
      let missing = null;
      try {
        await openai.models.retrieve('no-such-model');
      } catch (e) {
        missing = (window as any).describeError(e);
      }
      return { ids: list.map((m: any) => m.id), tiny, hub, missing };
    });
    expect(out.ids).toContain('tiny-chat');
    expect(out.tiny).toMatchObject({ id: 'tiny-chat', object: 'model', loaded: true, engine: 'transformers' });
    expect(out.hub).toMatchObject({ id: 'onnx-community/Qwen2.5-0.5B-Instruct', loaded: false });
    expect(out.missing).toMatchObject({ name: 'NotFoundError', status: 404, code: 'model_not_found' });
  });

  test('chat, non-streaming: the known sentence, usage and the request id', async () => {
    const out = await page.evaluate(async () => {
      const openai = (window as any).makeOpenAI();
      const { data, response, request_id } = await openai.chat.completions
        .create({ model: 'tiny-chat', messages: [{ role: 'user', content: 'Hi' }] })
        .withResponse();
      return { data, requestId: request_id, header: response.headers.get('x-request-id') };
    });
    expect(out.data.object).toBe('chat.completion');
    expect(out.data.choices[0].message).toMatchObject({ role: 'assistant', content: SENTENCE });
    expect(out.data.choices[0].finish_reason).toBe('stop');
    expect(out.data.usage).toMatchObject({ prompt_tokens: 9, completion_tokens: 13, total_tokens: 22 });
    expect(out.requestId).toMatch(/^req_/);
    expect(out.header).toBe(out.requestId);
  });

  test('chat, streaming with include_usage: token by token, then the usage chunk', async () => {
    const out = await page.evaluate(async () => {
      const openai = (window as any).makeOpenAI();
      const stream = await openai.chat.completions.create({
        model: 'tiny-chat',
        messages: [{ role: 'user', content: 'Hi' }],
        stream: true,
        stream_options: { include_usage: true },
      });
      const chunks = [];
      for await (const chunk of stream) chunks.push(chunk);
      return chunks;
    });
    const content = out.flatMap((c: any) => c.choices.map((ch: any) => ch.delta.content ?? '')).join('');
    expect(content).toBe(SENTENCE);
    expect(out[0].choices[0].delta.role).toBe('assistant');
    // One chunk per token (12 text tokens), plus role, finish and usage chunks.
    expect(out.length).toBeGreaterThanOrEqual(12);
    const last = out.at(-1);
    expect(last.choices).toEqual([]);
    expect(last.usage).toMatchObject({ prompt_tokens: 9, completion_tokens: 13, total_tokens: 22 });
    expect(out.at(-2).choices[0].finish_reason).toBe('stop');
    for (const chunk of out.slice(0, -1)) expect(chunk.usage).toBeNull();
  });

  test('completions.create: raw prompts, a batch, echo, legacy logprobs, streaming', async () => {
    const out = await page.evaluate(async (CHATML_HI) => {
      const openai = (window as any).makeOpenAI();
      const chatml = await openai.completions.create({ model: 'tiny-chat', prompt: CHATML_HI, max_tokens: 20 });
      const batch = await openai.completions.create({ model: 'tiny-chat', prompt: ['I am', 'I can run in'], max_tokens: 20, echo: true });
      const logprobs = await openai.completions.create({ model: 'tiny-chat', prompt: 'I can run in', logprobs: 2 });
      const stream = await openai.completions.create({ model: 'tiny-chat', prompt: 'I am', stream: true, stream_options: { include_usage: true } });
      const chunks = [];
      for await (const chunk of stream) chunks.push(chunk);
      let suffix = null;
      try {
        await openai.completions.create({ model: 'tiny-chat', prompt: 'I am', suffix: '.' });
      } catch (e) {
        suffix = (window as any).describeError(e);
      }
      return { chatml, batch, logprobs, chunks, suffix };
    }, CHATML_HI);
    expect(out.chatml.object).toBe('text_completion');
    expect(out.chatml.choices[0]).toMatchObject({ index: 0, text: SENTENCE, finish_reason: 'stop', logprobs: null });
    expect(out.chatml.usage).toMatchObject({ prompt_tokens: 9, completion_tokens: 13 });

    expect(out.batch.choices.map((c: any) => [c.index, c.text])).toEqual([
      [0, 'I am a tiny model running in your browser.'],
      [1, 'I can run in your browser.'],
    ]);
    expect(out.batch.usage).toMatchObject({ prompt_tokens: 2 + 4, completion_tokens: 9 + 4 });

    const lp = out.logprobs.choices[0].logprobs;
    expect(out.logprobs.choices[0].text).toBe(' your browser.');
    expect(lp.tokens.join('')).toBe(' your browser.');
    expect(lp.token_logprobs).toHaveLength(lp.tokens.length);
    for (const v of lp.token_logprobs) expect(v).toBeLessThanOrEqual(0);
    expect(lp.text_offset[0]).toBe(0);
    expect(lp.text_offset.at(-1)).toBe(' your browser.'.length - lp.tokens.at(-1).length);
    lp.top_logprobs.forEach((top: Record<string, number>, i: number) => {
      // The 2 most likely tokens; greedy picked the first, so it is among them.
      expect(Object.keys(top).length).toBe(2);
      expect(top[lp.tokens[i]]).toBe(lp.token_logprobs[i]);
    });

    expect(out.chunks.every((c: any) => c.object === 'text_completion')).toBe(true);
    expect(out.chunks.flatMap((c: any) => c.choices.map((ch: any) => ch.text)).join('')).toBe(' a tiny model running in your browser.');
    expect(out.chunks.at(-1)).toMatchObject({ choices: [], usage: { prompt_tokens: 2, completion_tokens: 9 } });

    expect(out.suffix).toMatchObject({ name: 'BadRequestError', status: 400, param: 'suffix', code: 'unsupported_parameter' });
  });

  test('abort through AbortController mid-stream frees the engine; the next request succeeds', async () => {
    const out = await page.evaluate(async (SENTENCE) => {
      const w = window as any;
      const openai = w.makeOpenAI();
      const controller = new AbortController();
      // Long enough that it cannot finish on its own during the test (8 x 2000 tokens).
      const stream = await openai.chat.completions.create(
        { model: 'tiny-chat', messages: [{ role: 'user', content: 'Hi' }], stream: true, n: 8, max_tokens: 2000, ignore_eos: true },
        { signal: controller.signal },
      );
      let received = 0;
      let error = null;
      try {
        for await (const _chunk of stream) {
          if (++received === 5) controller.abort();
        }
      } catch (e) {
        error = w.describeError(e);
      }
      const idleMs = await w.waitIdle(5000);
      const next = await openai.chat.completions.create({ model: 'tiny-chat', messages: [{ role: 'user', content: 'Hi' }] });
      // The aborted non-streaming case: the SW sees the fetch go away.
      const slow = new AbortController();
      const pending = openai.chat.completions.create(
        { model: 'tiny-chat', messages: [{ role: 'user', content: 'Hi' }], n: 8, max_tokens: 2000, ignore_eos: true },
        { signal: slow.signal },
      );
      await new Promise((r) => setTimeout(r, 300));
      const busy = (await w.client.stats()).queue.running;
      slow.abort();
      let slowError = null;
      try {
        await pending;
      } catch (e) {
        slowError = w.describeError(e);
      }
      const slowIdleMs = await w.waitIdle(5000);
      const after = await openai.completions.create({ model: 'tiny-chat', prompt: 'I am' });
      return { received, error, idleMs, next: next.choices[0].message.content, busy, slowError, slowIdleMs, after: after.choices[0].text, stats: await w.client.stats(), SENTENCE };
    }, SENTENCE);
    // openai-node ends a stream's for-await quietly when its signal aborts.
    expect(out.received).toBe(5);
    expect(out.error).toBeNull();
    // 16,000 tokens would take seconds; stopped, the host is idle almost at once.
    expect(out.idleMs).toBeLessThan(1000);
    expect(out.next).toBe(SENTENCE);
    expect(out.busy).toBe(true);
    expect(out.slowError).toMatchObject({ isUserAbort: true });
    expect(out.slowIdleMs).toBeLessThan(1000);
    expect(out.after).toBe(' a tiny model running in your browser.');
    expect(out.stats.loads).toEqual({ 'tiny-chat': 1 });
    expect(page.errors).toEqual([]);
  });
});
