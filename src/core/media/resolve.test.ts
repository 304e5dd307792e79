import { describe, expect, test, vi } from 'vitest';
import { b64, dataUrl, mp3Frame, png, wav } from '../../../tests/support/media-fixtures.js';
import type { ChatMessage } from '../../protocol/chat.js';
import { BadRequestError } from '../../protocol/errors.js';
import { CorruptImageError, fitWithin, type ImageDecoder } from './decode.js';
import { mediaLimits } from './limits.js';
import { resolveMedia, type MediaContext } from './resolve.js';
import { attachmentUrl } from './types.js';
import { mp3Tone } from '../../../tests/support/mp3-fixture.js';

/** A decoder for Node: "decodes" PNG headers into a solid picture; short files are corrupt. */
function fakeDecoder(): ImageDecoder & { calls: number } {
  const d = {
    calls: 0,
    async decode(bytes: Uint8Array, _mime: string, maxEdge: number) {
      d.calls++;
      if (bytes.length < 40) throw new CorruptImageError('The source image could not be decoded.');
      const view = new DataView(bytes.buffer, bytes.byteOffset);
      const { width, height } = fitWithin(view.getUint32(16), view.getUint32(20), maxEdge);
      return { data: new Uint8ClampedArray(width * height * 4).fill(bytes[40] ?? 0), width, height };
    },
    async fromBitmap(bitmap: ImageBitmap, maxEdge: number) {
      d.calls++;
      const { width, height } = fitWithin(bitmap.width, bitmap.height, maxEdge);
      return { data: new Uint8ClampedArray(width * height * 4), width, height };
    },
  };
  return d;
}

const image = (url: string, detail?: 'low' | 'high') => ({ type: 'image_url' as const, image_url: { url, ...(detail ? { detail } : {}) } });
const textPart = (text: string) => ({ type: 'text' as const, text });
const user = (...content: Array<ReturnType<typeof image> | ReturnType<typeof textPart> | { type: 'input_audio'; input_audio: { data: string; format: 'wav' | 'mp3' } }>): ChatMessage => ({ role: 'user', content });
const PNG = (w = 64, h = 48, fill = 7) => { const b = png(w, h, 32); b[40] = fill; return dataUrl('image/png', b); };

async function refusal(messages: ChatMessage[], ctx: Partial<MediaContext> = {}) {
  try {
    await resolveMedia(messages, { limits: mediaLimits(), decoder: fakeDecoder(), ...ctx });
  } catch (err) {
    if (!(err instanceof BadRequestError)) throw err;
    return { status: err.status, param: err.param, code: err.code, message: err.message };
  }
  throw new Error('expected a refusal');
}

