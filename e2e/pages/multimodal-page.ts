/**
 * The multimodal test page: an in-page client with the tiny text model and the tiny
 * vision-language model (which names the dominant colour of the pictures it gets).
 * Query string:
 *   ?shared=0          a dedicated engine host for this page (so ?media applies to it)
 *   ?media={json}      media limits for the host config (e.g. {"maxImages":2})
 *   ?gateway=1         also register the Service Worker gateway (openai SDK at /v1)
 *
 * Exposes on window: client, makeOpenAI(), picture(), toDataUrl(), corruptPng(), describeError,
 * webinferErrors, OpenAI (with ?gateway=1) and `ready` (or `setupError`).
 */
import OpenAI from 'openai';
import { createClient, registerGateway } from '../../src/client/index.js';
import * as errors from '../../src/protocol/errors.js';
import { TINY_CHAT, describeError, reportSetup } from './page-setup.js';

// Edits to src/ while a test runs (the dev server watches the tree) must not reload this
// page under the test: accept them here, keep running the code the page started with.
import.meta.hot?.accept(['../../src/client/index.js', '../../src/protocol/errors.js'], () => {});

const params = new URLSearchParams(location.search);
const w = window as unknown as Record<string, unknown>;

w.webinferErrors = errors;
w.OpenAI = OpenAI;
w.makeOpenAI = () => new OpenAI({ baseURL: `${location.origin}/v1`, apiKey: 'x', dangerouslyAllowBrowser: true, maxRetries: 0 });

w.describeError = describeError;

/**
 * A `width` x `height` picture, encoded (test-side only: apps hand over what they have).
 * `fill` is an [r, g, b] colour, or a function (x, y) => [r, g, b].
 */
w.picture = async (fill: number[] | ((x: number, y: number) => number[]), width = 64, height = 48, type = 'image/png'): Promise<Blob> => {
  const canvas = new OffscreenCanvas(width, height);
  const ctx = canvas.getContext('2d')!;
  const img = ctx.createImageData(width, height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) {
    const [r, g, b] = typeof fill === 'function' ? fill(x, y) : fill;
    img.data.set([r!, g!, b!, 255], (y * width + x) * 4);
  }
  ctx.putImageData(img, 0, 0);
  return canvas.convertToBlob({ type });
};

/** A fill function of deterministic noise (pictures that do not compress). */
w.noise = () => {
  let state = 12345;
  const next = () => (state = (state * 1103515245 + 12345) >>> 0) >>> 24;
  return () => [next(), next(), next()];
};

w.toDataUrl = (blob: Blob): Promise<string> =>
  new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(reader.result as string);
    reader.onerror = () => reject(reader.error);
    reader.readAsDataURL(blob);
  });

/** Base64 of a 16-bit PCM WAV: a sine tone of `hz` (0 = silence) at `rate` Hz, `channels` channels. */
w.wavBase64 = (hz: number, seconds = 0.5, rate = 22050, channels = 1): string => {
  const frames = Math.round(seconds * rate);
  const bytes = new Uint8Array(44 + frames * channels * 2);
  const v = new DataView(bytes.buffer);
  const ascii = (at: number, t: string) => [...t].forEach((c, i) => { bytes[at + i] = c.charCodeAt(0); });
  ascii(0, 'RIFF'); v.setUint32(4, 36 + frames * channels * 2, true); ascii(8, 'WAVE');
  ascii(12, 'fmt '); v.setUint32(16, 16, true); v.setUint16(20, 1, true); v.setUint16(22, channels, true);
  v.setUint32(24, rate, true); v.setUint32(28, rate * channels * 2, true); v.setUint16(32, channels * 2, true); v.setUint16(34, 16, true);
  ascii(36, 'data'); v.setUint32(40, frames * channels * 2, true);
  for (let f = 0; f < frames; f++) {
    const x = Math.round(12000 * Math.sin((2 * Math.PI * hz * f) / rate));
    for (let c = 0; c < channels; c++) v.setInt16(44 + (f * channels + c) * 2, x, true);
  }
  let bin = '';
  for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(bin);
};

/** Base64 of an ID3 tag and a truncated MPEG-1 Layer III frame (sniffs as MP3; decodes to nothing: corrupt). */
w.mp3Base64 = (): string => btoa(String.fromCharCode(0x49, 0x44, 0x33, 4, 0, 0, 0, 0, 0, 0, 0xff, 0xfb, 0x90, 0x64, ...new Array(200).fill(0)));

/** A PNG whose header is valid (so it passes sniffing and the pixel cap) but whose data is garbage. */
w.corruptPng = async (): Promise<Blob> => {
  const good = new Uint8Array(await (await (w.picture as (c: number[]) => Promise<Blob>)([255, 0, 0])).arrayBuffer());
  const bad = good.slice(0, 33 + 40);
  for (let i = 41; i < bad.length; i++) bad[i] = (i * 37) & 255;
  return new Blob([bad], { type: 'image/png' });
};

const MODELS = [
  TINY_CHAT,
  { id: 'tiny-vlm', baseUrl: '/models/tiny-vlm/', contextLength: 2048, modalities: ['text' as const, 'image' as const] },
  { id: 'tiny-alm', baseUrl: '/models/tiny-alm/', contextLength: 2048, modalities: ['text' as const, 'audio' as const] },
];

async function setup() {
  const media = params.get('media');
  const client = createClient({
    shared: params.get('shared') !== '0',
    config: { wasmPaths: '/ort/', models: MODELS, ...(media ? { media: JSON.parse(media) } : {}) },
  });
  w.client = client;
  if (params.get('gateway') === '1') w.gateway = await registerGateway({ client });
}

reportSetup(setup);
