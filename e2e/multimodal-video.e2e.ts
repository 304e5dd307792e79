import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { DEVICES, launch, openPage } from './support/browser.js';

/**
 * Video input (`video_url` parts) with the tiny random Qwen2-VL
 * (scripts/fixtures/gen_video_model.py): the VP8 WebM clips are demuxed, decoded with
 * WebCodecs and sampled (2 fps, an even count) in the engine host, turned into Qwen2-VL's
 * video patches, and the greedy answer must equal Hugging Face transformers' on the same
 * frames (reference.json), token by token. Through the in-page client and through /v1 with
 * the unmodified openai SDK, on a dedicated engine host (`?shared=0`). A SharedWorker has no
 * VideoDecoder: there (the default host) WebM is decoded in the tab's engine worker
 * (host/placement/video.ts), and the same clips as Motion JPEG AVI decode in the host with
 * createImageBitmap (checked last).
 */
const MODEL = 'tiny-random-qwen2-vl';
const ref = JSON.parse(readFileSync(join(process.cwd(), 'fixtures', 'models', MODEL, 'reference.json'), 'utf8')) as {
  prompt: string;
  videos: Record<string, { file: string; tokens: number[]; token_bytes: number[][]; prompt_tokens: number[]; sampled_indices: number[] }>;
  mixed: { image_rgb: number[]; image_size: number[]; token_bytes: number[][]; prompt_tokens: number[] };
};
const dataUrl = (name: string) => {
  const file = ref.videos[name]!.file;
  return `data:video/${file.endsWith('.avi') ? 'x-msvideo' : 'webm'};base64,${readFileSync(join(process.cwd(), 'fixtures', 'videos', file)).toString('base64')}`;
};
const RED = dataUrl('red-dominant');
const BLUE = dataUrl('blue-dominant');
const RED_MJPEG = dataUrl('red-dominant-mjpeg');
const BLUE_MJPEG = dataUrl('blue-dominant-mjpeg');
const STEPS = ref.videos['red-dominant']!.tokens.length;

let browser: Browser;

beforeAll(async () => { browser = await launch(); });
afterAll(async () => { await browser?.close(); });

/** A multimodal test page (`?shared=0`: a dedicated engine host) with the model registered and loaded on `device`. */
async function openWithModel(path: string, device: string) {
  const page = await openPage(browser, path);
  await page.waitForFunction(() => (window as any).ready);
  expect(await page.evaluate(() => (window as any).setupError ?? null)).toBeNull();
  const info = await page.evaluate(async ([id, d]) => {
    const c = (window as any).client;
    await c.models.register({ id, baseUrl: `/models/${id}/`, options: { prefixCache: false } });
    return c.models.load(id, { device: d });
  }, [MODEL, device] as const);
  expect(info).toMatchObject({ id: MODEL, device, modalities: ['text', 'image', 'video'] });
  return page;
}

/**
 * Each token's text as a TextDecoder reads its bytes: a token that is part of a UTF-8
 * character reads as U+FFFD on both sides (webinfer's logprobs give such a token the bytes of
 * U+FFFD rather than its raw byte).
 */
const tokenTexts = (bytes: number[][]) => bytes.map((b) => new TextDecoder().decode(Uint8Array.from(b)));

/** Greedy, EOS ignored, the reference's length, with each token's bytes. */
const request = (url: string) => ({
  model: MODEL,
  messages: [{ role: 'user', content: [{ type: 'video_url', video_url: { url } }, { type: 'text', text: ref.prompt }] }],
  max_tokens: STEPS, temperature: 0, ignore_eos: true, logprobs: true,
});

type Answer = { bytes: number[][]; promptTokens: number; text: string };

