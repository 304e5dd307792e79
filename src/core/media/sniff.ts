/**
 * Media types from the bytes, never from a header or a file name: the magic numbers of
 * the image formats browsers decode, and their pixel size from the file header, so the
 * pixel cap holds before anything is decoded (a decompression bomb never reaches the
 * decoder). Audio: WAV and MP3, and a WAV parser to PCM.
 */

export type ImageMime = 'image/png' | 'image/jpeg' | 'image/gif' | 'image/webp' | 'image/bmp' | 'image/avif';

export interface ImageInfo {
  mime: ImageMime;
  /** From the file header; null when the header is cut short or malformed. */
  width: number | null;
  height: number | null;
}

const ascii = (b: Uint8Array, at: number, text: string) => {
  if (b.length < at + text.length) return false;
  for (let i = 0; i < text.length; i++) if (b[at + i] !== text.charCodeAt(i)) return false;
  return true;
};
const u16le = (b: Uint8Array, at: number) => b[at]! | (b[at + 1]! << 8);
const u16be = (b: Uint8Array, at: number) => (b[at]! << 8) | b[at + 1]!;
const u24le = (b: Uint8Array, at: number) => b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16);
const u32le = (b: Uint8Array, at: number) => (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) >>> 0;
const u32be = (b: Uint8Array, at: number) => ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;
const has = (b: Uint8Array, n: number) => b.length >= n;

/** What image format these bytes are (with their header's size), or null for anything else. */
export function sniffImage(b: Uint8Array): ImageInfo | null {
  if (b.length >= 8 && b[0] === 0x89 && ascii(b, 1, 'PNG\r\n\x1a\n')) {
    const ok = has(b, 24) && ascii(b, 12, 'IHDR');
    return { mime: 'image/png', width: ok ? u32be(b, 16) : null, height: ok ? u32be(b, 20) : null };
  }
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return { mime: 'image/jpeg', ...jpegSize(b) };
  if (ascii(b, 0, 'GIF87a') || ascii(b, 0, 'GIF89a')) {
    const ok = has(b, 10);
    return { mime: 'image/gif', width: ok ? u16le(b, 6) : null, height: ok ? u16le(b, 8) : null };
  }
  if (ascii(b, 0, 'RIFF') && ascii(b, 8, 'WEBP')) return { mime: 'image/webp', ...webpSize(b) };
  if (ascii(b, 0, 'BM') && has(b, 18)) {
    const dib = u32le(b, 14);
    if (dib === 12 && has(b, 22)) return { mime: 'image/bmp', width: u16le(b, 18), height: u16le(b, 20) };
    if (dib >= 40 && has(b, 26)) {
      const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
      return { mime: 'image/bmp', width: Math.abs(view.getInt32(18, true)), height: Math.abs(view.getInt32(22, true)) };
    }
    return null;
  }
  if (ascii(b, 4, 'ftyp') && (ascii(b, 8, 'avif') || ascii(b, 8, 'avis'))) return { mime: 'image/avif', ...avifSize(b) };
  return null;
}