describe('resolveMedia', () => {
  test('decodes every image in message order, keeping where each came from', async () => {
    const decoder = fakeDecoder();
    const media = await resolveMedia([
      user(textPart('first'), image(PNG(64, 48, 1), 'low')),
      { role: 'assistant', content: 'ok' },
      user(image(PNG(10, 20, 2)), image(PNG(30, 30, 3))),
    ], { limits: mediaLimits(), decoder });
    expect(media.images.map((i) => [i.message, i.part, i.width, i.height, i.data[0], i.detail, i.mime])).toEqual([
      [0, 1, 64, 48, 1, 'low', 'image/png'],
      [2, 0, 10, 20, 2, 'auto', 'image/png'],
      [2, 1, 30, 30, 3, 'auto', 'image/png'],
    ]);
    expect(media.audio).toEqual([]);
  });

  test('big pictures are downscaled to maxImageEdge (aspect kept)', async () => {
    const media = await resolveMedia([user(image(PNG(4000, 1000)))], { limits: mediaLimits({ maxImageEdge: 1000 }), decoder: fakeDecoder() });
    expect([media.images[0]!.width, media.images[0]!.height, media.images[0]!.sourceWidth]).toEqual([1000, 250, 4000]);
  });

  test("detail: 'low' caps the longer side at 512", async () => {
    const media = await resolveMedia([user(image(PNG(2000, 1000), 'low'), image(PNG(2000, 1000), 'high'))], { limits: mediaLimits(), decoder: fakeDecoder() });
    expect(media.images.map((i) => [i.width, i.height])).toEqual([[512, 256], [2000, 1000]]);
  });

  test('too many images: 400 naming the first part past the cap', async () => {
    const r = await refusal([user(image(PNG()), image(PNG())), user(image(PNG()))], { limits: mediaLimits({ maxImages: 2 }) });
    expect(r).toMatchObject({ status: 400, param: 'messages[1].content[0]', code: 'too_many_images' });
  });

  test('a refused scheme anywhere means nothing is fetched at all', async () => {
    const fetch = vi.fn(async () => new Response(png(1, 1)));
    const r = await refusal([user(image('https://example.com/a.png'), textPart('x'), image('file:///etc/passwd'))], { fetch });
    expect(r).toMatchObject({ param: 'messages[0].content[2]', code: 'unsupported_url_scheme' });
    expect(fetch).not.toHaveBeenCalled();
  });

  test('bytes over the cap, pixels over the cap (never decoded), corrupt bytes, non-images', async () => {
    const decoder = fakeDecoder();
    expect(await refusal([user(image(PNG()))], { limits: mediaLimits({ maxImageBytes: 10 }) })).toMatchObject({ code: 'media_too_large', param: 'messages[0].content[0]' });
    expect(await refusal([user(image(PNG(20000, 20000)))], { decoder })).toMatchObject({ code: 'image_too_many_pixels' });
    expect(decoder.calls).toBe(0);
    expect(await refusal([user(image(dataUrl('image/png', png(8, 8, 0))))])).toMatchObject({ code: 'invalid_image', message: expect.stringMatching(/could not be decoded/) });
    expect(await refusal([user(image(dataUrl('image/png', new TextEncoder().encode('<svg></svg>'))))])).toMatchObject({ code: 'invalid_image', message: expect.stringMatching(/SVG is not a supported/) });
    expect(await refusal([user(image('data:image/png;base64,%%%'))])).toMatchObject({ code: 'invalid_base64' });
    const truncated = png(8, 8).subarray(0, 14);
    expect(await refusal([user(image(dataUrl('image/png', truncated)))])).toMatchObject({ code: 'invalid_image', message: expect.stringMatching(/truncated or corrupt/) });
  });

  test('the first failing part in message order is reported, whichever fails first in time', async () => {
    const slow404: typeof fetch = () => new Promise((r) => setTimeout(() => r(new Response('', { status: 404 })), 30));
    const r = await refusal([user(image('https://a.example/x.png'), image(PNG(20000, 20000)))], { fetch: slow404 });
    expect(r).toMatchObject({ param: 'messages[0].content[0]', code: 'fetch_failed' });
  });

  test('fetched images are sniffed from their bytes, not their Content-Type', async () => {
    const bytes = png(16, 16, 32);
    bytes[40] = 9;
    const fetch = vi.fn(async () => new Response(bytes, { headers: { 'content-type': 'text/html' } }));
    const media = await resolveMedia([user(image('https://a.example/x'))], { limits: mediaLimits(), decoder: fakeDecoder(), fetch });
    expect(media.images[0]).toMatchObject({ mime: 'image/png', width: 16, data: expect.any(Uint8ClampedArray) });
  });

  test('attachments from the in-page client: blobs, bytes and bitmaps', async () => {
    const bitmap = { width: 300, height: 100, close() {} } as unknown as ImageBitmap;
    const attachments = [
      { kind: 'blob' as const, blob: new Blob([png(5, 6, 32)]) },
      { kind: 'bytes' as const, bytes: png(7, 8, 32).buffer as ArrayBuffer },
      { kind: 'bitmap' as const, bitmap },
    ];
    const media = await resolveMedia([user(image(attachmentUrl(0)), image(attachmentUrl(1)), image(attachmentUrl(2)))], {
      limits: mediaLimits({ maxImageEdge: 150 }), decoder: fakeDecoder(), attachments,
    });
    expect(media.images.map((i) => [i.width, i.height, i.mime])).toEqual([[5, 6, 'image/png'], [7, 8, 'image/png'], [150, 50, 'image/bitmap']]);
    expect(await refusal([user(image(attachmentUrl(3)))], { attachments })).toMatchObject({ code: 'invalid_attachment' });
    expect(await refusal([user(image(attachmentUrl(0)))], { attachments, limits: mediaLimits({ maxImageBytes: 10 }) })).toMatchObject({ code: 'media_too_large' });
  });

  test('audio: WAV and MP3 decoded to mono PCM, the declared format must match the bytes', async () => {
    const audio = (data: string, format: 'wav' | 'mp3') => ({ type: 'input_audio' as const, input_audio: { data, format } });
    const media = await resolveMedia([user(audio(b64(wav(0.25)), 'wav'), audio(b64(mp3Tone(300, 0.5, 22050)), 'mp3'))], { limits: mediaLimits() });
    expect(media.audio.map((a) => [a.format, a.seconds, a.samples?.length ?? null, a.part])).toEqual([['wav', 0.25, 2000, 0], ['mp3', expect.any(Number), expect.any(Number), 1]]);
    const mp3 = media.audio[1]!;
    expect(mp3.sampleRate).toBe(22050);
    expect(mp3.samples!.length).toBe(Math.round(mp3.seconds! * 22050));
    expect(mp3.seconds).toBeGreaterThanOrEqual(0.5);
    expect(await refusal([user(audio(b64(mp3Frame()), 'mp3'))])).toMatchObject({ code: 'invalid_audio', message: expect.stringMatching(/MP3 file is corrupt/) });
    expect(await refusal([user(audio(b64(mp3Tone(440, 3, 16000, 1, 32)), 'mp3'))], { limits: mediaLimits({ maxAudioSeconds: 2 }) })).toMatchObject({ code: 'audio_too_long' });
    expect(await refusal([user(audio(b64(mp3Tone(440, 1, 16000, 1, 32)), 'mp3'))], { limits: mediaLimits({ maxAudioBytes: 1000 }) })).toMatchObject({ code: 'media_too_large' });
    expect(await refusal([user(audio(b64(wav(0.1)), 'mp3'))])).toMatchObject({ code: 'invalid_audio', message: expect.stringMatching(/format says 'mp3' but the bytes are WAV/) });
    expect(await refusal([user(audio(b64(png(2, 2)), 'wav'))])).toMatchObject({ code: 'invalid_audio' });
    expect(await refusal([user(audio(b64(wav(3)), 'wav'))], { limits: mediaLimits({ maxAudioSeconds: 2 }) })).toMatchObject({ code: 'audio_too_long' });
    expect(await refusal([user(audio(b64(wav(1)), 'wav'))], { limits: mediaLimits({ maxAudioBytes: 1000 }) })).toMatchObject({ code: 'media_too_large' });
    expect(await refusal([user(audio(b64(wav(0.1)), 'wav'), audio(b64(wav(0.1)), 'wav'))], { limits: mediaLimits({ maxAudios: 1 }) })).toMatchObject({ code: 'too_many_audio_clips', param: 'messages[0].content[1]' });
  }, 30_000); // decodes MP3 through WASM: ~1 s alone, several on a loaded 2-core machine
});
