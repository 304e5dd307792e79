import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { DEVICES, launch, openPage } from './support/browser.js';
import { openMultimodal } from './support/ready-page.js';

/**
 * Images through the in-page client to the tiny vision-language model, which names the
 * dominant colour of the pictures in the conversation: the answer proves the pixels got
 * there (fetched, sniffed, decoded and resized in the engine host worker).
 */
const A = {
  none: 'I see no image.',
  red: 'The picture is red.',
  green: 'The picture is green.',
  blue: 'The picture is blue.',
  grey: 'The picture is grey.',
};
let browser: Browser;

beforeAll(async () => { browser = await launch(); });
afterAll(async () => { await browser?.close(); });

describe.each(DEVICES)('images through the in-page client on %s', (device) => {
  let page: Awaited<ReturnType<typeof openPage>>;
  beforeAll(async () => {
    let info;
    ({ page, info } = await openMultimodal(browser, device, 'tiny-vlm'));
    expect(info).toMatchObject({ id: 'tiny-vlm', device, modalities: ['text', 'image'] });
  });
  afterAll(async () => { await page?.close(); });

  test('data: URLs: a red picture and a blue picture give different, known answers', async () => {
    const out = await page.evaluate(async () => {
      const w = window as any;
      const ask = async (blob: Blob) => {
        const r = await w.client.chat.completions.create({
          model: 'tiny-vlm',
          messages: [{ role: 'user', content: [{ type: 'text', text: 'What colour is this picture?' }, { type: 'image_url', image_url: { url: await w.toDataUrl(blob), detail: 'low' } }] }],
        });
        return { text: r.choices[0].message.content, finish: r.choices[0].finish_reason, usage: r.usage };
      };
      return {
        red: await ask(await w.picture([230, 20, 30])),
        blue: await ask(await w.picture([10, 40, 220], 640, 480, 'image/jpeg')),
        green: await ask(await w.picture([20, 200, 40], 48, 64, 'image/webp')),
        white: await ask(await w.picture([255, 255, 255])),
      };
    });
    expect(out.red).toMatchObject({ text: A.red, finish: 'stop' });
    expect(out.blue.text).toBe(A.blue);
    expect(out.green.text).toBe(A.green);
    expect(out.white.text).toBe(A.grey);
    expect(out.red.usage.completion_tokens).toBe(6);
  });

  test('blob: URLs and Blob, File, ArrayBuffer, typed array and ImageBitmap parts', async () => {
    const out = await page.evaluate(async () => {
      const w = window as any;
      const ask = async (url: unknown) => {
        const r = await w.client.chat.completions.create({
          model: 'tiny-vlm',
          messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url } }, { type: 'text', text: 'Colour?' }] }],
        });
        return r.choices[0].message.content;
      };
      const red = await w.picture([230, 20, 30]);
      const blue = await w.picture([10, 40, 220]);
      const blobUrl = URL.createObjectURL(blue);
      const buffer = await red.arrayBuffer();
      const bitmap = await createImageBitmap(blue);
      const out = {
        blobUrl: await ask(blobUrl),
        blob: await ask(red),
        file: await ask(new File([blue], 'blue.png', { type: 'image/png' })),
        arrayBuffer: await ask(buffer),
        arrayBufferDetached: buffer.byteLength === 0,
        typedArray: await ask(new Uint8Array(await blue.arrayBuffer())),
        imageBitmap: await ask(bitmap),
        bitmapTransferred: bitmap.width === 0,
        blobStillUsable: (await red.arrayBuffer()).byteLength > 0,
      };
      URL.revokeObjectURL(blobUrl);
      return out;
    });
    expect(out).toEqual({
      blobUrl: A.blue,
      blob: A.red,
      file: A.blue,
      arrayBuffer: A.red,
      arrayBufferDetached: true,
      typedArray: A.blue,
      imageBitmap: A.blue,
      bitmapTransferred: true,
      blobStillUsable: true,
    });
  });

  test('streaming, several images, the dominant colour, and no image at all', async () => {
    const out = await page.evaluate(async () => {
      const w = window as any;
      const red = await w.toDataUrl(await w.picture([230, 20, 30]));
      const blue = await w.toDataUrl(await w.picture([10, 40, 220]));
      const img = (url: string) => ({ type: 'image_url', image_url: { url } });
      const stream = await w.client.chat.completions.create({
        model: 'tiny-vlm', stream: true, stream_options: { include_usage: true },
        messages: [{ role: 'user', content: [img(blue), img(red), img(red), { type: 'text', text: 'Which colour wins?' }] }],
      });
      let streamed = '';
      let usage = null;
      for await (const chunk of stream) {
        streamed += chunk.choices[0]?.delta?.content ?? '';
        usage = chunk.usage ?? usage;
      }
      // Mostly red with a blue stripe, on white.
      const mostlyRed = await w.picture((x: number, y: number) => (x < 10 ? [10, 40, 220] : y < 36 ? [230, 20, 30] : [255, 255, 255]), 64, 48);
      const dominant = await w.client.chat.completions.create({ model: 'tiny-vlm', messages: [{ role: 'user', content: [img(await w.toDataUrl(mostlyRed))] }] });
      const none = await w.client.chat.completions.create({ model: 'tiny-vlm', messages: [{ role: 'user', content: 'Hi' }] });
      return { streamed, usage, dominant: dominant.choices[0].message.content, none: none.choices[0].message.content };
    });
    expect(out.streamed).toBe(A.red);
    expect(out.usage).toMatchObject({ completion_tokens: 6 });
    expect(out.dominant).toBe(A.red);
    expect(out.none).toBe(A.none);
  });

  test('a multi-turn conversation: the image of an earlier turn still reaches the model', async () => {
    const out = await page.evaluate(async () => {
      const w = window as any;
      const blue = await w.toDataUrl(await w.picture([10, 40, 220]));
      const red = await w.picture([230, 20, 30]);
      const messages: any[] = [
        { role: 'system', content: 'You name colours.' },
        { role: 'user', content: [{ type: 'image_url', image_url: { url: blue } }, { type: 'text', text: 'What colour?' }] },
      ];
      const first = (await w.client.chat.completions.create({ model: 'tiny-vlm', messages })).choices[0].message.content;
      messages.push({ role: 'assistant', content: first }, { role: 'user', content: 'And again, please?' });
      const second = (await w.client.chat.completions.create({ model: 'tiny-vlm', messages })).choices[0].message.content;
      // Two red pictures later on outweigh the blue one of the first turn.
      messages.push({ role: 'assistant', content: second }, { role: 'user', content: [{ type: 'image_url', image_url: { url: red } }, { type: 'image_url', image_url: { url: red } }] });
      const third = await w.client.chat.completions.create({ model: 'tiny-vlm', messages });
      return { first, second, third: third.choices[0].message.content, promptTokens: third.usage.prompt_tokens };
    });
    expect(out).toMatchObject({ first: A.blue, second: A.blue, third: A.red });
    expect(page.errors).toEqual([]);
  });
});

