/**
 * Which frames of a video a model sees: qwen-vl-utils' `smart_nframes` (also what vLLM's
 * Qwen2-VL path does): `fps` frames per second of video, at least 4 (or every frame of a
 * shorter clip), at most `maxFrames`, rounded down to an even count (Qwen2-VL folds two
 * frames into one temporal patch), spread evenly from the first frame to the last
 * (`linspace(0, total - 1, n).round()`; n - 1 is odd, so there are no .5 ties to break). A one-frame clip
 * gives that frame twice. scripts/fixtures/gen_video_model.py mirrors this.
 */
export interface FrameSampling {
  /** Frames per second to take (default 2). */
  fps: number;
  /** At most this many frames (an even count is taken). */
  maxFrames: number;
}

export const FRAME_FACTOR = 2;
const MIN_FRAMES = 4;

export function sampleFrameIndices(total: number, videoFps: number, sampling: FrameSampling): number[] {
  if (total <= 0) return [];
  if (total === 1) return [0, 0];
  const rate = videoFps > 0 && Number.isFinite(videoFps) ? videoFps : sampling.fps;
  const wanted = (total / rate) * sampling.fps;
  const n = Math.max(FRAME_FACTOR, Math.floor(Math.max(Math.min(wanted, Math.min(sampling.maxFrames, total)), Math.min(MIN_FRAMES, total)) / FRAME_FACTOR) * FRAME_FACTOR);
  return Array.from({ length: n }, (_, i) => Math.round((i * (total - 1)) / (n - 1)));
}
