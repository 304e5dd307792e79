/** Byte builders for the media unit tests (headers only: decoding is faked in Node). */

export function png(width: number, height: number, extra = 32): Uint8Array<ArrayBuffer> {
  const b = new Uint8Array(33 + extra);
  b.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]);
  const v = new DataView(b.buffer);
  v.setUint32(16, width);
  v.setUint32(20, height);
  b.set([8, 6, 0, 0, 0], 24);
  return b;
}

export function jpeg(width: number, height: number): Uint8Array<ArrayBuffer> {
  // SOI, an APP0 segment, SOF0 with the size.
  return Uint8Array.from([
    0xff, 0xd8, 0xff, 0xe0, 0, 16, 0x4a, 0x46, 0x49, 0x46, 0, 1, 1, 0, 0, 1, 0, 1, 0, 0,
    0xff, 0xc0, 0, 17, 8, height >> 8, height & 255, width >> 8, width & 255, 3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1,
    0xff, 0xd9,
  ]);
}

export function gif(width: number, height: number): Uint8Array<ArrayBuffer> {
  return Uint8Array.from([...'GIF89a'].map((c) => c.charCodeAt(0)).concat([width & 255, width >> 8, height & 255, height >> 8, 0, 0, 0]));
}

export function webpLossless(width: number, height: number): Uint8Array<ArrayBuffer> {
  const b = new Uint8Array(30);
  b.set([...'RIFF'].map((c) => c.charCodeAt(0)), 0);
  b.set([...'WEBPVP8L'].map((c) => c.charCodeAt(0)), 8);
  b[20] = 0x2f;
  const bits = ((width - 1) & 0x3fff) | (((height - 1) & 0x3fff) << 14);
  new DataView(b.buffer).setUint32(21, bits >>> 0, true);
  return b;
}

export function bmp(width: number, height: number): Uint8Array<ArrayBuffer> {
  const b = new Uint8Array(54);
  b[0] = 0x42; b[1] = 0x4d;
  const v = new DataView(b.buffer);
  v.setUint32(14, 40, true);
  v.setInt32(18, width, true);
  v.setInt32(22, -height, true);
  return b;
}

/** A 16-bit PCM WAV of `seconds` of a quiet ramp. */
export function wav(seconds: number, { sampleRate = 8000, channels = 1 } = {}): Uint8Array<ArrayBuffer> {
  const frames = Math.round(seconds * sampleRate);
  const dataBytes = frames * channels * 2;
  const b = new Uint8Array(44 + dataBytes);
  const v = new DataView(b.buffer);
  const ascii = (at: number, s: string) => [...s].forEach((c, i) => { b[at + i] = c.charCodeAt(0); });
  ascii(0, 'RIFF'); v.setUint32(4, 36 + dataBytes, true); ascii(8, 'WAVE');
  ascii(12, 'fmt '); v.setUint32(16, 16, true); v.setUint16(20, 1, true); v.setUint16(22, channels, true);
  v.setUint32(24, sampleRate, true); v.setUint32(28, sampleRate * channels * 2, true); v.setUint16(32, channels * 2, true); v.setUint16(34, 16, true);
  ascii(36, 'data'); v.setUint32(40, dataBytes, true);
  for (let f = 0; f < frames; f++) for (let c = 0; c < channels; c++) v.setInt16(44 + (f * channels + c) * 2, (f % 100) * 100, true);
  return b;
}

export function mp3Frame(): Uint8Array<ArrayBuffer> {
  // MPEG-1 Layer III, 128 kbit/s, 44.1 kHz.
  return Uint8Array.from([0xff, 0xfb, 0x90, 0x64, ...new Array(60).fill(0)]);
}

export function b64(bytes: Uint8Array): string {
  let s = '';
  for (const x of bytes) s += String.fromCharCode(x);
  return btoa(s);
}

export function dataUrl(mime: string, bytes: Uint8Array): string {
  return `data:${mime};base64,${b64(bytes)}`;
}
