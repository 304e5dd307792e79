import { describe, expect, test } from 'vitest';
import { mp3Frame } from '../../../tests/support/media-fixtures.js';
import { mp3Tone } from '../../../tests/support/mp3-fixture.js';
import { CorruptMp3Error, decodeMp3, Mp3TooLongError } from './mp3.js';
import { sniffAudio } from './sniff.js';

/** The tone's frequency: upward crossings (with hysteresis) over the middle half of the clip. */
function frequency(samples: Float32Array, sampleRate: number): number {
  const mid = samples.subarray(Math.floor(samples.length / 4), Math.floor((samples.length * 3) / 4));
  let ups = 0;
  let low = false;
  for (const x of mid) {
    if (x < -0.1) low = true;
    else if (low && x > 0.1) { ups++; low = false; }
  }
  return ups * (sampleRate / mid.length);
}

describe('MP3 decoding (mpg123 WASM)', () => {
  test('the fixture is deterministic and sniffs as MP3', () => {
    const a = mp3Tone(300, 0.5, 22050);
    expect(sniffAudio(a)).toBe('mp3');
    expect(Array.from(mp3Tone(300, 0.5, 22050))).toEqual(Array.from(a));
  });

  test.each([
    [300, 0.5, 22050, 1 as const, 64],
    [4000, 0.4, 44100, 2 as const, 128],
    [1000, 1, 16000, 1 as const, 32],
  ])('%i Hz, %f s at %i Hz, %i channel(s), %i kbit/s: mono PCM at the source rate, the tone kept', async (freq, seconds, rate, channels, kbps) => {
    const pcm = await decodeMp3(mp3Tone(freq, seconds, rate, channels, kbps), 120);
    expect(pcm.sampleRate).toBe(rate);
    expect(pcm.samples.length).toBe(Math.round(pcm.seconds * rate));
    // The encoder adds a frame or two of delay and padding.
    expect(pcm.seconds).toBeGreaterThanOrEqual(seconds);
    expect(pcm.seconds).toBeLessThan(seconds + 0.25);
    const peak = pcm.samples.reduce((m, x) => Math.max(m, Math.abs(x)), 0);
    expect(peak).toBeGreaterThan(0.35);
    expect(peak).toBeLessThanOrEqual(1);
    expect(Math.abs(frequency(pcm.samples, rate) - freq) / freq).toBeLessThan(0.1);
  });

  test('longer than the cap: Mp3TooLongError, without decoding the rest', async () => {
    await expect(decodeMp3(mp3Tone(440, 3, 16000, 1, 32), 1)).rejects.toBeInstanceOf(Mp3TooLongError);
    await expect(decodeMp3(mp3Tone(440, 1, 16000, 1, 32), 2)).resolves.toMatchObject({ sampleRate: 16000 });
  });

  test('bytes with no decodable frame: CorruptMp3Error', async () => {
    await expect(decodeMp3(mp3Frame(), 120)).rejects.toBeInstanceOf(CorruptMp3Error);
    await expect(decodeMp3(Uint8Array.from([0x49, 0x44, 0x33, 4, 0, 0, 0, 0, 0, 0, ...new Array(300).fill(0x55)]), 120)).rejects.toBeInstanceOf(CorruptMp3Error);
    await expect(decodeMp3(new Uint8Array(0), 120)).rejects.toBeInstanceOf(CorruptMp3Error);
  });
});
