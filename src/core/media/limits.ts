import type { MediaLimits } from '../../protocol/media.js';

export type { MediaLimits };

export const DEFAULT_MEDIA_LIMITS: Readonly<MediaLimits> = Object.freeze({
  allowedSchemes: ['https:', 'data:', 'blob:'],
  allowHttpLocalhost: false,
  maxImages: 8,
  maxImageBytes: 10 * 1024 * 1024,
  maxImagePixels: 25_000_000,
  maxImageEdge: 2048,
  maxAudios: 4,
  maxAudioBytes: 10 * 1024 * 1024,
  maxAudioSeconds: 120,
  maxVideos: 2,
  maxVideoBytes: 10 * 1024 * 1024,
  maxVideoSeconds: 120,
  maxVideoFrames: 32,
  videoFps: 2,
  maxVideoFrameEdge: 768,
  fetchTimeoutMs: 10_000,
});

/** The only schemes an app can ever allow. */
export const ALLOWABLE_SCHEMES = ['https:', 'http:', 'data:', 'blob:'] as const;

/** Defaults overlaid with an app's settings; throws on settings that make no sense. */
export function mediaLimits(overrides: Partial<MediaLimits> | null | undefined = {}): MediaLimits {
  const limits: MediaLimits = { ...DEFAULT_MEDIA_LIMITS, allowedSchemes: [...DEFAULT_MEDIA_LIMITS.allowedSchemes] };
  for (const [key, value] of Object.entries(overrides ?? {}) as Array<[keyof MediaLimits, unknown]>) {
    if (value === undefined) continue;
    if (!(key in DEFAULT_MEDIA_LIMITS)) throw new TypeError(`media: unknown setting '${key}'`);
    (limits as unknown as Record<string, unknown>)[key] = value;
  }
  const schemes = limits.allowedSchemes.map((s) => (s.endsWith(':') ? s : `${s}:`).toLowerCase());
  for (const s of schemes) {
    if (!(ALLOWABLE_SCHEMES as readonly string[]).includes(s)) {
      throw new TypeError(`media: scheme '${s}' cannot be allowed (only ${ALLOWABLE_SCHEMES.join(', ')})`);
    }
  }
  limits.allowedSchemes = schemes;
  for (const key of ['maxImages', 'maxImageBytes', 'maxImagePixels', 'maxImageEdge', 'maxAudios', 'maxAudioBytes', 'maxAudioSeconds',
    'maxVideos', 'maxVideoBytes', 'maxVideoSeconds', 'maxVideoFrames', 'videoFps', 'maxVideoFrameEdge', 'fetchTimeoutMs'] as const) {
    const v = limits[key];
    if (typeof v !== 'number' || !(v >= 0) || Number.isNaN(v)) throw new TypeError(`media: '${key}' must be a number >= 0`);
  }
  // An even number of frames is always taken (Qwen2-VL's temporal patch is 2).
  if (limits.maxVideoFrames < 2) throw new TypeError("media: 'maxVideoFrames' must be at least 2");
  if (!(limits.videoFps > 0)) throw new TypeError("media: 'videoFps' must be > 0");
  limits.allowHttpLocalhost = limits.allowHttpLocalhost === true;
  return limits;
}
