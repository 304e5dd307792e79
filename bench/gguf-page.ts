/**
 * The GGUF-vs-ONNX bench page: one variant (engine, file, threads, device) per call, on a
 * dedicated-worker host (the GGUF engine needs one), the same streaming request timed as
 * in the paths bench. Random weights like lone bytes, which wllama cannot stream: every
 * variant bans the 128 tokens that are single bytes 0x80-0xFF (logit_bias), so all run
 * the same request.
 */
import { createClient } from '../src/client/index.js';
import { timeStream, type Sample } from './measure.js';

interface Variant {
  label: string;
  model: { id: string; engine: string; baseUrl: string; options?: Record<string, unknown> };
  device: 'wasm' | 'webgpu';
}

/** GPT-2's byte -> character table: the tokens that are one non-ASCII byte. */
function loneByteTokens(vocab: Record<string, number>): number[] {
  const printable = (b: number) => (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255);
  const chars = new Map<number, string>();
  let n = 0;
  for (let b = 0; b < 256; b++) chars.set(b, String.fromCharCode(printable(b) ? b : 256 + n++));
  const ids: number[] = [];
  for (let b = 0x80; b < 0x100; b++) {
    const id = vocab[chars.get(b)!];
    if (id !== undefined) ids.push(id);
  }
  return ids;
}

async function runVariant(v: Variant, tokens: number, rounds: number, tokenizerUrl: string) {
  const tokenizer = await (await fetch(tokenizerUrl)).json();
  const logit_bias = Object.fromEntries(loneByteTokens(tokenizer.model.vocab).map((id) => [id, -100]));
  const client = createClient({ shared: false, config: { wasmPaths: '/ort/', models: [v.model] } });
  const t0 = performance.now();
  const info = await client.models.load(v.model.id, { device: v.device });
  const loadMs = performance.now() - t0;
  const request = { model: v.model.id, messages: [{ role: 'user' as const, content: 'Hi' }], temperature: 0, ignore_eos: true, stream: true as const, logit_bias };
  await timeStream(performance.now(), await client.chat.completions.create({ ...request, max_tokens: 4 }));
  const samples: Sample[] = [];
  for (let i = 0; i < rounds; i++) {
    const start = performance.now();
    samples.push(await timeStream(start, await client.chat.completions.create({ ...request, max_tokens: tokens })));
  }
  await client.models.unload(v.model.id);
  // Each variant has its own dedicated host: end it, or earlier variants' workers (and
  // wllama's) stay alive beside the next one.
  client.close();
  return { label: v.label, device: info.device, loadMs, samples, isolated: crossOriginIsolated, cores: navigator.hardwareConcurrency };
}

async function gpuAdapter(): Promise<string | null> {
  const adapter = await (navigator as any).gpu?.requestAdapter().catch(() => null);
  return adapter ? `${adapter.info?.vendor ?? ''} ${adapter.info?.architecture ?? ''}`.trim() || 'unknown' : null;
}

Object.assign(window, { runVariant, gpuAdapter, ggufBenchReady: true });
