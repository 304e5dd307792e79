import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { b64, dataUrl, png } from '../../../../tests/support/media-fixtures.js';
import type { ChatMessage } from '../../../protocol/chat.js';
import { BadRequestError } from '../../../protocol/errors.js';
import { mediaLimits } from '../limits.js';
import { resolveMedia, type MediaContext } from '../resolve.js';
import { attachmentUrl } from '../types.js';
import { demuxWebm } from './webm.js';
import type { VideoDecodeOptions, VideoFrameDecoder } from './frames.js';
import { sampleFrameIndices } from './sample.js';

/**
 * video_url parts through resolveMedia: counts, URL policy and byte caps as for images, the
 * container sniffed from the bytes, decoding through the injectable decoder (here one that
 * demuxes for real and paints each sampled frame with its index: Node has no WebCodecs), and
 * a decoder's errors (by name, as they arrive from another worker) as 400s naming the part.
 */
const RED = new Uint8Array(readFileSync(join(process.cwd(), 'fixtures', 'videos', 'red-dominant.webm')));
const RED_URL = dataUrl('video/webm', RED);

function demuxingDecoder(): VideoFrameDecoder & { calls: VideoDecodeOptions[] } {
  const calls: VideoDecodeOptions[] = [];
  const decode = async (bytes: Uint8Array, options: VideoDecodeOptions) => {
    calls.push(options);
    const v = demuxWebm(bytes);
    const indices = sampleFrameIndices(v.frames.length, v.frames.length / v.seconds, options);
    return {
      frames: indices.map((i) => ({ data: new Uint8ClampedArray(4).fill(i), width: 1, height: 1 })),
      indices, timestamps: indices.map((i) => v.frames[i]!.timestamp / 1e6), totalFrames: v.frames.length,
      fps: v.frames.length / v.seconds, seconds: v.seconds, codec: 'vp8', width: 1, height: 1,
    };
  };
  return Object.assign(decode, { calls });
}

const video = (url: string) => ({ type: 'video_url' as const, video_url: { url } });
const user = (...content: ChatMessage extends infer M ? M extends { role: 'user'; content: infer C } ? Exclude<C, string> : never : never): ChatMessage => ({ role: 'user', content });

async function refusal(messages: ChatMessage[], ctx: Partial<MediaContext> = {}) {
  try {
    await resolveMedia(messages, { limits: mediaLimits(), videoDecoder: demuxingDecoder(), ...ctx });
  } catch (err) {
    if (!(err instanceof BadRequestError)) throw err;
    return { status: err.status, param: err.param, code: err.code, message: err.message };
  }
  throw new Error('expected a refusal');
}

