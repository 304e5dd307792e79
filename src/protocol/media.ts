/** Media shapes that cross the port between a client and the engine host. */

/**
 * What the engine host accepts as image, audio and video input. Apps set these through the host
 * config (`createClient({ config: { media: { ... } } })`); every field is optional there.
 */
export interface MediaLimits {
  /**
   * URL schemes accepted in `image_url` and `video_url` parts, from `https:`, `http:`, `data:` and `blob:`
   * (nothing else can be allowed: `file:`, `javascript:`, `chrome-extension:`,
   * `filesystem:` and the rest are always refused). Default `['https:', 'data:', 'blob:']`.
   * Adding `http:` allows plain http to any host.
   */
  allowedSchemes: string[];
  /** Accept `http:` URLs to localhost / 127.0.0.0/8 / [::1] even when `http:` is not in `allowedSchemes`. Default false. */
  allowHttpLocalhost: boolean;
  /** Image parts per request, over all messages (default 8). */
  maxImages: number;
  /** Encoded bytes per image, however it arrives (default 10 MiB). */
  maxImageBytes: number;
  /** Decoded width x height per image, checked from the file header before decoding (default 25 megapixels). */
  maxImagePixels: number;
  /** Images are downscaled in the worker so that their longer side is at most this (default 2048). */
  maxImageEdge: number;
  /** Audio parts per request (default 4). */
  maxAudios: number;
  /** Encoded bytes per audio clip (default 10 MiB). */
  maxAudioBytes: number;
  /** Seconds per WAV clip (default 120). */
  maxAudioSeconds: number;
  /** Video parts per request (default 2). */
  maxVideos: number;
  /** Encoded bytes per video (default 10 MiB). */
  maxVideoBytes: number;
  /** Seconds per video, from its container (default 120). */
  maxVideoSeconds: number;
  /** Frames sampled per video, at most (default 32; an even count is taken, as Qwen2-VL's temporal patch is 2). */
  maxVideoFrames: number;
  /** Frames sampled per second of video (default 2, as qwen-vl-utils and vLLM). */
  videoFps: number;
  /** Sampled frames are downscaled in the worker so that their longer side is at most this (default 768). */
  maxVideoFrameEdge: number;
  /** Per-URL fetch timeout in ms, headers and body together (default 10 000). */
  fetchTimeoutMs: number;
}

/**
 * Binary media an in-page client hands over next to the request body: an `image_url`
 * (or `video_url`) part whose `url` is `webinfer-attachment:<index>` refers to `attachments[index]`.
 * Blobs (and Files) cross the port by reference; ArrayBuffers and ImageBitmaps are
 * transferred. Only the in-page client can send these; over HTTP the scheme is refused.
 */
export type MediaAttachment =
  | { kind: 'blob'; blob: Blob }
  | { kind: 'bytes'; bytes: ArrayBuffer }
  | { kind: 'bitmap'; bitmap: ImageBitmap };

export const ATTACHMENT_SCHEME = 'webinfer-attachment:';

export function attachmentUrl(index: number): string {
  return `${ATTACHMENT_SCHEME}${index}`;
}
