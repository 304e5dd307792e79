import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { launch, openPage } from './support/browser.js';

/**
 * Images through the Service Worker gateway with the unmodified `openai` npm SDK: the
 * JSON body carries data: and blob: URLs, the engine host (a SharedWorker) fetches,
 * checks and decodes them, and refusals come back as the OpenAI error envelope.
 */
const RED = 'The picture is red.';
const BLUE = 'The picture is blue.';
let browser: Browser;
let page: Awaited<ReturnType<typeof openPage>>;

beforeAll(async () => {
  browser = await launch();
  page = await openPage(browser, '/e2e/pages/multimodal-gateway.html');
  await page.waitForFunction(() => (window as any).ready);
  expect(await page.evaluate(() => (window as any).setupError ?? null)).toBeNull();
  expect(await page.evaluate(() => (window as any).gateway.controlled)).toBe(true);
  await page.evaluate(() => (window as any).client.models.load('tiny-vlm', { device: 'wasm' }));
});
afterAll(async () => { await browser?.close(); });

describe('images through /v1 with the openai SDK', () => {
  test('models.list reports which models take images', async () => {
    const models = await page.evaluate(async () => {
      const out: Record<string, unknown> = {};
      for await (const m of (window as any).makeOpenAI().models.list()) out[m.id] = m.modalities;
      return out;
    });
    expect(models['tiny-vlm']).toEqual(['text', 'image']);
    expect(models['tiny-chat']).toEqual(['text']);
  });

  test('a red and a blue data: URL give different, known answers (JSON and SSE)', async () => {
    const out = await page.evaluate(async () => {
      const w = window as any;
      const openai = w.makeOpenAI();
      const ask = async (rgb: number[]) => {
        const url = await w.toDataUrl(await w.picture(rgb));
        const r = await openai.chat.completions.create({
          model: 'tiny-vlm',
          messages: [{ role: 'user', content: [{ type: 'text', text: 'What colour is it?' }, { type: 'image_url', image_url: { url, detail: 'auto' } }] }],
        });
        return r.choices[0].message.content;
      };
      const url = await w.toDataUrl(await w.picture([10, 40, 220]));
      const stream = await openai.chat.completions.create({
        model: 'tiny-vlm', stream: true, stream_options: { include_usage: true },
        messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url } }] }],
      });
      let streamed = '';
      let usage = null;
      for await (const chunk of stream) {
        streamed += chunk.choices[0]?.delta?.content ?? '';
        usage = chunk.usage ?? usage;
      }
      return { red: await ask([230, 20, 30]), blue: await ask([10, 40, 220]), streamed, usage };
    });
    expect(out).toMatchObject({ red: RED, blue: BLUE, streamed: BLUE, usage: { completion_tokens: 6 } });
  });

  test('a blob: URL of the page and a multi-turn conversation', async () => {
    const out = await page.evaluate(async () => {
      const w = window as any;
      const openai = w.makeOpenAI();
      const blobUrl = URL.createObjectURL(await w.picture([230, 20, 30]));
      const messages: any[] = [{ role: 'user', content: [{ type: 'image_url', image_url: { url: blobUrl } }, { type: 'text', text: 'Colour?' }] }];
      const first = (await openai.chat.completions.create({ model: 'tiny-vlm', messages })).choices[0].message.content;
      messages.push({ role: 'assistant', content: first }, { role: 'user', content: 'Are you sure?' });
      const second = (await openai.chat.completions.create({ model: 'tiny-vlm', messages })).choices[0].message.content;
      URL.revokeObjectURL(blobUrl);
      return { first, second };
    });
    expect(out).toEqual({ first: RED, second: RED });
  });

  test('refusals are the OpenAI error envelope naming the part; the model keeps serving', async () => {
    const out = await page.evaluate(async () => {
      const w = window as any;
      const openai = w.makeOpenAI();
      const red = await w.toDataUrl(await w.picture([230, 20, 30], 8, 8));
      const corrupt = await w.toDataUrl(await w.corruptPng());
      const img = (url: string) => ({ type: 'image_url', image_url: { url } });
      const attempt = async (model: string, content: unknown[]) => {
        try {
          await openai.chat.completions.create({ model, messages: [{ role: 'user', content }] });
          return 'accepted';
        } catch (e) {
          return { ...w.describeError(e), isBadRequest: e instanceof w.OpenAI.BadRequestError };
        }
      };
      const wav = 'UklGRiQAAABXQVZFZm10IBAAAAABAAEAQB8AAIA+AAACABAAZGF0YQAAAAA=';
      const results = {
        file: await attempt('tiny-vlm', [{ type: 'text', text: 'x' }, img('file:///etc/passwd')]),
        javascript: await attempt('tiny-vlm', [img('javascript:alert(1)')]),
        chromeExtension: await attempt('tiny-vlm', [img('chrome-extension://abcdefghijklmnop/a.png')]),
        filesystem: await attempt('tiny-vlm', [img('filesystem:http://127.0.0.1/temporary/a.png')]),
        http: await attempt('tiny-vlm', [img(new URL('/e2e/pages/multimodal-red.png', location.href).href)]),
        attachment: await attempt('tiny-vlm', [img('webinfer-attachment:0')]),
        tooMany: await attempt('tiny-vlm', Array.from({ length: 9 }, () => img(red))),
        corrupt: await attempt('tiny-vlm', [img(corrupt)]),
        textOnly: await attempt('tiny-chat', [{ type: 'text', text: 'x' }, img(red)]),
        audio: await attempt('tiny-vlm', [{ type: 'input_audio', input_audio: { data: wav, format: 'wav' } }]),
      };
      // The raw envelope, as any HTTP client sees it.
      const raw = await fetch('/v1/chat/completions', {
        method: 'POST', headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'tiny-vlm', messages: [{ role: 'user', content: [img('file:///etc/passwd')] }] }),
      });
      const after = await openai.chat.completions.create({ model: 'tiny-vlm', messages: [{ role: 'user', content: [img(red)] }] });
      return { results, raw: { status: raw.status, type: raw.headers.get('content-type'), body: await raw.json() }, after: after.choices[0].message.content };
    });
    const bad = (param: string, code: string) => ({ status: 400, type: 'invalid_request_error', param, code, isBadRequest: true });
    expect(out.results).toMatchObject({
      file: bad('messages[0].content[1]', 'unsupported_url_scheme'),
      javascript: bad('messages[0].content[0]', 'unsupported_url_scheme'),
      chromeExtension: bad('messages[0].content[0]', 'unsupported_url_scheme'),
      filesystem: bad('messages[0].content[0]', 'unsupported_url_scheme'),
      http: bad('messages[0].content[0]', 'unsupported_url_scheme'),
      attachment: bad('messages[0].content[0]', 'unsupported_url_scheme'),
      tooMany: bad('messages[0].content[8]', 'too_many_images'),
      corrupt: bad('messages[0].content[0]', 'invalid_image'),
      textOnly: bad('messages[0].content[1]', 'unsupported_content'),
      audio: bad('messages[0].content[0]', 'unsupported_content'),
    });
    expect(out.raw).toMatchObject({ status: 400, type: expect.stringContaining('application/json') });
    expect(out.raw.body).toEqual({
      error: {
        message: expect.stringMatching(/^messages\[0\]\.content\[0\]: Image URLs with the scheme 'file:' are not accepted/),
        type: 'invalid_request_error',
        param: 'messages[0].content[0]',
        code: 'unsupported_url_scheme',
      },
    });
    expect(out.after).toBe(RED);
    expect(page.errors).toEqual([]);
  });
});
