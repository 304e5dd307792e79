import { AviError, demuxAvi, isAvi } from './avi.js';
import { InvalidVideoError, VideoTooLongError, type VideoDecodeOptions, type VideoFrames } from './frames.js';
import { decodeMjpeg } from './mjpeg.js';
import { sampleFrameIndices } from './sample.js';
import { decodeWithWebCodecs } from './webcodecs.js';
import { demuxWebm, isWebm, WebmError } from './webm.js';

/**
 * Video bytes -> sampled RGBA frames. Self-contained (no host, no engine): it runs in a
 * window or any worker. WebM/Matroska (VP8, VP9, AV1, H.264) goes through WebCodecs'
 * VideoDecoder, which a SharedWorker lacks; Motion JPEG AVI goes through createImageBitmap,
 * which every worker has. The duration cap is checked from the container before decoding.
 */
export async function decodeVideoFrames(bytes: Uint8Array, options: VideoDecodeOptions): Promise<VideoFrames> {
  const sampling = { fps: options.fps, maxFrames: options.maxFrames };
  if (isWebm(bytes)) {
    const video = demux(() => demuxWebm(bytes));
    checkLength(video.seconds, options);
    const total = video.frames.length;
    const fps = video.seconds > 0 ? total / video.seconds : 0;
    const indices = sampleFrameIndices(total, fps, sampling);
    const { frames, codec } = await decodeWithWebCodecs(video, indices, options.maxEdge);
    // The decoder outputs in presentation order: the i-th output has the i-th smallest timestamp.
    const shown = video.frames.map((f) => f.timestamp).sort((a, b) => a - b);
    return assemble(frames, indices, (i) => shown[i]! / 1e6, { total, fps, seconds: video.seconds, codec });
  }
  if (isAvi(bytes)) {
    const video = demux(() => demuxAvi(bytes));
    checkLength(video.seconds, options);
    const indices = sampleFrameIndices(video.frames.length, video.fps, sampling);
    const frames = await decodeMjpeg(video, indices, options.maxEdge);
    return assemble(frames, indices, (i) => i / video.fps, { total: video.frames.length, fps: video.fps, seconds: video.seconds, codec: 'mjpeg' });
  }
  throw new InvalidVideoError('the bytes are not a WebM/Matroska or AVI video');
}

function demux<T>(run: () => T): T {
  try {
    return run();
  } catch (err) {
    if (err instanceof WebmError || err instanceof AviError) throw new InvalidVideoError(`the file is corrupt or unsupported: ${err.message}`);
    throw err;
  }
}

function checkLength(seconds: number, options: VideoDecodeOptions): void {
  if (seconds > options.maxSeconds) {
    throw new VideoTooLongError(`the video is ${seconds.toFixed(1)} s long; the limit is ${options.maxSeconds} s`);
  }
}

function assemble(
  picked: Map<number, VideoFrames['frames'][number]>,
  indices: number[],
  timeOf: (index: number) => number,
  info: { total: number; fps: number; seconds: number; codec: string },
): VideoFrames {
  const missing = indices.find((i) => !picked.has(i));
  if (missing !== undefined) throw new InvalidVideoError(`frame ${missing} of ${info.total} did not decode (the stream is corrupt or truncated)`);
  const frames = indices.map((i) => picked.get(i)!);
  return {
    frames,
    indices,
    timestamps: indices.map(timeOf),
    totalFrames: info.total,
    fps: info.fps,
    seconds: info.seconds,
    codec: info.codec,
    width: frames[0]!.width,
    height: frames[0]!.height,
  };
}