describe.each(DEVICES)('video input through the in-page client on %s', (device) => {
  let page: Awaited<ReturnType<typeof openPage>>;
  beforeAll(async () => { page = await openWithModel('/e2e/pages/multimodal.html?shared=0', device); }, 240_000);
  afterAll(async () => { await page?.close(); });

  test('data: URL and Blob: red- and blue-dominant clips give different answers, each equal to transformers', async () => {
    const out = await page.evaluate(async ([red, blue, body]) => {
      const w = window as any;
      const ask = async (url: string | Blob): Promise<Answer> => {
        const r = await w.client.chat.completions.create({ ...body, messages: [{ ...body.messages[0], content: [{ type: 'video_url', video_url: { url } }, body.messages[0]!.content[1]] }] });
        return { bytes: r.choices[0].logprobs.content.map((t: any) => t.bytes), promptTokens: r.usage.prompt_tokens, text: r.choices[0].message.content };
      };
      // Red as a data: URL, blue as a Blob (an attachment crossing to the engine host by reference).
      return { red: await ask(red), blue: await ask(await (await fetch(blue)).blob()) };
    }, [RED, BLUE, request('') as any] as const);
    for (const [name, got] of Object.entries(out) as Array<[string, Answer]>) {
      const want = ref.videos[name === 'red' ? 'red-dominant' : 'blue-dominant']!;
      expect(got.promptTokens, name).toBe(want.prompt_tokens.length);
      expect(tokenTexts(got.bytes), name).toEqual(tokenTexts(want.token_bytes));
    }
    expect(out.red.text).not.toBe(out.blue.text);
  }, 120_000);

  test('an image and a video in one message: both in prompt order, equal to transformers', async () => {
    const out = await page.evaluate(async ([video, rgb, size, body]) => {
      const w = window as any;
      const image = await w.toDataUrl(await w.picture(rgb, size[0], size[1]));
      const r = await w.client.chat.completions.create({ ...body, messages: [{ role: 'user', content: [
        { type: 'image_url', image_url: { url: image } }, { type: 'video_url', video_url: { url: video } }, body.messages[0].content[1],
      ] }] });
      return { bytes: r.choices[0].logprobs.content.map((t: any) => t.bytes), promptTokens: r.usage.prompt_tokens };
    }, [BLUE, ref.mixed.image_rgb, ref.mixed.image_size, request('') as any] as const);
    expect(out.promptTokens).toBe(ref.mixed.prompt_tokens.length);
    expect(tokenTexts(out.bytes)).toEqual(tokenTexts(ref.mixed.token_bytes));
  }, 120_000);
});