describe('refusals: a 400 naming the part, and the engine keeps serving', () => {
  let page: Awaited<ReturnType<typeof openPage>>;
  beforeAll(async () => {
    // A dedicated host with small caps, so the limits are cheap to hit.
    const media = encodeURIComponent(JSON.stringify({ maxImages: 3, maxImageBytes: 4096, maxImagePixels: 100_000, fetchTimeoutMs: 1500 }));
    page = await openPage(browser, `/e2e/pages/multimodal.html?shared=0&media=${media}`);
    await page.waitForFunction(() => (window as any).ready);
    await page.evaluate(async () => {
      const c = (window as any).client;
      await c.models.load('tiny-vlm', { device: 'wasm' });
      await c.models.load('tiny-chat', { device: 'wasm' });
    });
  });
  afterAll(async () => { await page?.close(); });

  /** Sends one image part (after a text part) to `model`; returns the typed error as data, or the answer. */
  const send = (url: unknown, model = 'tiny-vlm') =>
    page.evaluate(async ({ url, model }) => {
      const w = window as any;
      const u = url === '$corrupt' ? await w.corruptPng()
        : url === '$big' ? await w.toDataUrl(await w.picture(w.noise(), 100, 100))
        : url === '$pixels' ? await w.toDataUrl(await w.picture([255, 0, 0], 400, 300))
        : url === '$red' ? await w.toDataUrl(await w.picture([230, 20, 30]))
        : url;
      try {
        const r = await w.client.chat.completions.create({
          model, messages: [{ role: 'user', content: [{ type: 'text', text: 'Colour?' }, { type: 'image_url', image_url: { url: u } }] }],
        });
        return { answer: r.choices[0].message.content };
      } catch (e) {
        return { ...w.describeError(e), isBadRequest: e instanceof w.webinferErrors.BadRequestError };
      }
    }, { url, model });

  const stillServing = async () => expect(await send('$red')).toEqual({ answer: 'The picture is red.' });

  test.each([
    ['file:///etc/passwd', 'unsupported_url_scheme'],
    ['javascript:alert(1)', 'unsupported_url_scheme'],
    ['chrome-extension://abcdefghijklmnop/icon.png', 'unsupported_url_scheme'],
    ['filesystem:http://127.0.0.1/temporary/x.png', 'unsupported_url_scheme'],
    ['http://example.com/cat.png', 'unsupported_url_scheme'],
    ['HTTP://127.0.0.1/e2e/pages/multimodal-red.png', 'unsupported_url_scheme'],
    ['webinfer-attachment:0', 'unsupported_url_scheme'],
    ['not a url', 'invalid_url'],
    ['data:image/png;base64,@@@@', 'invalid_base64'],
    ['$big', 'media_too_large'],
    ['$pixels', 'image_too_many_pixels'],
    ['$corrupt', 'invalid_image'],
    ['data:image/svg+xml;base64,' + Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>').toString('base64'), 'invalid_image'],
    ['https://127.0.0.1:1/unreachable.png', 'fetch_failed'],
  ])('%s -> 400 %s', async (url, code) => {
    const err = await send(url);
    expect(err).toMatchObject({ status: 400, type: 'invalid_request_error', param: 'messages[0].content[1]', code, isBadRequest: true });
    await stillServing();
  });

  test('too many images', async () => {
    const err = await page.evaluate(async () => {
      const w = window as any;
      const red = await w.toDataUrl(await w.picture([230, 20, 30], 8, 8));
      const img = { type: 'image_url', image_url: { url: red } };
      try {
        await w.client.chat.completions.create({ model: 'tiny-vlm', messages: [{ role: 'user', content: [img, img] }, { role: 'assistant', content: 'ok' }, { role: 'user', content: [img, img] }] });
      } catch (e) {
        return w.describeError(e);
      }
    });
    expect(err).toMatchObject({ status: 400, param: 'messages[2].content[1]', code: 'too_many_images' });
    await stillServing();
  });

  test('an image to a text-only model, audio to a model without audio', async () => {
    expect(await send('$red', 'tiny-chat')).toMatchObject({ status: 400, param: 'messages[0].content[1]', code: 'unsupported_content', message: "Model 'tiny-chat' does not accept image input." });
    const audio = await page.evaluate(async () => {
      const w = window as any;
      const wav = 'UklGRiQAAABXQVZFZm10IBAAAAABAAEAQB8AAIA+AAACABAAZGF0YQAAAAA=';
      const out: any[] = [];
      for (const model of ['tiny-vlm', 'tiny-chat']) {
        try {
          await w.client.chat.completions.create({ model, messages: [{ role: 'user', content: [{ type: 'input_audio', input_audio: { data: wav, format: 'wav' } }] }] });
        } catch (e) {
          out.push(w.describeError(e));
        }
      }
      return out;
    });
    expect(audio).toMatchObject([
      { status: 400, param: 'messages[0].content[0]', code: 'unsupported_content', message: "Model 'tiny-vlm' does not accept audio input." },
      { status: 400, param: 'messages[0].content[0]', code: 'unsupported_content', message: "Model 'tiny-chat' does not accept audio input." },
    ]);
    await stillServing();
    expect(page.errors).toEqual([]);
  });

  test('http: to localhost only by opt-in (allowHttpLocalhost)', async () => {
    const url = '/e2e/pages/multimodal-red.png';
    const refused = await send(new URL(url, await page.evaluate(() => location.href)).href);
    expect(refused).toMatchObject({ status: 400, code: 'unsupported_url_scheme', message: expect.stringMatching(/not accepted/) });
    const optIn = await openPage(browser, `/e2e/pages/multimodal.html?shared=0&media=${encodeURIComponent(JSON.stringify({ allowHttpLocalhost: true }))}`);
    await optIn.waitForFunction(() => (window as any).ready);
    const out = await optIn.evaluate(async (url) => {
      const c = (window as any).client;
      const ask = async (u: string) => {
        try {
          return (await c.chat.completions.create({ model: 'tiny-vlm', messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: u } }] }] })).choices[0].message.content;
        } catch (e) {
          return (window as any).describeError(e);
        }
      };
      return { local: await ask(new URL(url, location.href).href), remote: await ask('http://example.com/cat.png'), missing: await ask(new URL('/nope.png', location.href).href) };
    }, url);
    expect(out.local).toBe('The picture is red.');
    expect(out.remote).toMatchObject({ status: 400, code: 'unsupported_url_scheme', message: expect.stringMatching(/localhost only/) });
    expect(out.missing).toMatchObject({ status: 400, code: expect.stringMatching(/fetch_failed|invalid_image/) });
    await optIn.close();
  });

  test('a vision model registered without `modalities` reports them once loaded', async () => {
    const out = await page.evaluate(async () => {
      const c = (window as any).client;
      await c.models.register({ id: 'vlm-undeclared', baseUrl: '/models/tiny-vlm/' });
      const before = (await c.models.retrieve('vlm-undeclared')).modalities;
      const info = await c.models.load('vlm-undeclared', { device: 'wasm' });
      const after = (await c.models.retrieve('vlm-undeclared')).modalities;
      await c.models.unload('vlm-undeclared');
      return { before, loaded: info.modalities, after };
    });
    expect(out).toEqual({ before: ['text'], loaded: ['text', 'image'], after: ['text', 'image'] });
  });

  test('media settings that make no sense are refused by the host', async () => {
    const bad = await openPage(browser, `/e2e/pages/multimodal.html?shared=0&media=${encodeURIComponent(JSON.stringify({ allowedSchemes: ['https:', 'file:'] }))}`);
    await bad.waitForFunction(() => (window as any).ready);
    const err = await bad.evaluate(async () => {
      try {
        await (window as any).client.models.list();
      } catch (e) {
        return (window as any).describeError(e);
      }
    });
    expect(err).toMatchObject({ status: 400, param: 'media', message: expect.stringMatching(/'file:' cannot be allowed/) });
    await bad.close();
  });
});
