import type { Pixels } from '../types.js';
import type { AviVideo } from './avi.js';
import { drawFrame } from './draw.js';
import { InvalidVideoError, UnsupportedVideoError } from './frames.js';

/**
 * Motion JPEG: every frame is a whole JPEG, so only the sampled ones are decoded, with
 * createImageBitmap: no WebCodecs needed, so this works in a SharedWorker too.
 */
export async function decodeMjpeg(video: AviVideo, indices: number[], maxEdge: number): Promise<Map<number, Pixels>> {
  if (typeof createImageBitmap !== 'function' || typeof OffscreenCanvas !== 'function') {
    throw new UnsupportedVideoError('decoding Motion JPEG needs createImageBitmap and OffscreenCanvas (a browser worker)');
  }
  const canvas = new OffscreenCanvas(1, 1);
  const out = new Map<number, Pixels>();
  for (const index of new Set(indices)) {
    const jpeg = video.frames[index]!;
    if (jpeg[0] !== 0xff || jpeg[1] !== 0xd8) {
      throw new UnsupportedVideoError(`AVI with ${video.fourcc} video is not supported (Motion JPEG AVI, or WebM)`);
    }
    let bitmap: ImageBitmap;
    try {
      bitmap = await createImageBitmap(new Blob([jpeg as Uint8Array<ArrayBuffer>], { type: 'image/jpeg' }));
    } catch {
      throw new InvalidVideoError(`frame ${index} of ${video.frames.length} does not decode (a corrupt JPEG)`);
    }
    try {
      out.set(index, drawFrame(canvas, bitmap, bitmap.width, bitmap.height, maxEdge));
    } finally {
      bitmap.close();
    }
  }
  return out;
}
