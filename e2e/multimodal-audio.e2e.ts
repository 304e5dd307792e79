import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { b64 } from '../tests/support/media-fixtures.js';
import { mp3Tone } from '../tests/support/mp3-fixture.js';
import { DEVICES, launch, openPage } from './support/browser.js';
import { openMultimodal } from './support/ready-page.js';

/**
 * input_audio parts to the tiny audio-language model (Ultravox-shaped), which says whether
 * the clip's loudest tone is low or high: WAV decoded and resampled in the engine host,
 * Whisper log-mel features by the model's processor, through the in-page client and /v1.
 * MP3 is decoded in the engine host by a WASM decoder (mpg123); the MP3 clips are encoded
 * here, in Node, with lamejs.
 */
const LOW = 'The sound is low.';
const HIGH = 'The sound is high.';
let browser: Browser;

beforeAll(async () => { browser = await launch(); });
afterAll(async () => { await browser?.close(); });

const audioPart = (data: string, format: 'wav' | 'mp3' = 'wav') => ({ type: 'input_audio', input_audio: { data, format } });
const MP3 = {
  low: b64(mp3Tone(300, 0.5, 22050, 1, 64)),
  high: b64(mp3Tone(4000, 0.5, 44100, 2, 128)),
  lowFor: (s: number) => b64(mp3Tone(250, s, 16000, 1, 32)),
};

describe.each(DEVICES)('audio through the in-page client on %s', (device) => {
  let page: Awaited<ReturnType<typeof openPage>>;
  beforeAll(async () => {
    let info;
    ({ page, info } = await openMultimodal(browser, device, 'tiny-alm'));
    expect(info).toMatchObject({ id: 'tiny-alm', device, modalities: ['text', 'audio'] });
    // Both tests below ask the same question about one clip, WAV or MP3.
    await page.evaluate(() => {
      const w = window as any;
      w.askSound = async (data: string, format: 'wav' | 'mp3') => {
        const r = await w.client.chat.completions.create({
          model: 'tiny-alm',
          messages: [{ role: 'user', content: [{ type: 'text', text: 'What is this sound?' }, { type: 'input_audio', input_audio: { data, format } }] }],
        });
        return r.choices[0].message.content;
      };
    });
  });
  afterAll(async () => { await page?.close(); });

  test('a low tone and a high tone give different, known answers (22.05 kHz stereo and 48 kHz mono WAV)', async () => {
    const out = await page.evaluate(async () => {
      const w = window as any;
      const ask = (data: string) => w.askSound(data, 'wav');
      return {
        low: await ask(w.wavBase64(300, 0.5, 22050, 2)),
        high: await ask(w.wavBase64(4000, 0.5, 48000, 1)),
        silence: await ask(w.wavBase64(0, 0.3, 16000, 1)),
        none: (await w.client.chat.completions.create({ model: 'tiny-alm', messages: [{ role: 'user', content: 'Hi' }] })).choices[0].message.content,
      };
    });
    expect(out).toEqual({ low: LOW, high: HIGH, silence: 'The sound is quiet.', none: 'I hear nothing.' });
    expect(page.errors).toEqual([]);
  });

  test('MP3: a low tone and a high tone (22.05 kHz mono, 44.1 kHz stereo) give the same answers as WAV', async () => {
    const out = await page.evaluate(async (mp3) => {
      const ask = (data: string) => (window as any).askSound(data, 'mp3');
      return { low: await ask(mp3.low), high: await ask(mp3.high) };
    }, { low: MP3.low, high: MP3.high });
    expect(out).toEqual({ low: LOW, high: HIGH });
    expect(page.errors).toEqual([]);
  });
});

describe('audio refusals, and through /v1', () => {
  let page: Awaited<ReturnType<typeof openPage>>;
  beforeAll(async () => {
    page = await openPage(browser, '/e2e/pages/multimodal-gateway.html');
    await page.waitForFunction(() => (window as any).ready);
    expect(await page.evaluate(() => (window as any).setupError ?? null)).toBeNull();
    await page.evaluate(() => (window as any).client.models.load('tiny-alm', { device: 'wasm' }));
  });
  afterAll(async () => { await page?.close(); });

  test('the openai SDK: low and high tones; refusals as the error envelope; still serving', async () => {
    const out = await page.evaluate(async (mp3) => {
      const w = window as any;
      const openai = w.makeOpenAI();
      const ask = async (model: string, content: unknown[]) => {
        try {
          return (await openai.chat.completions.create({ model, messages: [{ role: 'user', content }] })).choices[0].message.content;
        } catch (e) {
          return w.describeError(e);
        }
      };
      const part = (data: string, format = 'wav') => ({ type: 'input_audio', input_audio: { data, format } });
      const red = await w.toDataUrl(await w.picture([230, 20, 30], 8, 8));
      return {
        low: await ask('tiny-alm', [part(w.wavBase64(250, 0.4, 44100))]),
        high: await ask('tiny-alm', [{ type: 'text', text: 'Listen:' }, part(w.wavBase64(5000, 0.4, 44100))]),
        mp3Low: await ask('tiny-alm', [part(mp3.low, 'mp3')]),
        mp3High: await ask('tiny-alm', [{ type: 'text', text: 'Listen:' }, part(mp3.high, 'mp3')]),
        corruptMp3: await ask('tiny-alm', [part(w.mp3Base64(), 'mp3')]),
        longMp3: await ask('tiny-alm', [part(mp3.long, 'mp3')]),
        mismatch: await ask('tiny-alm', [part(w.wavBase64(300), 'mp3')]),
        notAudio: await ask('tiny-alm', [part(btoa('hello, not audio'))]),
        badBase64: await ask('tiny-alm', [part('@@@not base64@@@')]),
        twoClips: await ask('tiny-alm', [part(w.wavBase64(300)), part(w.wavBase64(300))]),
        image: await ask('tiny-alm', [{ type: 'image_url', image_url: { url: red } }]),
        toVision: await ask('tiny-vlm', [part(w.wavBase64(300))]),
        after: await ask('tiny-alm', [part(w.wavBase64(300))]),
      };
    }, { low: MP3.low, high: MP3.high, long: MP3.lowFor(121) });
    const bad = (param: string, code: string) => ({ status: 400, type: 'invalid_request_error', param, code });
    expect(out).toMatchObject({
      low: LOW,
      high: HIGH,
      mp3Low: LOW,
      mp3High: HIGH,
      corruptMp3: bad('messages[0].content[0]', 'invalid_audio'),
      longMp3: bad('messages[0].content[0]', 'audio_too_long'),
      mismatch: bad('messages[0].content[0]', 'invalid_audio'),
      notAudio: bad('messages[0].content[0]', 'invalid_audio'),
      badBase64: bad('messages[0].content[0]', 'invalid_base64'),
      twoClips: bad('messages[0].content[1]', 'too_many_audio_clips'),
      image: bad('messages[0].content[0]', 'unsupported_content'),
      toVision: bad('messages[0].content[0]', 'unsupported_content'),
      after: LOW,
    });
    expect(out.corruptMp3.message).toMatch(/MP3 file is corrupt/);
    expect(page.errors).toEqual([]);
  });
});
