/**
 * Mono PCM to another sample rate: a windowed-sinc low-pass when going down (so a tone
 * above the new Nyquist frequency does not fold back as a false low tone), linear
 * interpolation when going up. Enough for speech/audio encoders; not a mastering tool.
 */
export function resample(samples: Float32Array, from: number, to: number): Float32Array {
  if (from === to || samples.length === 0) return samples;
  const ratio = from / to;
  const out = new Float32Array(Math.max(1, Math.round(samples.length / ratio)));
  if (ratio <= 1) {
    for (let i = 0; i < out.length; i++) {
      const x = i * ratio;
      const a = Math.floor(x);
      const b = Math.min(a + 1, samples.length - 1);
      out[i] = samples[a]! + (samples[b]! - samples[a]!) * (x - a);
    }
    return out;
  }
  // Down: sinc kernel with cutoff at the new Nyquist, Hann window, 8 zero crossings each side.
  const cutoff = 1 / ratio;
  const half = Math.ceil(8 * ratio);
  for (let i = 0; i < out.length; i++) {
    const center = i * ratio;
    const lo = Math.max(0, Math.ceil(center - half));
    const hi = Math.min(samples.length - 1, Math.floor(center + half));
    let sum = 0;
    let norm = 0;
    for (let j = lo; j <= hi; j++) {
      const t = j - center;
      const sinc = t === 0 ? 1 : Math.sin(Math.PI * cutoff * t) / (Math.PI * cutoff * t);
      const w = 0.5 + 0.5 * Math.cos((Math.PI * t) / (half + 1));
      const k = sinc * w;
      sum += samples[j]! * k;
      norm += k;
    }
    out[i] = norm ? sum / norm : 0;
  }
  return out;
}