function jpegSize(b: Uint8Array): { width: number | null; height: number | null } {
  let at = 2;
  while (at + 4 <= b.length) {
    if (b[at] !== 0xff) return { width: null, height: null };
    const marker = b[at + 1]!;
    if (marker === 0xff) { at++; continue; } // fill byte
    if (marker === 0xd8 || (marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) { at += 2; continue; }
    if (marker === 0xd9 || marker === 0xda) break; // end of image / start of scan before any frame header
    const len = u16be(b, at + 2);
    const isFrame = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (isFrame) {
      if (!has(b, at + 9)) break;
      return { height: u16be(b, at + 5), width: u16be(b, at + 7) };
    }
    if (len < 2) break;
    at += 2 + len;
  }
  return { width: null, height: null };
}

function webpSize(b: Uint8Array): { width: number | null; height: number | null } {
  if (ascii(b, 12, 'VP8 ') && has(b, 30) && b[23] === 0x9d && b[24] === 0x01 && b[25] === 0x2a) {
    return { width: u16le(b, 26) & 0x3fff, height: u16le(b, 28) & 0x3fff };
  }
  if (ascii(b, 12, 'VP8L') && has(b, 25) && b[20] === 0x2f) {
    const bits = u32le(b, 21);
    return { width: (bits & 0x3fff) + 1, height: ((bits >>> 14) & 0x3fff) + 1 };
  }
  if (ascii(b, 12, 'VP8X') && has(b, 30)) return { width: u24le(b, 24) + 1, height: u24le(b, 27) + 1 };
  return { width: null, height: null };
}

function avifSize(b: Uint8Array): { width: number | null; height: number | null } {
  // The image spatial extents property ('ispe'): version/flags, width, height (u32 BE).
  const end = Math.min(b.length - 16, 1 << 16);
  for (let at = 12; at < end; at++) {
    if (b[at] === 0x69 && ascii(b, at, 'ispe')) return { width: u32be(b, at + 8), height: u32be(b, at + 12) };
  }
  return { width: null, height: null };
}

/** A name for formats that are recognised but not accepted, for error messages. */
export function describeUnsupported(b: Uint8Array): string | null {
  const head = new TextDecoder().decode(b.subarray(0, 256)).trimStart().toLowerCase();
  if (head.startsWith('<svg') || (head.startsWith('<?xml') && head.includes('<svg'))) return 'SVG';
  if (head.startsWith('<!doctype html') || head.startsWith('<html')) return 'HTML';
  if (ascii(b, 4, 'ftyp') && (ascii(b, 8, 'heic') || ascii(b, 8, 'heix') || ascii(b, 8, 'mif1'))) return 'HEIC/HEIF';
  if (ascii(b, 0, 'II*\0') || ascii(b, 0, 'MM\0*')) return 'TIFF';
  if (ascii(b, 0, '%PDF')) return 'PDF';
  const audio = sniffAudio(b);
  if (audio) return audio.toUpperCase() + ' audio';
  if (ascii(b, 0, 'OggS')) return 'Ogg';
  if (ascii(b, 0, 'fLaC')) return 'FLAC';
  return null;
}

// ---- video ----------------------------------------------------------------------------

/** The container a video's bytes are in, by magic number: what can be decoded (WebM/Matroska, AVI) and what can be named in a refusal (MP4). */
export function sniffVideo(b: Uint8Array): 'video/webm' | 'video/x-msvideo' | 'MP4' | null {
  if (has(b, 4) && b[0] === 0x1a && b[1] === 0x45 && b[2] === 0xdf && b[3] === 0xa3) return 'video/webm';
  if (ascii(b, 4, 'ftyp') && !ascii(b, 8, 'heic') && !ascii(b, 8, 'heix') && !ascii(b, 8, 'mif1') && !ascii(b, 8, 'avif')) return 'MP4';
  if (ascii(b, 0, 'RIFF') && ascii(b, 8, 'AVI ')) return 'video/x-msvideo';
  return null;
}

// ---- audio ----------------------------------------------------------------------------

export type AudioFormat = 'wav' | 'mp3';

export function sniffAudio(b: Uint8Array): AudioFormat | null {
  if (ascii(b, 0, 'RIFF') && ascii(b, 8, 'WAVE')) return 'wav';
  if (ascii(b, 0, 'ID3') && has(b, 10)) return 'mp3';
  // An MPEG audio frame header: 11 sync bits, a valid version, layer III.
  if (has(b, 4) && b[0] === 0xff && (b[1]! & 0xe0) === 0xe0 && ((b[1]! >> 3) & 3) !== 1 && ((b[1]! >> 1) & 3) === 1) {
    const bitrate = b[2]! >> 4;
    const rate = (b[2]! >> 2) & 3;
    if (bitrate !== 0 && bitrate !== 15 && rate !== 3) return 'mp3';
  }
  return null;
}

export interface WavInfo {
  sampleRate: number;
  channels: number;
  bitsPerSample: number;
  /** 1 = integer PCM, 3 = IEEE float. */
  encoding: 1 | 3;
  frames: number;
  seconds: number;
  dataOffset: number;
  dataBytes: number;
}

/** Parses a WAV header (RIFF chunks). Throws a plain Error saying what is wrong. */
export function parseWav(b: Uint8Array): WavInfo {
  if (!(ascii(b, 0, 'RIFF') && ascii(b, 8, 'WAVE'))) throw new Error('not a RIFF/WAVE file');
  let at = 12;
  let fmt: { encoding: number; channels: number; sampleRate: number; blockAlign: number; bitsPerSample: number } | null = null;
  while (at + 8 <= b.length) {
    const size = u32le(b, at + 4);
    const body = at + 8;
    if (ascii(b, at, 'fmt ')) {
      if (size < 16 || !has(b, body + 16)) throw new Error('truncated fmt chunk');
      let encoding = u16le(b, body);
      if (encoding === 0xfffe && size >= 40 && has(b, body + 26)) encoding = u16le(b, body + 24); // WAVE_FORMAT_EXTENSIBLE
      fmt = { encoding, channels: u16le(b, body + 2), sampleRate: u32le(b, body + 4), blockAlign: u16le(b, body + 12), bitsPerSample: u16le(b, body + 14) };
    } else if (ascii(b, at, 'data')) {
      if (!fmt) throw new Error('data chunk before fmt chunk');
      const { encoding, channels, sampleRate, blockAlign, bitsPerSample } = fmt;
      if (encoding !== 1 && encoding !== 3) throw new Error(`unsupported WAV encoding ${encoding} (PCM and IEEE float only)`);
      const validBits = encoding === 1 ? [8, 16, 24, 32] : [32];
      if (!validBits.includes(bitsPerSample)) throw new Error(`unsupported ${bitsPerSample}-bit samples`);
      if (channels < 1 || channels > 16 || sampleRate < 1000 || sampleRate > 384000) throw new Error('implausible channel count or sample rate');
      if (blockAlign !== channels * (bitsPerSample / 8)) throw new Error('inconsistent block alignment');
      // A streamed WAV may say 0 or 0xFFFFFFFF: take what is there.
      const dataBytes = Math.min(size === 0 || size === 0xffffffff ? b.length - body : size, b.length - body);
      const frames = Math.floor(dataBytes / blockAlign);
      return { sampleRate, channels, bitsPerSample, encoding, frames, seconds: frames / sampleRate, dataOffset: body, dataBytes: frames * blockAlign };
    }
    at = body + size + (size & 1);
  }
  throw new Error(fmt ? 'no data chunk' : 'no fmt chunk');
}

/** WAV samples mixed down to mono float32 in [-1, 1]. */
export function wavToMono(b: Uint8Array, info: WavInfo): Float32Array {
  const view = new DataView(b.buffer, b.byteOffset + info.dataOffset, info.dataBytes);
  const out = new Float32Array(info.frames);
  const bytes = info.bitsPerSample / 8;
  const read = (o: number): number => {
    if (info.encoding === 3) return view.getFloat32(o, true);
    switch (info.bitsPerSample) {
      case 8: return (view.getUint8(o) - 128) / 128;
      case 16: return view.getInt16(o, true) / 32768;
      case 24: return ((view.getUint8(o) | (view.getUint8(o + 1) << 8) | (view.getInt8(o + 2) << 16))) / 8388608;
      default: return view.getInt32(o, true) / 2147483648;
    }
  };
  for (let f = 0; f < info.frames; f++) {
    let sum = 0;
    for (let c = 0; c < info.channels; c++) sum += read((f * info.channels + c) * bytes);
    out[f] = sum / info.channels;
  }
  return out;
}