describe('video input through /v1 with the openai SDK (wasm, the default SharedWorker host: WebM decoded in the tab\'s engine worker)', () => {
  let page: Awaited<ReturnType<typeof openPage>>;
  beforeAll(async () => {
    page = await openWithModel('/e2e/pages/multimodal-gateway.html', 'wasm');
    expect(await page.evaluate(() => (window as any).gateway.controlled)).toBe(true);
  }, 240_000);
  afterAll(async () => { await page?.close(); });

  test('the same answers; bad videos are 400s naming the part; the host serves on', async () => {
    const out = await page.evaluate(async ([red, blue, body]) => {
      const w = window as any;
      const openai = w.makeOpenAI();
      const withUrl = (url: string) => ({ ...body, messages: [{ ...body.messages[0], content: [{ type: 'video_url', video_url: { url } }, body.messages[0].content[1]] }] });
      const answer = async (url: string) => (await openai.chat.completions.create(withUrl(url))).choices[0].logprobs.content.map((t: any) => t.bytes);
      const attempt = async (model: string, content: unknown[]) => {
        try {
          await openai.chat.completions.create({ model, messages: [{ role: 'user', content }], max_tokens: 2 });
          return 'accepted';
        } catch (e) {
          return w.describeError(e);
        }
      };
      const video = (url: string) => ({ type: 'video_url', video_url: { url } });
      const b64 = (bytes: Uint8Array) => `data:video/webm;base64,${btoa(String.fromCharCode(...bytes))}`;
      const redBytes = Uint8Array.from(atob(red.slice(red.indexOf(',') + 1)), (c) => c.charCodeAt(0));
      const mp4 = b64(Uint8Array.from([0, 0, 0, 24, ...[...'ftypisom'].map((c) => c.charCodeAt(0)), 0, 0, 2, 0, ...[...'isomiso2'].map((c) => c.charCodeAt(0))]));
      const png = await w.toDataUrl(await w.picture([230, 20, 30], 8, 8));
      // A WebM whose frames are garbage: demuxes, does not decode.
      const garbled = redBytes.slice();
      for (let i = 200; i < garbled.length; i += 3) garbled[i] = garbled[i]! ^ 0x5a;
      const results = {
        red: await answer(red),
        blue: await answer(blue),
        file: await attempt(body.model, [{ type: 'text', text: 'x' }, video('file:///etc/passwd')]),
        notAVideo: await attempt(body.model, [video(png)]),
        mp4: await attempt(body.model, [video(mp4)]),
        truncated: await attempt(body.model, [video(b64(redBytes.slice(0, 40)))]),
        garbled: await attempt(body.model, [video(b64(garbled))]),
        tooMany: await attempt(body.model, [video(red), video(red), video(red)]),
        imageModel: await attempt('tiny-vlm', [{ type: 'text', text: 'x' }, video(red)]),
        textModel: await attempt('tiny-chat', [video(red)]),
        badShape: await attempt(body.model, [{ type: 'video_url', video_url: { href: red } }]),
      };
      const after = (await openai.chat.completions.create({ model: 'tiny-chat', messages: [{ role: 'user', content: 'Hello' }], max_tokens: 4 })).choices[0].message.content;
      return { results, after };
    }, [RED, BLUE, request('') as any] as const);
    expect(tokenTexts(out.results.red)).toEqual(tokenTexts(ref.videos['red-dominant']!.token_bytes));
    expect(tokenTexts(out.results.blue)).toEqual(tokenTexts(ref.videos['blue-dominant']!.token_bytes));
    const bad = (param: string, code: string | null) => ({ status: 400, type: 'invalid_request_error', param, code });
    expect(out.results).toMatchObject({
      file: bad('messages[0].content[1]', 'unsupported_url_scheme'),
      notAVideo: { ...bad('messages[0].content[0]', 'invalid_video'), message: expect.stringContaining('image/png is not a supported video format') },
      mp4: { ...bad('messages[0].content[0]', 'invalid_video'), message: expect.stringContaining('MP4') },
      truncated: bad('messages[0].content[0]', 'invalid_video'),
      garbled: bad('messages[0].content[0]', 'invalid_video'),
      tooMany: bad('messages[0].content[2]', 'too_many_videos'),
      imageModel: bad('messages[0].content[1]', 'unsupported_content'),
      textModel: bad('messages[0].content[0]', 'unsupported_content'),
      badShape: { status: 400, param: expect.stringMatching(/^messages\[0\]\.content\[0\]/) },
    });
    expect(typeof out.after).toBe('string');
    expect(page.errors).toEqual([]);
  }, 180_000);
});

describe('the SharedWorker host (no VideoDecoder there)', () => {
  test('WebM decodes in the tab\'s engine worker and Motion JPEG AVI in the host (createImageBitmap): both equal transformers; the host serves on', async () => {
    const page = await openWithModel('/e2e/pages/multimodal.html', 'wasm');
    const out = await page.evaluate(async ([webm, red, blue, body]) => {
      const w = window as any;
      const ask = async (url: string) => {
        const r = await w.client.chat.completions.create({ ...body, messages: [{ ...body.messages[0], content: [{ type: 'video_url', video_url: { url } }, body.messages[0].content[1]] }] });
        return r.choices[0].logprobs.content.map((t: any) => t.bytes);
      };
      let garbled = null;
      try {
        await ask(`data:video/webm;base64,${btoa('\x1a\x45\xdf\xa3garbage')}`);
      } catch (e) {
        garbled = w.describeError(e);
      }
      const stats = await w.client.runtime?.stats?.().catch(() => null);
      return { webm: await ask(webm), red: await ask(red), blue: await ask(blue), garbled, stats };
    }, [RED, RED_MJPEG, BLUE_MJPEG, request('') as any] as const);
    expect(tokenTexts(out.webm)).toEqual(tokenTexts(ref.videos['red-dominant']!.token_bytes));
    expect(tokenTexts(out.red)).toEqual(tokenTexts(ref.videos['red-dominant-mjpeg']!.token_bytes));
    expect(tokenTexts(out.blue)).toEqual(tokenTexts(ref.videos['blue-dominant-mjpeg']!.token_bytes));
    // A decoding failure in the engine worker is still the typed 400 naming the part.
    expect(out.garbled).toMatchObject({ status: 400, param: 'messages[0].content[0]', code: 'invalid_video' });
    expect(page.errors).toEqual([]);
    await page.close();
  }, 240_000);
});
