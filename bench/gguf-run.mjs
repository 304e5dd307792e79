/**
 * BENCH_ONLY=gguf (also part of the full `npm run bench`): the same bench-size model as
 * GGUF (Q8_0, Q4_0, llama.cpp through wllama) and ONNX (q8, fp32, transformers.js) on WASM
 * with one thread and with all threads (the page is cross-origin isolated), and on WebGPU
 * when the browser has a real adapter (SwiftShader is far too slow at this size).
 * Needs `npm run bench:models` (public/models/bench-135m/); the GGUF files are converted
 * from it by scripts/fixtures/gen_gguf.py on first use. Skipped with a message otherwise.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { chromium } from 'playwright-core';
import { createServer } from 'vite';
import { isolation } from './isolation.mjs';

const MODEL = process.env.BENCH_GGUF_MODEL ?? 'bench-135m';
const TOKENS = Number(process.env.BENCH_GGUF_TOKENS ?? 64);
const ROUNDS = Number(process.env.BENCH_GGUF_ROUNDS ?? 3);

export async function runGgufBench({ args, executablePath }) {
  const hf = `public/models/${MODEL}`;
  if (!existsSync(`${hf}/model.safetensors`)) {
    console.log(`\nGGUF bench skipped: ${hf}/ is missing (run npm run bench:models first).`);
    return;
  }
  const gguf = `public/models/${MODEL}-gguf`;
  if (!existsSync(`${gguf}/SHA256SUMS`) || statSync(`${gguf}/SHA256SUMS`).mtimeMs < statSync(`${hf}/model.safetensors`).mtimeMs) {
    console.log(`converting ${hf} to GGUF (Q8_0, Q4_0)...`);
    execFileSync('python3', ['scripts/fixtures/gen_gguf.py', 'public/models', hf, '--types', 'q8_0,q4_0', '--bench'], { stdio: 'inherit' });
  }
  // Threads need cross-origin isolation (SharedArrayBuffer): COOP/COEP on every response.
  const server = await createServer({ configFile: 'vite.config.ts', plugins: [isolation], server: { port: 0, host: '127.0.0.1', hmr: false }, logLevel: 'warn' });
  await server.listen();
  const browser = await chromium.launch({ executablePath, args: [...args, '--enable-unsafe-webgpu', '--enable-features=Vulkan'] });
  try {
    const page = await browser.newPage();
    page.on('pageerror', (e) => console.error('[page]', e));
    await page.goto(`${server.resolvedUrls.local[0]}bench/gguf.html`);
    await page.waitForFunction(() => window.ggufBenchReady, null, { timeout: 60_000 });
    const cores = await page.evaluate(() => navigator.hardwareConcurrency);
    const gpu = await page.evaluate(() => window.gpuAdapter());
    const base = `/models/${MODEL}/`;
    const variants = [];
    for (const threads of [1, cores]) {
      for (const q of ['q8_0', 'q4_0']) {
        variants.push({ label: `GGUF ${q.toUpperCase()} WASM ${threads} thread${threads > 1 ? 's' : ''}`, device: 'wasm', model: { id: `${MODEL}-${q}-t${threads}`, engine: 'gguf', baseUrl: `/models/${MODEL}-gguf/model-${q}.gguf`, options: { n_threads: threads } } });
      }
    }
    // transformers.js: onnxruntime-web picks its own thread count in an isolated page.
    for (const [dtype, file] of [['q8', 'model_quantized.onnx'], ['fp32', 'model.onnx']]) {
      if (existsSync(`${hf}/onnx/${file}`)) variants.push({ label: `ONNX ${dtype} WASM (ORT threads)`, device: 'wasm', model: { id: `${MODEL}-onnx-${dtype}`, engine: 'transformers', baseUrl: base, options: { dtype } } });
    }
    if (gpu && !/swiftshader/i.test(gpu)) {
      variants.push({ label: 'GGUF Q4_0 WebGPU', device: 'webgpu', model: { id: `${MODEL}-q4_0-gpu`, engine: 'gguf', baseUrl: `/models/${MODEL}-gguf/model-q4_0.gguf` } });
      if (existsSync(`${hf}/onnx/model_q4f16.onnx`)) variants.push({ label: 'ONNX q4f16 WebGPU', device: 'webgpu', model: { id: `${MODEL}-onnx-gpu`, engine: 'transformers', baseUrl: base, options: { dtype: 'q4f16' } } });
    }
    const rows = [];
    for (const v of variants) {
      console.log(`  ${v.label}...`);
      try {
        rows.push(await page.evaluate(([v, t, r, tok]) => window.runVariant(v, t, r, tok), [v, TOKENS, ROUNDS, `${base}tokenizer.json`]));
      } catch (err) {
        rows.push({ label: v.label, error: String(err).split('\n')[0] });
      }
    }
    console.log(`\nGGUF vs ONNX — ${MODEL}, ${TOKENS} tokens, ${ROUNDS} rounds, medians; ${cores} cores, WebGPU: ${gpu ?? 'none'}${gpu && /swiftshader/i.test(gpu) ? ' (skipped)' : ''}`);
    console.log('variant                              device   tokens/s   TTFT ms   load ms');
    for (const r of rows) {
      if (r.error) { console.log(`${r.label.padEnd(37)}failed: ${r.error}`); continue; }
      const tps = median(r.samples.map((s) => s.decodeTokPerS));
      const ttft = median(r.samples.map((s) => s.ttftMs));
      console.log(`${r.label.padEnd(37)}${r.device.padEnd(9)}${tps.toFixed(1).padStart(8)}${ttft.toFixed(0).padStart(10)}${r.loadMs.toFixed(0).padStart(10)}`);
    }
    console.log(`(page crossOriginIsolated: ${rows.find((r) => !r.error)?.isolated ?? 'n/a'}; figures are noisy on a shared VM)`);
  } finally {
    await browser.close();
    await server.close();
  }
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}