describe('video_url parts', () => {
  test('decoded with the limits as sampling options, in message order, keeping where each came from', async () => {
    const decoder = demuxingDecoder();
    const media = await resolveMedia([
      user({ type: 'text', text: 'what happens?' }, video(RED_URL)),
      { role: 'assistant', content: 'ok' },
      user(video(RED_URL)),
    ], { limits: mediaLimits({ videoFps: 2, maxVideoFrames: 8, maxVideoFrameEdge: 320 }), videoDecoder: decoder });
    expect(media.images).toEqual([]);
    expect(media.videos!.map((v) => [v.message, v.part, v.mime, v.indices, v.totalFrames, v.fps, v.seconds])).toEqual([
      [0, 1, 'video/webm', [0, 5, 10, 15], 16, 8, 2],
      [2, 0, 'video/webm', [0, 5, 10, 15], 16, 8, 2],
    ]);
    expect(decoder.calls[0]).toEqual({ fps: 2, maxFrames: 8, maxEdge: 320, maxSeconds: 120 });
  });

  test('the video limits: defaults, and settings that make no sense are refused', () => {
    expect(mediaLimits()).toMatchObject({ maxVideos: 2, maxVideoBytes: 10 * 1024 * 1024, maxVideoSeconds: 120, maxVideoFrames: 32, videoFps: 2, maxVideoFrameEdge: 768 });
    expect(() => mediaLimits({ maxVideoFrames: 1 })).toThrow(/maxVideoFrames/);
    expect(() => mediaLimits({ videoFps: 0 })).toThrow(/videoFps/);
    expect(() => mediaLimits({ maxVideoSeconds: -1 })).toThrow(/maxVideoSeconds/);
  });

  test('a Blob or bytes from the in-page client (attachments)', async () => {
    const media = await resolveMedia([user(video(attachmentUrl(0)), video(attachmentUrl(1)))], {
      limits: mediaLimits(), videoDecoder: demuxingDecoder(),
      attachments: [{ kind: 'blob', blob: new Blob([RED]) }, { kind: 'bytes', bytes: RED.slice().buffer }],
    });
    expect(media.videos).toHaveLength(2);
  });

  test('the same URL policy and caps as images; the first bad part in message order is reported', async () => {
    expect(await refusal([user(video('file:///etc/passwd'))])).toMatchObject({
      status: 400, param: 'messages[0].content[0]', code: 'unsupported_url_scheme', message: expect.stringContaining('Video URLs'),
    });
    expect(await refusal([user(video('http://example.com/a.webm'))])).toMatchObject({ code: 'unsupported_url_scheme', message: expect.stringContaining('Plain http: video URLs') });
    expect(await refusal([user(video('not a url'))])).toMatchObject({ code: 'invalid_url' });
    expect(await refusal([user(video(RED_URL), { type: 'image_url', image_url: { url: 'javascript:1' } }, video('ftp://x'))])).toMatchObject({ param: 'messages[0].content[1]' });
    expect(await refusal([user(video(RED_URL), video(RED_URL), video(RED_URL))])).toMatchObject({ param: 'messages[0].content[2]', code: 'too_many_videos' });
    expect(await refusal([user(video(RED_URL))], { limits: mediaLimits({ maxVideoBytes: 100 }) })).toMatchObject({ code: 'media_too_large' });
  });

  test('what the bytes are decides: images, MP4 and garbage are refused before decoding', async () => {
    const decoder = demuxingDecoder();
    expect(await refusal([user(video(dataUrl('image/png', png(8, 8))))], { videoDecoder: decoder })).toMatchObject({
      code: 'invalid_video', message: expect.stringContaining('image/png is not a supported video format'),
    });
    const mp4 = Uint8Array.from([0, 0, 0, 24, ...new TextEncoder().encode('ftypisom'), 0, 0, 2, 0, ...new TextEncoder().encode('isomiso2')]);
    expect(await refusal([user(video(`data:video/mp4;base64,${b64(mp4)}`))], { videoDecoder: decoder })).toMatchObject({ code: 'invalid_video', message: expect.stringContaining('MP4') });
    expect(await refusal([user(video(`data:video/webm;base64,${b64(new Uint8Array([1, 2, 3]))}`))], { videoDecoder: decoder })).toMatchObject({ code: 'invalid_video' });
    expect(decoder.calls).toEqual([]);
  });

  test('Motion JPEG AVI reaches the decoder as video/x-msvideo', async () => {
    const avi = new Uint8Array(readFileSync(join(process.cwd(), 'fixtures', 'videos', 'red-dominant.avi')));
    const seen: number[] = [];
    const decoder: VideoFrameDecoder = async (bytes) => {
      seen.push(bytes.length);
      return { frames: [], indices: [], timestamps: [], totalFrames: 16, fps: 8, seconds: 2, codec: 'mjpeg', width: 64, height: 64 };
    };
    const media = await resolveMedia([user(video(dataUrl('video/x-msvideo', avi)))], { limits: mediaLimits(), videoDecoder: decoder });
    expect(media.videos![0]).toMatchObject({ mime: 'video/x-msvideo', codec: 'mjpeg' });
    expect(seen).toEqual([avi.length]);
  });

  test("a decoder's errors, told apart by name, become 400s naming the part", async () => {
    const failing = (name: string): VideoFrameDecoder => async () => { throw Object.assign(new Error('nope'), { name }); };
    expect(await refusal([user(video(RED_URL))], { videoDecoder: failing('VideoTooLongError') })).toMatchObject({ param: 'messages[0].content[0]', code: 'video_too_long' });
    expect(await refusal([user(video(RED_URL))], { videoDecoder: failing('InvalidVideoError') })).toMatchObject({ code: 'invalid_video' });
    expect(await refusal([user(video(RED_URL))], { videoDecoder: failing('UnsupportedVideoError') })).toMatchObject({ code: 'unsupported_video' });
  });

  test('without an injected decoder, a context with no WebCodecs (Node, a SharedWorker) refuses with a clear 400', async () => {
    const r = await refusal([user(video(RED_URL))], { videoDecoder: undefined });
    expect(r).toMatchObject({ status: 400, param: 'messages[0].content[0]', code: 'unsupported_video', message: expect.stringContaining('VideoDecoder') });
  });
});
