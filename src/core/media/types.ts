/** Decoded media, as core hands it to an engine (PromptInput.media). */
import type { VideoFrames } from './video/frames.js';

export interface DecodedImage {
  /** RGBA pixels, row-major, `width * height * 4` bytes. */
  data: Uint8ClampedArray;
  width: number;
  height: number;
  /** The sniffed format and size of what arrived, before any downscaling. */
  mime: string;
  sourceWidth: number;
  sourceHeight: number;
  /** The part's `detail` ('auto' when absent). */
  detail: 'auto' | 'low' | 'high';
  /** Where it came from: `messages[message].content[part]`. */
  message: number;
  part: number;
}

export interface DecodedAudio {
  format: 'wav' | 'mp3';
  /** The encoded clip, as sent. */
  bytes: Uint8Array;
  /** Mono PCM in [-1, 1], decoded in the engine host (WAV parsed, MP3 by a WASM decoder); null only from older hosts. */
  samples: Float32Array | null;
  sampleRate: number | null;
  seconds: number | null;
  message: number;
  part: number;
}

/** A `video_url` part, sampled to frames in the engine host (src/core/media/video/). */
export interface DecodedVideo extends VideoFrames {
  /** The container, from the bytes (`video/webm`). */
  mime: string;
  message: number;
  part: number;
}

/** Every image, audio and video part of a request, in the order they appear in the messages. */
export interface ResolvedMedia {
  images: DecodedImage[];
  audio: DecodedAudio[];
  /** Absent from hosts older than video input. */
  videos?: DecodedVideo[];
}

export { ATTACHMENT_SCHEME, attachmentUrl, type MediaAttachment } from '../../protocol/media.js';

/** RGBA pixels from a decoder. */
export interface Pixels {
  data: Uint8ClampedArray;
  width: number;
  height: number;
}
