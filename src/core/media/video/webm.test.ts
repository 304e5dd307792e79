import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { decoderConfig } from './webcodecs.js';
import { demuxWebm, isWebm, WebmError } from './webm.js';

const fixture = (name: string) => new Uint8Array(readFileSync(join(process.cwd(), 'fixtures', 'videos', `${name}.webm`)));

describe('demuxWebm', () => {
  test('the fixture clip: VP8 64x64, 16 frames 125 ms apart, 2 s, the first one key', () => {
    const v = demuxWebm(fixture('red-dominant'));
    expect(v).toMatchObject({ codecId: 'V_VP8', width: 64, height: 64, seconds: 2 });
    expect(v.frames.map((f) => f.timestamp)).toEqual(Array.from({ length: 16 }, (_, i) => i * 125_000));
    expect(v.frames[0]!.key).toBe(true);
    // VP8's own key-frame bit (bit 0 of the frame tag is 0) agrees with the container's flag.
    expect(v.frames.map((f) => (f.data[0]! & 1) === 0)).toEqual(v.frames.map((f) => f.key));
    expect(decoderConfig(v)).toMatchObject({ codec: 'vp8', codedWidth: 64, codedHeight: 64, colorSpace: { matrix: 'smpte170m', fullRange: false } });
  });

  test('a file cut short keeps the frames before the cut; garbage and non-WebM are refused', () => {
    const bytes = fixture('blue-dominant');
    const cut = demuxWebm(bytes.subarray(0, Math.floor(bytes.length * 0.6)));
    expect(cut.frames.length).toBeGreaterThan(0);
    expect(cut.frames.length).toBeLessThan(16);
    expect(() => demuxWebm(bytes.subarray(0, 40))).toThrow(WebmError);
    expect(isWebm(new Uint8Array([0x89, 0x50, 0x4e, 0x47]))).toBe(false);
    expect(() => demuxWebm(new Uint8Array([1, 2, 3, 4]))).toThrow(/not a WebM/);
  });

  test('codec ids map to WebCodecs codec strings; unknown ones are refused', () => {
    const base = { codecPrivate: null, width: 0, height: 0, matrix: 1, range: 2 };
    expect(decoderConfig({ ...base, codecId: 'V_VP9' })).toMatchObject({ codec: 'vp09.00.10.08', colorSpace: { matrix: 'bt709', fullRange: true } });
    expect(decoderConfig({ ...base, codecId: 'V_MPEG4/ISO/AVC', codecPrivate: Uint8Array.from([1, 0x64, 0, 0x1f, 0xff]) }).codec).toBe('avc1.64001f');
    expect(() => decoderConfig({ ...base, codecId: 'V_THEORA' })).toThrow(/not supported/);
  });
});
