import type { ChatConfig } from '@mlc-ai/web-llm/lib/config';
import type { DecodedImage } from '../../core/media/types.js';
import { BadRequestError } from '../../protocol/errors.js';

/**
 * Images for web-llm's vision models. web-llm takes `image_url` parts and decodes the URL
 * itself (`fetch` + `createImageBitmap`); we only ever hand it `data:image/png` URLs of
 * pixels core already fetched, checked and decoded, so web-llm never fetches anything.
 */

/** The decoded pixels as a PNG data URL: OffscreenCanvas where there is one (the worker), else a plain encoder. */
export async function toDataUrl(image: DecodedImage): Promise<string> {
  const Canvas = (globalThis as { OffscreenCanvas?: typeof OffscreenCanvas }).OffscreenCanvas;
  let bytes: Uint8Array;
  if (Canvas && typeof ImageData !== 'undefined') {
    const canvas = new Canvas(image.width, image.height);
    const ctx = canvas.getContext('2d');
    if (!ctx) throw new Error('OffscreenCanvas has no 2d context');
    ctx.putImageData(new ImageData(new Uint8ClampedArray(image.data), image.width, image.height), 0, 0);
    bytes = new Uint8Array(await (await canvas.convertToBlob({ type: 'image/png' })).arrayBuffer());
  } else {
    bytes = encodePng(image.data, image.width, image.height);
  }
  return `data:image/png;base64,${base64(bytes)}`;
}

/** How many embedding tokens web-llm's `image_embed` makes of an image this size (LLMChatPipeline.computeImageEmbedSize, 0.2.86). */
export function imageEmbedSize(config: ChatConfig, height: number, width: number): number | null {
  const modelType = (config as { model_type?: string }).model_type;
  if (modelType === 'phi3_v') {
    const ratio = width / height;
    let scale = 1;
    while (scale * Math.ceil(scale / ratio) <= 16) scale += 1;
    scale -= 1;
    const newW = scale * 336;
    const newH = Math.floor(newW / ratio);
    const cropH = Math.floor((Math.ceil(newH / 336) * 336) / 336);
    const cropW = Math.floor(newW / 336);
    return cropH * 12 * (cropW * 12 + 1) + 1 + 12 * 13;
  }
  const fixed = (config as { model_config?: { mm_tokens_per_image?: unknown } }).model_config?.mm_tokens_per_image;
  return typeof fixed === 'number' && fixed > 0 ? fixed : null;
}

/** What web-llm cannot do with these images, as a 400 before anything runs. */
export function checkImages(images: DecodedImage[], config: ChatConfig, model: string): number[] {
  const chunk = (config as { prefill_chunk_size?: number }).prefill_chunk_size;
  return images.map((img) => {
    const param = `messages[${img.message}].content[${img.part}]`;
    const size = imageEmbedSize(config, img.height, img.width);
    if (size === null) {
      throw new BadRequestError(`Model '${model}': web-llm cannot tell how many tokens an image takes for this model (no phi3_v model_type, no mm_tokens_per_image).`, {
        param, code: 'unsupported_content',
      });
    }
    // web-llm prefills one image within one chunk (PrefillChunkSizeSmallerThanImageError).
    if (typeof chunk === 'number' && chunk > 0 && size > chunk) {
      throw new BadRequestError(
        `Model '${model}': this ${img.width}x${img.height} image takes ${size} tokens in web-llm, more than its prefill chunk (${chunk}); web-llm prefills an image in one chunk. Send a smaller image or detail: 'low'.`,
        { param, code: 'image_too_large' },
      );
    }
    return size;
  });
}

function base64(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

const CRC = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

function crc32(data: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of data) c = CRC[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** RGBA -> PNG (8-bit RGBA, no filter, stored deflate blocks): lossless, no dependencies. */
export function encodePng(rgba: Uint8ClampedArray, width: number, height: number): Uint8Array {
  const stride = width * 4 + 1;
  const raw = new Uint8Array(stride * height);
  for (let y = 0; y < height; y++) raw.set(rgba.subarray(y * width * 4, (y + 1) * width * 4), y * stride + 1);
  const blocks = Math.max(1, Math.ceil(raw.length / 65535));
  const z = new Uint8Array(2 + raw.length + blocks * 5 + 4);
  z[0] = 0x78; z[1] = 0x01;
  let o = 2;
  for (let i = 0; i < blocks; i++) {
    const part = raw.subarray(i * 65535, Math.min(raw.length, (i + 1) * 65535));
    z[o++] = i === blocks - 1 ? 1 : 0;
    z[o++] = part.length & 0xff; z[o++] = part.length >>> 8;
    z[o++] = ~part.length & 0xff; z[o++] = (~part.length >>> 8) & 0xff;
    z.set(part, o); o += part.length;
  }
  let a = 1, b = 0;
  for (const v of raw) { a = (a + v) % 65521; b = (b + a) % 65521; }
  new DataView(z.buffer).setUint32(o, ((b << 16) | a) >>> 0);
  const chunk = (type: string, data: Uint8Array) => {
    const out = new Uint8Array(12 + data.length);
    const dv = new DataView(out.buffer);
    dv.setUint32(0, data.length);
    for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
    out.set(data, 8);
    dv.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
    return out;
  };
  const ihdr = new Uint8Array(13);
  const hv = new DataView(ihdr.buffer);
  hv.setUint32(0, width); hv.setUint32(4, height);
  ihdr[8] = 8; ihdr[9] = 6;
  const parts = [Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a), chunk('IHDR', ihdr), chunk('IDAT', z), chunk('IEND', new Uint8Array(0))];
  const png = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let p = 0;
  for (const part of parts) { png.set(part, p); p += part.length; }
  return png;
}
