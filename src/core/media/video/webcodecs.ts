import type { Pixels } from '../types.js';
import { drawFrame } from './draw.js';
import { InvalidVideoError, UnsupportedVideoError } from './frames.js';
import type { DemuxedVideo } from './webm.js';

/**
 * WebCodecs' VideoDecoder for a demuxed WebM track: every frame is decoded (delta frames need
 * their references), only the sampled ones (by output index) are drawn, the rest closed at once.
 */
export async function decodeWithWebCodecs(video: DemuxedVideo, indices: number[], maxEdge: number): Promise<{ frames: Map<number, Pixels>; codec: string }> {
  if (typeof VideoDecoder !== 'function' || typeof OffscreenCanvas !== 'function') {
    throw new UnsupportedVideoError(
      'this engine host cannot decode WebM video: it has no WebCodecs VideoDecoder (a SharedWorker has none); '
      + 'use a dedicated engine host (createClient({ shared: false })), give the host a video decoder, or send Motion JPEG AVI',
    );
  }
  const config = decoderConfig(video);
  const support = await VideoDecoder.isConfigSupported(config).catch(() => ({ supported: false }));
  if (!support.supported) throw new UnsupportedVideoError(`this browser cannot decode ${video.codecId} video (${config.codec})`);
  const wanted = new Set(indices);
  const frames = new Map<number, Pixels>();
  const canvas = new OffscreenCanvas(1, 1);
  let shown = 0;
  let failure: Error | null = null;
  const decoder = new VideoDecoder({
    output(frame) {
      const index = shown++;
      try {
        if (wanted.has(index) && !failure) frames.set(index, drawFrame(canvas, frame, frame.displayWidth, frame.displayHeight, maxEdge));
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
  return { frames, codec: config.codec };
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
