import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { runInNewContext } from 'node:vm';

/**
 * Deterministic MP3 fixtures for tests (Node only), encoded here rather than committed as
 * binaries: a sine tone through lamejs (pure JS LAME). The package's CommonJS entry is
 * broken (MPEGMode is not defined), so its self-contained `lame.all.js` build is run in a
 * fresh VM context.
 */
interface Lame {
  Mp3Encoder: new (channels: number, sampleRate: number, kbps: number) => {
    encodeBuffer(left: Int16Array, right?: Int16Array): Int8Array;
    flush(): Int8Array;
  };
}

let lame: Lame | undefined;

function load(): Lame {
  if (!lame) {
    const file = createRequire(import.meta.url).resolve('lamejs/lame.all.js');
    const sandbox: { lame?: Lame } = {};
    runInNewContext(`${readFileSync(file, 'utf8')}\n;this.lame = lamejs;`, sandbox);
    lame = sandbox.lame!;
  }
  return lame;
}

/** An MP3 of a sine tone (`freq` 0 gives silence). */
export function mp3Tone(freq: number, seconds: number, sampleRate = 44100, channels: 1 | 2 = 1, kbps = 128, amplitude = 0.5): Uint8Array<ArrayBuffer> {
  const n = Math.round(seconds * sampleRate);
  const pcm = new Int16Array(n);
  for (let i = 0; i < n; i++) pcm[i] = Math.round(Math.sin((2 * Math.PI * freq * i) / sampleRate) * amplitude * 32767);
  const encoder = new (load().Mp3Encoder)(channels, sampleRate, kbps);
  const parts: Int8Array[] = [];
  const block = 1152;
  for (let at = 0; at < n; at += block) {
    const chunk = pcm.subarray(at, at + block);
    parts.push(channels === 2 ? encoder.encodeBuffer(chunk, chunk) : encoder.encodeBuffer(chunk));
  }
  parts.push(encoder.flush());
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(new Uint8Array(p.buffer, p.byteOffset, p.length), off);
    off += p.length;
  }
  return out;
}
