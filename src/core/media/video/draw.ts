import { fitWithin } from '../decode.js';
import type { Pixels } from '../types.js';
import { UnsupportedVideoError } from './frames.js';

/** Draws a decoded frame (VideoFrame, ImageBitmap) scaled to fit `maxEdge` and reads its RGBA pixels back. */
export function drawFrame(canvas: OffscreenCanvas, frame: CanvasImageSource & { displayWidth?: number; width?: number }, width: number, height: number, maxEdge: number): Pixels {
  const size = fitWithin(width, height, maxEdge);
  if (canvas.width !== size.width || canvas.height !== size.height) {
    canvas.width = size.width;
    canvas.height = size.height;
  }
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  if (!ctx) throw new UnsupportedVideoError('OffscreenCanvas has no 2d context here');
  ctx.imageSmoothingQuality = 'high';
  ctx.drawImage(frame, 0, 0, size.width, size.height);
  return { data: ctx.getImageData(0, 0, size.width, size.height).data, width: size.width, height: size.height };
}
