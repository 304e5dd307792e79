import type { Pixels } from '../types.js';

/**
 * What a video decoder hands back: the sampled frames as RGBA pixels plus what was learnt
 * from the container. Plain data (typed arrays, numbers), so it crosses a worker boundary
 * (structured clone; the pixel buffers can be transferred).
 */
export interface VideoFrames {
  /** The sampled frames, in order, all the same size (RGBA, downscaled to `maxEdge`). */
  frames: Pixels[];
  /** Index of each sampled frame among all the video's frames (a one-frame clip repeats it). */
  indices: number[];
  /** Presentation time of each sampled frame, seconds. */
  timestamps: number[];
  totalFrames: number;
  /** The video's frame rate (frames / duration). */
  fps: number;
  seconds: number;
  /** The WebCodecs codec string the frames were decoded with (`vp8`, `vp09.00.10.08`, ...). */
  codec: string;
  width: number;
  height: number;
}

/** How to sample and size the frames (from the host's media limits). */
export interface VideoDecodeOptions {
  /** Frames per second to sample (qwen-vl-utils: 2). */
  fps: number;
  /** At most this many frames. */
  maxFrames: number;
  /** Longer side of the returned frames, at most (never upscaled). */
  maxEdge: number;
  /** Longer videos are refused (VideoTooLongError) before anything is decoded. */
  maxSeconds: number;
}

/**
 * Decodes a video's bytes to sampled frames. The default is decodeVideoFrames (WebCodecs, in
 * this thread); a host without `VideoDecoder` (a SharedWorker) injects one that runs it in a
 * dedicated worker. Errors are told apart by `name` (they survive a worker boundary that way):
 * 'InvalidVideoError', 'UnsupportedVideoError', 'VideoTooLongError'.
 */
export type VideoFrameDecoder = (bytes: Uint8Array, options: VideoDecodeOptions) => Promise<VideoFrames>;

export class InvalidVideoError extends Error {
  override name = 'InvalidVideoError';
}
export class UnsupportedVideoError extends Error {
  override name = 'UnsupportedVideoError';
}
export class VideoTooLongError extends Error {
  override name = 'VideoTooLongError';
}
