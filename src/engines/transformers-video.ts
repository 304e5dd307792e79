import { cat, env, RawImage, type Qwen2VLProcessor, type Tensor } from '@huggingface/transformers';
import type { ModelSpec } from '../core/engine.js';
import type { DecodedImage, DecodedVideo } from '../core/media/types.js';
import { BadRequestError } from '../protocol/errors.js';

/**
 * Videos for Qwen2-VL on transformers.js. transformers.js 4.3 runs Qwen2-VL's vision encoder
 * on `pixel_values` + `image_grid_thw` only (no `pixel_values_videos`), but for Qwen2-VL a
 * video *is* what the encoder sees for an image, with grid_t = frames / 2: the image
 * processor called on a video's frames stacks them into exactly the patches HF's video
 * processor makes, and get_rope_index gives a `<|vision_start|><|image_pad|>` segment of grid
 * (t, h, w) the same 3-D positions HF gives a video of that grid. So each video becomes an
 * image entry of its grid, in prompt order among the images, and its `<|video_pad|>`
 * placeholder is expanded with image tokens (whose embeddings the video features replace).
 */

export interface VideoSettings {
  /** Frames are resized so that width x height lies in [minPixels, maxPixels], sides multiples of `factor`. */
  minPixels: number;
  maxPixels: number;
  /** patch_size x merge_size. */
  factor: number;
  merge: number;
  temporalPatch: number;
}

/** qwen-vl-utils' VIDEO_MIN_PIXELS / VIDEO_MAX_PIXELS, for repos without video_preprocessor_config.json. */
const QWEN_VL_UTILS = { min: 128 * 28 * 28, max: 768 * 28 * 28 };

type Json = Record<string, unknown>;

export async function readVideoSettings(spec: ModelSpec, revision: string, processor: Qwen2VLProcessor): Promise<VideoSettings> {
  const ip = (processor.image_processor as unknown as { config: Json }).config;
  const patch = Number(ip.patch_size ?? 14);
  const merge = Number(ip.merge_size ?? 2);
  const video = await optionalModelJson(spec.source.repo, revision, 'video_preprocessor_config.json');
  const size = (video?.size ?? {}) as Json;
  return {
    minPixels: Number(video?.min_pixels ?? size.shortest_edge ?? QWEN_VL_UTILS.min),
    maxPixels: Number(video?.max_pixels ?? size.longest_edge ?? QWEN_VL_UTILS.max),
    factor: patch * merge,
    merge,
    temporalPatch: Number(ip.temporal_patch_size ?? 2),
  };
}

/** A model file next to config.json, where transformers.js was just pointed (env.remoteHost/remotePathTemplate); null when absent. */
async function optionalModelJson(repo: string, revision: string, file: string): Promise<Json | null> {
  const path = env.remotePathTemplate.replaceAll('{model}', repo).replaceAll('{revision}', encodeURIComponent(revision));
  try {
    const res = await fetch(new URL(`${env.remoteHost.replace(/\/?$/, '/')}${path.replace(/^\//, '')}${file}`, globalThis.location?.href));
    return res.ok ? ((await res.json()) as Json) : null;
  } catch {
    return null;
  }
}

/** qwen-vl-utils' smart_resize: sides multiples of `factor`, area within [min, max], aspect kept. */
export function smartResize(height: number, width: number, s: Pick<VideoSettings, 'factor' | 'minPixels' | 'maxPixels'>): { height: number; width: number } {
  const f = s.factor;
  let h = Math.max(f, Math.round(height / f) * f);
  let w = Math.max(f, Math.round(width / f) * f);
  if (h * w > s.maxPixels) {
    const beta = Math.sqrt((height * width) / s.maxPixels);
    h = Math.max(f, Math.floor(height / beta / f) * f);
    w = Math.max(f, Math.floor(width / beta / f) * f);
  } else if (h * w < s.minPixels) {
    const beta = Math.sqrt(s.minPixels / (height * width));
    h = Math.ceil((height * beta) / f) * f;
    w = Math.ceil((width * beta) / f) * f;
  }
  return { height: h, width: w };
}

const PLACEHOLDER = /<\|image_pad\|>|<\|video_pad\|>/g;
const IMAGE_PAD = '<|image_pad|>';

type Visual = { kind: 'image'; image: DecodedImage } | { kind: 'video'; video: DecodedVideo };

/** Text + images + videos -> input_ids (placeholders expanded) and pixel_values / image_grid_thw for every visual, in prompt order. */
export async function qwenVisionInputs(
  processor: Qwen2VLProcessor,
  settings: VideoSettings,
  text: string,
  images: DecodedImage[],
  videos: DecodedVideo[],
  tokenize: (text: string) => Record<string, unknown>,
): Promise<Record<string, unknown>> {
  const visuals: Visual[] = [
    ...images.map((image) => ({ kind: 'image' as const, image, at: [image.message, image.part] })),
    ...videos.map((video) => ({ kind: 'video' as const, video, at: [video.message, video.part] })),
  ].sort((a, b) => a.at[0]! - b.at[0]! || a.at[1]! - b.at[1]!);
  const found = [...text.matchAll(PLACEHOLDER)].map((m) => (m[0] === IMAGE_PAD ? 'image' : 'video'));
  if (found.length !== visuals.length || found.some((k, i) => k !== visuals[i]!.kind)) {
    throw new BadRequestError(
      `The chat template placed ${found.length} image/video placeholder(s) for ${visuals.length} image(s) and video(s); media is accepted in user messages only.`,
      { param: 'messages' },
    );
  }
  const imageProcessor = processor.image_processor as unknown as (frames: RawImage[]) => Promise<{ pixel_values: Tensor; image_grid_thw: Tensor }>;
  const pixels: Tensor[] = [];
  const grids: Tensor[] = [];
  for (const v of visuals) {
    const frames = v.kind === 'image'
      ? [new RawImage(v.image.data, v.image.width, v.image.height, 4)]
      : await videoFrames(v.video, settings);
    const out = await imageProcessor(frames);
    pixels.push(out.pixel_values);
    grids.push(out.image_grid_thw);
  }
  let i = 0;
  const expanded = text.replace(PLACEHOLDER, () => {
    const [t, h, w] = Array.from(grids[i++]!.data as BigInt64Array, Number) as [number, number, number];
    return IMAGE_PAD.repeat((t * h * w) / (settings.merge * settings.merge));
  });
  return { ...tokenize(expanded), pixel_values: cat(pixels, 0), image_grid_thw: cat(grids, 0) };
}

/** A video's sampled frames at the processor's size, an even count (the last repeated if needed). */
async function videoFrames(video: DecodedVideo, s: VideoSettings): Promise<RawImage[]> {
  const target = smartResize(video.height, video.width, s);
  const frames = await Promise.all(video.frames.map(async (f) => {
    const image = new RawImage(f.data, f.width, f.height, 4);
    return image.width === target.width && image.height === target.height ? image : image.resize(target.width, target.height);
  }));
  while (frames.length % s.temporalPatch !== 0) frames.push(frames.at(-1)!);
  return frames;
}
