import { describe, expect, test } from 'vitest';
import { resample } from './resample.js';

const tone = (hz: number, rate: number, seconds = 0.5) => Float32Array.from({ length: Math.round(rate * seconds) }, (_, i) => Math.sin((2 * Math.PI * hz * i) / rate));
/** Correlation with a reference tone at `hz`: ~0.5 for a unit sine of that frequency. */
const power = (x: Float32Array, hz: number, rate: number) => {
  let s = 0;
  let c = 0;
  for (let i = 0; i < x.length; i++) { s += x[i]! * Math.sin((2 * Math.PI * hz * i) / rate); c += x[i]! * Math.cos((2 * Math.PI * hz * i) / rate); }
  return Math.hypot(s, c) / x.length;
};

describe('resample', () => {
  test('same rate is the same array; lengths follow the ratio', () => {
    const x = tone(440, 16000);
    expect(resample(x, 16000, 16000)).toBe(x);
    expect(resample(x, 48000, 16000).length).toBe(2667);
    expect(resample(x, 8000, 16000).length).toBe(16000);
  });

  test('a tone keeps its frequency, down and up', () => {
    expect(power(resample(tone(440, 44100), 44100, 16000), 440, 16000)).toBeGreaterThan(0.45);
    expect(power(resample(tone(440, 8000), 8000, 16000), 440, 16000)).toBeGreaterThan(0.45);
  });

  test('going down, a tone above the new Nyquist frequency is filtered, not folded back', () => {
    // 12 kHz at 48 kHz would alias to 4 kHz at 16 kHz.
    const out = resample(tone(12000, 48000), 48000, 16000);
    expect(power(out, 4000, 16000)).toBeLessThan(0.05);
  });
});
