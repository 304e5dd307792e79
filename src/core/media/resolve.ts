import type { ChatMessage } from '../../protocol/chat.js';
import { BadRequestError, InternalServerError } from '../../protocol/errors.js';
import { AbortError, isAbort } from '../abort.js';
import { browserImageDecoder, CorruptImageError, DecoderUnavailableError, type ImageDecoder } from './decode.js';
import type { MediaLimits } from './limits.js';
import { CorruptMp3Error, decodeMp3, Mp3TooLongError } from './mp3.js';
import { describeUnsupported, parseWav, sniffAudio, sniffImage, sniffVideo, wavToMono } from './sniff.js';
import { classifyUrl, decodeBase64, loadSource, MediaError, type MediaSource } from './source.js';
import type { DecodedAudio, DecodedImage, DecodedVideo, MediaAttachment, ResolvedMedia } from './types.js';
import { decodeVideoFrames } from './video/decode.js';
import type { VideoFrameDecoder } from './video/frames.js';

/**
 * Every image, audio and video part of a request, checked and decoded before the prompt is
 * rendered: counts first, then every URL against the allow-list (nothing is fetched when
 * any part is refused), then all parts load in parallel. Any failure is a 400 naming the
 * part (`messages[i].content[j]`) with a code saying what went wrong; the first failing
 * part in message order is the one reported.
 */
export interface MediaContext {
  limits: MediaLimits;
  /** The in-page client's binary parts (see MediaAttachment). */
  attachments?: readonly MediaAttachment[];
  signal?: AbortSignal;
  /** Defaults to createImageBitmap + OffscreenCanvas. */
  decoder?: ImageDecoder;
  /** Defaults to decodeVideoFrames (WebCodecs) in this thread, where VideoDecoder exists. */
  videoDecoder?: VideoFrameDecoder;
  fetch?: typeof fetch;
  /** Media resolved already (before the request queued): used as is. */
  resolved?: ResolvedMedia;
}

interface ImageRef { message: number; part: number; url: string; detail: 'auto' | 'low' | 'high' }
interface AudioRef { message: number; part: number; data: string; format: 'wav' | 'mp3' }
interface VideoRef { message: number; part: number; url: string }

export function mediaParts(messages: readonly ChatMessage[]): { images: ImageRef[]; audio: AudioRef[]; videos: VideoRef[] } {
  const images: ImageRef[] = [];
  const audio: AudioRef[] = [];
  const videos: VideoRef[] = [];
  messages.forEach((m, message) => {
    if (m.role !== 'user' || typeof m.content === 'string') return;
    m.content.forEach((p, part) => {
      if (p.type === 'image_url') images.push({ message, part, url: p.image_url.url, detail: p.image_url.detail ?? 'auto' });
      else if (p.type === 'input_audio') audio.push({ message, part, data: p.input_audio.data, format: p.input_audio.format });
      else if (p.type === 'video_url') videos.push({ message, part, url: p.video_url.url });
    });
  });
  return { images, audio, videos };
}

export function hasMedia(messages: readonly ChatMessage[]): boolean {
  const { images, audio, videos } = mediaParts(messages);
  return images.length > 0 || audio.length > 0 || videos.length > 0;
}

const paramOf = (ref: { message: number; part: number }) => `messages[${ref.message}].content[${ref.part}]`;

function refuse(ref: { message: number; part: number }, code: string, message: string): BadRequestError {
  return new BadRequestError(`${paramOf(ref)}: ${message}`, { param: paramOf(ref), code });
}

export async function resolveMedia(messages: readonly ChatMessage[], ctx: MediaContext): Promise<ResolvedMedia> {
  const { limits } = ctx;
  const { images, audio, videos } = mediaParts(messages);
  if (images.length > limits.maxImages) {
    throw refuse(images[limits.maxImages]!, 'too_many_images', `at most ${limits.maxImages} images per request are accepted; this request has ${images.length}.`);
  }
  if (audio.length > limits.maxAudios) {
    throw refuse(audio[limits.maxAudios]!, 'too_many_audio_clips', `at most ${limits.maxAudios} audio clips per request are accepted; this request has ${audio.length}.`);
  }
  if (videos.length > limits.maxVideos) {
    throw refuse(videos[limits.maxVideos]!, 'too_many_videos', `at most ${limits.maxVideos} videos per request are accepted; this request has ${videos.length}.`);
  }
  // Every URL is checked before anything is fetched.
  const classify = (ref: ImageRef | VideoRef, what: 'image' | 'video'): MediaSource => {
    try {
      return classifyUrl(ref.url, limits, (ctx.attachments?.length ?? 0) > 0, what);
    } catch (err) {
      throw asBadRequest(ref, err);
    }
  };
  // In message order, so the first refused part is the one reported.
  const sources = new Map<ImageRef | VideoRef, MediaSource>();
  for (const [ref, what] of [...images.map((r) => [r, 'image'] as const), ...videos.map((r) => [r, 'video'] as const)]
    .sort(([a], [b]) => a.message - b.message || a.part - b.part)) {
    sources.set(ref, classify(ref, what));
  }

  const settled = await Promise.allSettled([
    ...images.map((ref) => loadImage(ref, sources.get(ref)!, ctx)),
    ...audio.map((ref) => loadAudio(ref, ctx)),
    ...videos.map((ref) => loadVideo(ref, sources.get(ref)!, ctx)),
  ]);
  if (ctx.signal?.aborted) throw new AbortError();
  for (const r of settled) if (r.status === 'rejected') throw r.reason;
  const values = settled.map((r) => (r as PromiseFulfilledResult<DecodedImage | DecodedAudio | DecodedVideo>).value);
  const afterAudio = images.length + audio.length;
  return {
    images: values.slice(0, images.length) as DecodedImage[],
    audio: values.slice(images.length, afterAudio) as DecodedAudio[],
    ...(videos.length ? { videos: values.slice(afterAudio) as DecodedVideo[] } : {}),
  };
}

