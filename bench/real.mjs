/**
 * The real-size section of `npm run bench`: bench-size models (random weights at real
 * models' shapes, `npm run bench:models`) in real Chromium on WASM, and native
 * onnxruntime on the same files as the CPU ceiling. See bench/real-page.ts.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { median, pairedRatio } from './stats.mjs';

const MODELS = 'public/models';
const FILES = { fp32: 'model.onnx', q8: 'model_quantized.onnx' };

/** Bench-size model folders (`bench-*` with a config.json) and the dtypes they have files for (q8 is required). */
export function realModels() {
  if (!existsSync(MODELS)) return [];
  return readdirSync(MODELS)
    .filter((name) => name.startsWith('bench-') && existsSync(join(MODELS, name, 'config.json')))
    .map((name) => ({ name, dtypes: Object.keys(FILES).filter((d) => existsSync(join(MODELS, name, 'onnx', FILES[d]))) }))
    .filter((m) => m.dtypes.includes('q8'));
}

/** Native onnxruntime (Python, one thread) per dtype, or the reason it did not run. */
export function runNative(model, options) {
  const out = {};
  for (const dtype of model.dtypes) {
    try {
      const file = join(MODELS, model.name, 'onnx', FILES[dtype]);
      const json = execFileSync('python3', ['bench/native_ort.py', file, '30', String(options.tokens), String(Math.min(options.rounds, 3))], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
      out[dtype] = JSON.parse(json.trim().split('\n').at(-1));
    } catch (err) {
      out[dtype] = { error: String(err.message ?? err).split('\n')[0] };
    }
  }
  return out;
}

const f = (x, d = 1) => x.toFixed(d);

export function reportReal(model, o, r, native) {
  const where = `WASM, Chromium, ${r.cores} logical cores reported, cross-origin isolated: ${r.isolated}`;
  console.log(`\nreal-size bench — ${model.name} (${where}); ${o.rounds} interleaved rounds, ${o.tokens} tokens per request, greedy; medians`);
  console.log('path                                   threads  tokens/s    TTFT ms');
  const row = (label, threads, samples) =>
    console.log(`${label.padEnd(39)}${String(threads).padStart(7)}${f(median(samples.map((s) => s.decodeTokPerS))).padStart(10)}${f(median(samples.map((s) => s.ttftMs)), 0).padStart(11)}`);
  for (const dtype of o.dtypes) {
    row(`webinfer (in-page client) ${dtype}`, 1, r.decode[`webinfer ${dtype} 1t`]);
    row(`plain transformers.js worker ${dtype}`, 1, r.decode[`transformers.js ${dtype} 1t`]);
    const n = native[dtype];
    if (n?.decode_tok_s) console.log(`${`native onnxruntime (Python) ${dtype}`.padEnd(39)}${'1'.padStart(7)}${f(median(n.decode_tok_s)).padStart(10)}${f(median(n.ttft_ms), 0).padStart(11)}`);
    else console.log(`native onnxruntime (Python) ${dtype}: not run (${n?.error ?? 'python3 with onnxruntime needed'})`);
  }
  row('webinfer (in-page client) q8', r.isolated ? r.threads : 1, r.decode['webinfer q8 all']);
  const placed = (p) => (p ? `${p.where}` : 'unknown');
  row(`SharedWorker host -> ${placed(r.placement.one)} q8`, r.placement.one?.threads ?? '?', r.decode['placed q8 1t']);
  row(`SharedWorker host -> ${placed(r.placement.all)} q8`, r.placement.all?.threads ?? '?', r.decode['placed q8 all']);
  console.log('');
  for (const dtype of o.dtypes) {
    const { ratio, lo, hi, verdict } = pairedRatio(r.decode[`webinfer ${dtype} 1t`], r.decode[`transformers.js ${dtype} 1t`], 0.98);
    console.log(`${dtype}, 1 thread: webinfer / plain transformers.js tokens/s ${f(ratio, 3)} [95% ${f(lo, 3)}-${f(hi, 3)}] (target >= 0.98) ${verdict}`);
    const ttft = pairedRatio(r.decode[`webinfer ${dtype} 1t`], r.decode[`transformers.js ${dtype} 1t`], Infinity, 'ttftMs');
    console.log(`${dtype}, 1 thread: webinfer / plain transformers.js TTFT ${f(ttft.ratio, 3)} [95% ${f(ttft.lo, 3)}-${f(ttft.hi, 3)}] (no cache; q8 prefills in 64-position blocks, the price of an exact prefix cache)`);
    const n = native[dtype];
    if (n?.decode_tok_s) console.log(`${dtype}, 1 thread: webinfer / native onnxruntime tokens/s ${f(median(r.decode[`webinfer ${dtype} 1t`].map((s) => s.decodeTokPerS)) / median(n.decode_tok_s), 2)} (medians; the CPU ceiling)`);
  }
  const threads = pairedRatio(r.decode['webinfer q8 all'], r.decode['webinfer q8 1t'], 1.6);
  console.log(`q8, all threads (${r.threads}) / 1 thread tokens/s ${f(threads.ratio, 3)} [95% ${f(threads.lo, 3)}-${f(threads.hi, 3)}] (target >= 1.6) ${threads.verdict}`);
  const placedThreads = pairedRatio(r.decode['placed q8 all'], r.decode['placed q8 1t'], 1.6);
  console.log(`q8 through the default placement (SharedWorker host -> engine worker), all threads (${r.placement.all?.threads ?? '?'}) / 1 thread tokens/s ${f(placedThreads.ratio, 3)} [95% ${f(placedThreads.lo, 3)}-${f(placedThreads.hi, 3)}] (target >= 1.6) ${placedThreads.verdict}`);

  const byTurn = (runs, turn) => runs.map((c) => c[turn - 1]);
  console.log(`\nmulti-turn chat, q8, 1 thread, prefix cache (default) against none: TTFT per turn (median of ${o.conversations} conversations; 16 tokens per reply)`);
  console.log('turn   prompt tokens   cached   TTFT cached ms   TTFT no cache ms');
  for (let t = 1; t <= o.turns; t++) {
    const c = byTurn(r.turns.cached, t);
    const p = byTurn(r.turns.plain, t);
    console.log(`${String(t).padStart(4)}${f(median(c.map((s) => s.promptTokens)), 0).padStart(16)}${f(median(c.map((s) => s.cachedTokens ?? 0)), 0).padStart(9)}${f(median(c.map((s) => s.ttftMs)), 0).padStart(17)}${f(median(p.map((s) => s.ttftMs)), 0).padStart(19)}`);
  }
  const last = median(byTurn(r.turns.cached, o.turns).map((s) => s.ttftMs)) / median(byTurn(r.turns.cached, 1).map((s) => s.ttftMs));
  const lastPlain = median(byTurn(r.turns.plain, o.turns).map((s) => s.ttftMs)) / median(byTurn(r.turns.plain, 1).map((s) => s.ttftMs));
  console.log(`TTFT turn ${o.turns} / turn 1: ${f(last, 2)} with the prefix cache, ${f(lastPlain, 2)} without`);

  console.log(`\nn choices, q8, 1 thread, ${r.n.promptTokens}-token prompt, 16 tokens per choice: wall time (median of ${o.nRounds})`);
  console.log(`n=1 ${f(median(r.n.n1), 0)} ms; n=4 ${f(median(r.n.n4), 0)} ms (x${f(median(r.n.n4) / median(r.n.n1), 2)}); n=4 without the prefix cache ${f(median(r.n.n4Plain), 0)} ms (x${f(median(r.n.n4Plain) / median(r.n.n1), 2)})`);
}
