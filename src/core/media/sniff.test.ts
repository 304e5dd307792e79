import { describe, expect, test } from 'vitest';
import { bmp, gif, jpeg, mp3Frame, png, wav, webpLossless } from '../../../tests/support/media-fixtures.js';
import { describeUnsupported, parseWav, sniffAudio, sniffImage, wavToMono } from './sniff.js';

const text = (s: string) => new TextEncoder().encode(s);

describe('sniffImage', () => {
  test.each([
    ['png', png(640, 480), 'image/png'],
    ['jpeg', jpeg(800, 600), 'image/jpeg'],
    ['gif', gif(320, 200), 'image/gif'],
    ['webp (lossless)', webpLossless(1000, 700), 'image/webp'],
    ['bmp (top-down)', bmp(12, 34), 'image/bmp'],
  ])('%s: type and size from the header', (_name, bytes, mime) => {
    const info = sniffImage(bytes)!;
    expect(info.mime).toBe(mime);
    expect([info.width, info.height]).toEqual(
      mime === 'image/png' ? [640, 480] : mime === 'image/jpeg' ? [800, 600] : mime === 'image/gif' ? [320, 200] : mime === 'image/webp' ? [1000, 700] : [12, 34],
    );
  });

  test('the declared type means nothing: only the bytes count', () => {
    expect(sniffImage(text('<svg xmlns="http://www.w3.org/2000/svg"></svg>'))).toBeNull();
    expect(sniffImage(text('hello'))).toBeNull();
    expect(sniffImage(new Uint8Array(0))).toBeNull();
  });

  test('a truncated PNG or JPEG header has no size', () => {
    expect(sniffImage(png(10, 10).subarray(0, 12))).toEqual({ mime: 'image/png', width: null, height: null });
    expect(sniffImage(jpeg(10, 10).subarray(0, 22))).toMatchObject({ mime: 'image/jpeg', width: null });
  });

  test('recognised but refused formats are named', () => {
    expect(describeUnsupported(text('  <svg width="1"/>'))).toBe('SVG');
    expect(describeUnsupported(text('<!DOCTYPE html><html>'))).toBe('HTML');
    expect(describeUnsupported(text('%PDF-1.7'))).toBe('PDF');
    expect(describeUnsupported(wav(0.01))).toBe('WAV audio');
    expect(describeUnsupported(text('just text'))).toBeNull();
  });
});

describe('audio', () => {
  test('WAV and MP3 are told apart by their bytes', () => {
    expect(sniffAudio(wav(0.1))).toBe('wav');
    expect(sniffAudio(mp3Frame())).toBe('mp3');
    expect(sniffAudio(Uint8Array.from([0x49, 0x44, 0x33, 4, 0, 0, 0, 0, 0, 0, 0]))).toBe('mp3');
    expect(sniffAudio(png(1, 1))).toBeNull();
    expect(sniffAudio(text('OggS....'))).toBeNull();
  });

  test('parseWav reads the format and the duration; wavToMono mixes channels', () => {
    const info = parseWav(wav(0.5, { sampleRate: 16000, channels: 2 }));
    expect(info).toMatchObject({ sampleRate: 16000, channels: 2, bitsPerSample: 16, encoding: 1, frames: 8000, seconds: 0.5 });
    const mono = wavToMono(wav(0.5, { sampleRate: 16000, channels: 2 }), info);
    expect(mono.length).toBe(8000);
    expect(mono[1]).toBeCloseTo(100 / 32768, 6);
  });

  test('parseWav refuses what it cannot read', () => {
    const broken = wav(0.1);
    broken.set(text('fmtX'), 12);
    expect(() => parseWav(broken)).toThrow(/data chunk before fmt chunk/);
    expect(() => parseWav(png(1, 1))).toThrow(/not a RIFF/);
    const adpcm = wav(0.1);
    new DataView(adpcm.buffer).setUint16(20, 2, true);
    expect(() => parseWav(adpcm)).toThrow(/encoding 2/);
  });
});