const VIDEO_FORMATS = 'WebM/Matroska with VP8, VP9, AV1 or H.264, or Motion JPEG AVI';

async function loadVideo(ref: VideoRef, source: MediaSource, ctx: MediaContext): Promise<DecodedVideo> {
  const { limits } = ctx;
  try {
    const loaded = await loadSource(source, {
      limits, maxBytes: limits.maxVideoBytes, what: 'video', signal: ctx.signal, attachments: ctx.attachments, fetch: ctx.fetch,
    });
    if (!('bytes' in loaded)) throw refuse(ref, 'invalid_video', 'an ImageBitmap is not a video; send the video file (a Blob or its bytes).');
    const mime = sniffVideo(loaded.bytes);
    if (mime !== 'video/webm' && mime !== 'video/x-msvideo') {
      const what = mime ?? sniffImage(loaded.bytes)?.mime ?? describeUnsupported(loaded.bytes);
      throw refuse(ref, 'invalid_video', what
        ? `${what} is not a supported video format (${VIDEO_FORMATS}).`
        : `the bytes are not a video in a supported format (${VIDEO_FORMATS}).`);
    }
    const decode = ctx.videoDecoder ?? decodeVideoFrames;
    const frames = await decode(loaded.bytes, {
      fps: limits.videoFps, maxFrames: limits.maxVideoFrames, maxEdge: limits.maxVideoFrameEdge, maxSeconds: limits.maxVideoSeconds,
    });
    if (ctx.signal?.aborted) throw new AbortError();
    return { ...frames, mime, message: ref.message, part: ref.part };
  } catch (err) {
    throw asBadRequest(ref, err);
  }
}

/** `detail: 'low'` (OpenAI: a 512 px low-resolution view) caps the longer side at this. */
export const LOW_DETAIL_EDGE = 512;

async function loadImage(ref: ImageRef, source: MediaSource, ctx: MediaContext): Promise<DecodedImage> {
  const { limits } = ctx;
  const decoder = ctx.decoder ?? browserImageDecoder;
  const maxEdge = ref.detail === 'low' ? Math.min(limits.maxImageEdge || LOW_DETAIL_EDGE, LOW_DETAIL_EDGE) : limits.maxImageEdge;
  try {
    const loaded = await loadSource(source, {
      limits, maxBytes: limits.maxImageBytes, what: 'image', signal: ctx.signal, attachments: ctx.attachments, fetch: ctx.fetch,
    });
    if ('bitmap' in loaded) {
      const { width, height } = loaded.bitmap;
      checkPixels(ref, width, height, limits);
      const px = await decoder.fromBitmap(loaded.bitmap, maxEdge);
      return { ...px, mime: 'image/bitmap', sourceWidth: width, sourceHeight: height, detail: ref.detail, message: ref.message, part: ref.part };
    }
    const info = sniffImage(loaded.bytes);
    if (!info) {
      const what = describeUnsupported(loaded.bytes);
      throw refuse(ref, 'invalid_image', what
        ? `${what} is not a supported image format (PNG, JPEG, GIF, WebP, BMP or AVIF).`
        : 'the bytes are not an image in a supported format (PNG, JPEG, GIF, WebP, BMP or AVIF).');
    }
    if (info.width == null || info.height == null || info.width === 0 || info.height === 0) {
      throw refuse(ref, 'invalid_image', `the ${info.mime} header is truncated or corrupt.`);
    }
    checkPixels(ref, info.width, info.height, limits);
    const px = await decoder.decode(loaded.bytes, info.mime, maxEdge);
    return { ...px, mime: info.mime, sourceWidth: info.width, sourceHeight: info.height, detail: ref.detail, message: ref.message, part: ref.part };
  } catch (err) {
    throw asBadRequest(ref, err);
  }
}

function checkPixels(ref: ImageRef, width: number, height: number, limits: MediaLimits): void {
  if (width * height > limits.maxImagePixels) {
    throw refuse(ref, 'image_too_many_pixels', `the image is ${width}x${height} (${width * height} pixels); the limit is ${limits.maxImagePixels} pixels.`);
  }
}

