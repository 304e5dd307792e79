import { fitWithin } from '../decode.js';
import type { Pixels } from '../types.js';
import {
  InvalidVideoError,
  UnsupportedVideoError,
  VideoTooLongError,
  type VideoDecodeOptions,
  type VideoFrames,
} from './frames.js';
import { sampleFrameIndices } from './sample.js';
import { demuxWebm, isWebm, WebmError, type DemuxedVideo } from './webm.js';

/**
 * Video bytes -> sampled RGBA frames, with WebCodecs' VideoDecoder and an OffscreenCanvas.
 * Self-contained (no host, no engine): it runs in a window or any dedicated worker; a
 * SharedWorker has no VideoDecoder, so a host there calls this in a worker that has one.
 * WebM/Matroska with VP8, VP9, AV1 or H.264 (what the browser's decoder takes); every frame
 * is decoded (P-frames need their references) and only the sampled ones are drawn.
 */
export async function decodeVideoFrames(bytes: Uint8Array, options: VideoDecodeOptions): Promise<VideoFrames> {
  if (typeof VideoDecoder !== 'function' || typeof OffscreenCanvas !== 'function') {
    throw new UnsupportedVideoError(
      'this engine host cannot decode video: it has no WebCodecs VideoDecoder (a SharedWorker has none); '
      + 'use a dedicated engine host (createClient({ shared: false })) or give the host a video decoder',
    );
  }
  const video = demux(bytes);
  if (video.seconds > options.maxSeconds) {
    throw new VideoTooLongError(`the video is ${video.seconds.toFixed(1)} s long; the limit is ${options.maxSeconds} s`);
  }
  const config = decoderConfig(video);
  const support = await VideoDecoder.isConfigSupported(config).catch(() => ({ supported: false }));
  if (!support.supported) throw new UnsupportedVideoError(`this browser cannot decode ${video.codecId} video (${config.codec})`);

  const total = video.frames.length;
  const fps = video.seconds > 0 ? total / video.seconds : 0;
  const indices = sampleFrameIndices(total, fps, { fps: options.fps, maxFrames: options.maxFrames });
  const wanted = new Set(indices);
  const picked = new Map<number, { pixels: Pixels; timestamp: number }>();
  let shown = 0;
  let failure: Error | null = null;
  let canvas: OffscreenCanvas | null = null;
  const decoder = new VideoDecoder({
    output(frame) {
      const index = shown++;
      try {
        if (wanted.has(index) && !failure) {
          const size = fitWithin(frame.displayWidth, frame.displayHeight, options.maxEdge);
          canvas ??= new OffscreenCanvas(size.width, size.height);
          picked.set(index, { pixels: draw(canvas, frame, size), timestamp: frame.timestamp / 1e6 });
        }
      } catch (err) {
        failure = err as Error;
      } finally {
        frame.close();
      }
    },
    error(err) {
      failure ??= new InvalidVideoError(`the video does not decode: ${err.message}`);
    },
  });
  try {
    decoder.configure(config);
    for (const f of video.frames) {
      if (failure) break;
      decoder.decode(new EncodedVideoChunk({ type: f.key ? 'key' : 'delta', timestamp: f.timestamp, data: f.data }));
      // Bounded memory on long clips: let the decoder drain before queueing more.
      while (decoder.decodeQueueSize > 8 && !failure) await new Promise((r) => setTimeout(r, 0));
    }
    if (!failure) await decoder.flush().catch((err: Error) => { failure ??= new InvalidVideoError(`the video does not decode: ${err.message}`); });
  } finally {
    if (decoder.state !== 'closed') decoder.close();
  }
  if (failure) throw failure;
  const missing = indices.filter((i) => !picked.has(i));
  if (missing.length) throw new InvalidVideoError(`frame ${missing[0]} of ${total} did not decode (the stream is corrupt or truncated)`);
  const frames = indices.map((i) => picked.get(i)!);
  const { width, height } = frames[0]!.pixels;
  return {
    frames: frames.map((f) => f.pixels),
    indices,
    timestamps: frames.map((f) => f.timestamp),
    totalFrames: total,
    fps,
    seconds: video.seconds,
    codec: config.codec,
    width,
    height,
  };
}

function demux(bytes: Uint8Array): DemuxedVideo {
  if (!isWebm(bytes)) throw new InvalidVideoError('the bytes are not a WebM/Matroska video');
  try {
    return demuxWebm(bytes);
  } catch (err) {
    if (err instanceof WebmError) throw new InvalidVideoError(`the WebM file is corrupt or unsupported: ${err.message}`);
    throw err;
  }
}

/**
 * How YUV becomes RGB, as FFmpeg does it (what qwen-vl-utils and vLLM decode with): the
 * file's matrix and range, BT.601 limited range when it says nothing (Chromium would assume
 * BT.709 and give a red of 248,49,30 where FFmpeg gives 229,28,28), and no primaries or
 * transfer conversion (sRGB in, sRGB out: FFmpeg's RGB is not colour-managed either).
 */
export function colorSpaceOf(video: Pick<DemuxedVideo, 'matrix' | 'range'>): VideoColorSpaceInit {
  const matrix = (video.matrix === 1 ? 'bt709' : video.matrix === 9 ? 'bt2020-ncl' : video.matrix === 0 ? 'rgb' : 'smpte170m') as VideoMatrixCoefficients;
  return { matrix, primaries: 'bt709', transfer: 'iec61966-2-1', fullRange: video.range === 2 };
}

/** Matroska CodecID -> WebCodecs config. */
export function decoderConfig(video: Pick<DemuxedVideo, 'codecId' | 'codecPrivate' | 'width' | 'height' | 'matrix' | 'range'>): VideoDecoderConfig {
  const size = { ...(video.width && video.height ? { codedWidth: video.width, codedHeight: video.height } : {}), colorSpace: colorSpaceOf(video) };
  switch (video.codecId) {
    case 'V_VP8':
      return { codec: 'vp8', ...size };
    case 'V_VP9':
      return { codec: 'vp09.00.10.08', ...size };
    case 'V_AV1':
      return { codec: 'av01.0.04M.08', ...size, ...(video.codecPrivate ? { description: video.codecPrivate } : {}) };
    case 'V_MPEG4/ISO/AVC': {
      const p = video.codecPrivate;
      if (!p || p.length < 4) throw new InvalidVideoError('the H.264 track has no decoder configuration (avcC)');
      const hex = (n: number) => n.toString(16).padStart(2, '0');
      return { codec: `avc1.${hex(p[1]!)}${hex(p[2]!)}${hex(p[3]!)}`, description: p, ...size };
    }
    default:
      throw new UnsupportedVideoError(`the codec ${video.codecId} is not supported (VP8, VP9, AV1 or H.264 in WebM)`);
  }
}

function draw(canvas: OffscreenCanvas, frame: VideoFrame, size: { width: number; height: number }): Pixels {
  if (canvas.width !== size.width || canvas.height !== size.height) {
    canvas.width = size.width;
    canvas.height = size.height;
  }
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  if (!ctx) throw new UnsupportedVideoError('OffscreenCanvas has no 2d context here');
  ctx.imageSmoothingQuality = 'high';
  ctx.drawImage(frame, 0, 0, size.width, size.height);
  return { data: ctx.getImageData(0, 0, size.width, size.height).data, width: size.width, height: size.height };
}
