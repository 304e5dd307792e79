import type { Pixels } from './types.js';

/**
 * Turns encoded images (or page-decoded ImageBitmaps) into RGBA pixels, downscaled so the
 * longer side is at most `maxEdge`. The browser implementation runs in the engine host
 * worker (createImageBitmap + OffscreenCanvas), never on the page's main thread; tests
 * in Node inject their own.
 */
export interface ImageDecoder {
  /** Rejects with `CorruptImageError` when the bytes do not decode. */
  decode(bytes: Uint8Array, mime: string, maxEdge: number): Promise<Pixels>;
  fromBitmap(bitmap: ImageBitmap, maxEdge: number): Promise<Pixels>;
}

export class CorruptImageError extends Error {
  override name = 'CorruptImageError';
}

export class DecoderUnavailableError extends Error {
  override name = 'DecoderUnavailableError';
}

/** Target size: the same aspect ratio, longer side at most `maxEdge` (never upscaled). */
export function fitWithin(width: number, height: number, maxEdge: number): { width: number; height: number } {
  const longer = Math.max(width, height);
  if (maxEdge <= 0 || longer <= maxEdge) return { width, height };
  const scale = maxEdge / longer;
  return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) };
}

export const browserImageDecoder: ImageDecoder = {
  async decode(bytes, mime, maxEdge) {
    requireBrowserDecoding();
    let bitmap: ImageBitmap;
    try {
      bitmap = await createImageBitmap(new Blob([bytes as Uint8Array<ArrayBuffer>], { type: mime }));
    } catch (err) {
      throw new CorruptImageError((err as Error)?.message || 'the image could not be decoded');
    }
    try {
      return draw(bitmap, maxEdge);
    } finally {
      bitmap.close();
    }
  },
  async fromBitmap(bitmap, maxEdge) {
    requireBrowserDecoding();
    if (!bitmap.width || !bitmap.height) throw new CorruptImageError('the ImageBitmap is empty or was already closed (transferred)');
    try {
      return draw(bitmap, maxEdge);
    } finally {
      bitmap.close();
    }
  },
};

function requireBrowserDecoding(): void {
  if (typeof createImageBitmap !== 'function' || typeof OffscreenCanvas !== 'function') {
    throw new DecoderUnavailableError('Decoding images needs createImageBitmap and OffscreenCanvas (a browser worker).');
  }
}

function draw(bitmap: ImageBitmap, maxEdge: number): Pixels {
  const { width, height } = fitWithin(bitmap.width, bitmap.height, maxEdge);
  const canvas = new OffscreenCanvas(width, height);
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  if (!ctx) throw new DecoderUnavailableError('OffscreenCanvas has no 2d context here.');
  ctx.imageSmoothingQuality = 'high';
  ctx.drawImage(bitmap, 0, 0, width, height);
  return { data: ctx.getImageData(0, 0, width, height).data, width, height };
}