async function loadAudio(ref: AudioRef, ctx: MediaContext): Promise<DecodedAudio> {
  const { limits } = ctx;
  try {
    // OpenAI sends bare base64; accept a data: URL too.
    const payload = ref.data.startsWith('data:') ? ref.data.slice(ref.data.indexOf(',') + 1) : ref.data;
    const bytes = decodeBase64(payload, limits.maxAudioBytes, 'audio clip');
    const sniffed = sniffAudio(bytes);
    if (!sniffed) {
      const what = describeUnsupported(bytes);
      throw refuse(ref, 'invalid_audio', `the bytes are not ${ref.format.toUpperCase()} audio${what ? ` (they look like ${what})` : ''}.`);
    }
    if (sniffed !== ref.format) {
      throw refuse(ref, 'invalid_audio', `format says '${ref.format}' but the bytes are ${sniffed.toUpperCase()} audio.`);
    }
    if (sniffed === 'mp3') {
      let pcm;
      try {
        pcm = await decodeMp3(bytes, limits.maxAudioSeconds);
      } catch (err) {
        if (err instanceof Mp3TooLongError) {
          throw refuse(ref, 'audio_too_long', `the clip is longer than ${limits.maxAudioSeconds} s (the limit).`);
        }
        if (err instanceof CorruptMp3Error) throw refuse(ref, 'invalid_audio', `the MP3 file is corrupt or unsupported: ${err.message}.`);
        throw err;
      }
      if (ctx.signal?.aborted) throw new AbortError();
      if (pcm.samples.length === 0) throw refuse(ref, 'invalid_audio', 'the MP3 file holds no audio samples.');
      return { format: 'mp3', bytes, samples: pcm.samples, sampleRate: pcm.sampleRate, seconds: pcm.seconds, message: ref.message, part: ref.part };
    }
    let info;
    try {
      info = parseWav(bytes);
    } catch (err) {
      throw refuse(ref, 'invalid_audio', `the WAV file is corrupt or unsupported: ${(err as Error).message}.`);
    }
    if (info.seconds > limits.maxAudioSeconds) {
      throw refuse(ref, 'audio_too_long', `the clip is ${info.seconds.toFixed(1)} s long; the limit is ${limits.maxAudioSeconds} s.`);
    }
    const samples = wavToMono(bytes, info);
    // A header with no samples: nothing for the audio processor (it would throw its own words).
    if (samples.length === 0) throw refuse(ref, 'invalid_audio', 'the WAV file holds no audio samples.');
    return { format: 'wav', bytes, samples, sampleRate: info.sampleRate, seconds: info.seconds, message: ref.message, part: ref.part };
  } catch (err) {
    throw asBadRequest(ref, err);
  }
}

function asBadRequest(ref: { message: number; part: number }, err: unknown): unknown {
  if (err instanceof BadRequestError || isAbort(err)) return err;
  // By name: a video decoder in another worker throws these across the boundary.
  const name = (err as Error | null)?.name;
  if (name === 'InvalidVideoError') return refuse(ref, 'invalid_video', `${(err as Error).message}.`);
  if (name === 'VideoTooLongError') return refuse(ref, 'video_too_long', `${(err as Error).message}.`);
  if (name === 'UnsupportedVideoError') return refuse(ref, 'unsupported_video', `${(err as Error).message}.`);
  if (err instanceof MediaError) return refuse(ref, err.code, err.message);
  if (err instanceof CorruptImageError) return refuse(ref, 'invalid_image', `the image could not be decoded (${err.message}).`);
  if (err instanceof DecoderUnavailableError) return new InternalServerError(err.message, { code: 'media_decoder_unavailable' });
  return err;
}

/** How a runtime is set up for media (RuntimeOptions.media). */
export interface MediaOptions {
  /** The limits, or a getter read per request (so a host's later configure() applies). */
  limits?: MediaLimits | (() => MediaLimits);
  decoder?: ImageDecoder;
  /**
   * Video bytes -> sampled frames. Default: decodeVideoFrames here, which needs WebCodecs
   * (a window or a dedicated worker); a SharedWorker host passes one that runs it in a
   * dedicated worker of a tab.
   */
  videoDecoder?: VideoFrameDecoder;
  fetch?: typeof fetch;
}

/** The per-request context from the runtime's options and the request's attachments. */
export function mediaContext(
  options: MediaOptions | undefined,
  attachments: readonly MediaAttachment[] | undefined,
  signal: AbortSignal,
): Partial<MediaContext> {
  const limits = typeof options?.limits === 'function' ? options.limits() : options?.limits;
  return {
    ...(limits ? { limits } : {}),
    ...(options?.decoder ? { decoder: options.decoder } : {}),
    ...(options?.videoDecoder ? { videoDecoder: options.videoDecoder } : {}),
    ...(options?.fetch ? { fetch: options.fetch } : {}),
    ...(attachments?.length ? { attachments } : {}),
    signal,
  };
}
