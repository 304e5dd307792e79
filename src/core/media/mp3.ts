/**
 * MP3 (MPEG-1/2/2.5 audio) to mono PCM, in any JS context: the engine host runs in a
 * Worker or SharedWorker, where there is no AudioContext and (in a SharedWorker) no
 * WebCodecs AudioDecoder. The decoder is libmpg123 compiled to WASM (`mpg123-decoder`);
 * its wasm is inlined in the package's JS, so nothing is fetched at run time. The module
 * is imported lazily, on the first MP3 clip.
 */

export interface Mp3Pcm {
  samples: Float32Array;
  sampleRate: number;
  seconds: number;
}

export class CorruptMp3Error extends Error {
  override name = 'CorruptMp3Error';
}

export class Mp3TooLongError extends Error {
  override name = 'Mp3TooLongError';
  constructor(readonly seconds: number) {
    super(`the clip is longer than ${seconds.toFixed(1)} s`);
  }
}

/** Input fed to the decoder per call, so decoding stops soon after a clip passes the cap. */
const CHUNK = 16 * 1024;

/**
 * Decodes the whole clip and mixes it down to mono. Stops and throws Mp3TooLongError as
 * soon as more than `maxSeconds` of audio has come out; throws CorruptMp3Error when the
 * bytes yield no audio.
 */
export async function decodeMp3(bytes: Uint8Array, maxSeconds: number): Promise<Mp3Pcm> {
  const { MPEGDecoder } = await import('mpg123-decoder');
  const decoder = new MPEGDecoder();
  try {
    await decoder.ready;
    const chunks: Float32Array[] = [];
    let total = 0;
    let sampleRate = 0;
    for (let at = 0; at < bytes.length; at += CHUNK) {
      const out = decoder.decode(bytes.subarray(at, Math.min(bytes.length, at + CHUNK)));
      if (!out.samplesDecoded) continue;
      if (sampleRate && out.sampleRate !== sampleRate) throw new CorruptMp3Error('the sample rate changes mid-stream');
      sampleRate = out.sampleRate;
      chunks.push(mixDown(out.channelData, out.samplesDecoded));
      total += out.samplesDecoded;
      if (total / sampleRate > maxSeconds) throw new Mp3TooLongError(total / sampleRate);
    }
    if (!total || !sampleRate) throw new CorruptMp3Error('no MPEG audio frames could be decoded');
    const samples = new Float32Array(total);
    let off = 0;
    for (const c of chunks) {
      samples.set(c, off);
      off += c.length;
    }
    return { samples, sampleRate, seconds: total / sampleRate };
  } catch (err) {
    if (err instanceof CorruptMp3Error || err instanceof Mp3TooLongError) throw err;
    throw new CorruptMp3Error((err as Error)?.message || String(err));
  } finally {
    decoder.free();
  }
}

function mixDown(channels: Float32Array[], n: number): Float32Array {
  const out = new Float32Array(n);
  if (!channels.length) return out;
  for (const ch of channels) for (let i = 0; i < n; i++) out[i]! += ch[i]!;
  if (channels.length > 1) for (let i = 0; i < n; i++) out[i]! /= channels.length;
  return out;
}
