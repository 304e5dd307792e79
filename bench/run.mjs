#!/usr/bin/env node
/**
 * `npm run bench`: one run in real Chromium on the tiny model (WASM, where per-token
 * overhead dominates), every path measured side by side, then ratios against the engine
 * called directly in its worker.
 */
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import { isolation } from './isolation.mjs';
import { reportReal, realModels, runNative } from './real.mjs';
import { median, pairedRatio } from './stats.mjs';
import { chromium } from 'playwright-core';
import { createServer } from 'vite';
import { runGgufBench } from './gguf-run.mjs';

// Per-request speed on a small shared VM varies by ~10% from one request to the next
// (the host's other tenants, frequency changes), so ratios need many paired rounds.
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 121);
const TOKENS = Number(process.env.BENCH_TOKENS ?? 512);
const STRUCTURED_ROUNDS = Number(process.env.BENCH_STRUCTURED_ROUNDS ?? 61);
/** The largest vocabulary xgrammar's compile is measured on (it takes minutes at 151,936 tokens on a 2-core VM). */
const XGRAMMAR_MAX_VOCAB = Number(process.env.BENCH_XGRAMMAR_MAX_VOCAB ?? Infinity);
/** Constrained vs free rounds on the real-size bench model (bench-135m, where linked in), and tokens per request. */
const REAL_STRUCTURED_ROUNDS = Number(process.env.BENCH_REAL_STRUCTURED_ROUNDS ?? 3);
const REAL_STRUCTURED_TOKENS = Number(process.env.BENCH_REAL_STRUCTURED_TOKENS ?? 64);
/** BENCH_ONLY=paths, structured, real or gguf runs one part. */
const ONLY = process.env.BENCH_ONLY;
const ARGS = ['--no-sandbox', '--headless=new', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

execFileSync(process.execPath, ['scripts/gen-models.mjs', '--quiet'], { stdio: 'inherit' });
if (ONLY !== 'gguf') await runBrowserParts();
if (!ONLY || ONLY === 'gguf') await runGgufBench({ args: ARGS, executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium' });

/** The tiny-model paths, structured output and the real-size section, in one Chromium. */
async function runBrowserParts() {
  // Cross-origin isolated pages (COOP/COEP on every response): WASM threads are possible
  // in their dedicated workers (the real-size section compares 1 thread with all).
  const server = await createServer({ configFile: 'vite.config.ts', plugins: [isolation], server: { port: 0, host: '127.0.0.1', hmr: false }, logLevel: 'warn' });
  await server.listen();
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: ARGS });
  try {
    if (ONLY === undefined || ONLY === 'paths' || ONLY === 'structured') {
      const page = await browser.newPage();
      page.on('pageerror', (e) => console.error('[page]', e));
      await page.goto(`${server.resolvedUrls.local[0]}bench/?tokens=${TOKENS}`);
      await page.waitForFunction(() => window.benchReady, null, { timeout: 60_000 });
      if (ONLY !== 'structured') report(await page.evaluate((rounds) => window.runBench(rounds), ROUNDS));
      if (ONLY !== 'paths') reportStructured(await page.evaluate(([rounds, max, real]) => window.runStructuredBench(rounds, max, real), [STRUCTURED_ROUNDS, XGRAMMAR_MAX_VOCAB, { rounds: REAL_STRUCTURED_ROUNDS, tokens: REAL_STRUCTURED_TOKENS }]));
    }
    if (ONLY === undefined || ONLY === 'real') await realSection(browser, server.resolvedUrls.local[0]);
  } finally {
    await browser.close();
    await server.close();
  }
}

/** The real-size section: each bench-size model in turn, then native onnxruntime on the same files. */
async function realSection(browser, url) {
  const models = realModels();
  if (!models.length) {
    console.log('\nreal-size bench skipped: no bench-size models in public/models/ (generate them with `npm run bench:models`)');
    return;
  }
  for (const model of models) {
    const page = await browser.newPage();
    page.on('pageerror', (e) => console.error('[page]', e));
    // Progress lines from the page (a real-size run takes minutes).
    page.on('console', (m) => { if (m.text().startsWith('[bench]')) console.error(m.text()); });
    await page.goto(`${url}bench/real.html`);
    await page.waitForFunction(() => window.realReady, null, { timeout: 60_000 });
    const options = {
      model: model.name,
      dtypes: model.dtypes.filter((d) => (process.env.BENCH_REAL_DTYPES ?? 'q8,fp32').split(',').includes(d)),
      rounds: Number(process.env.BENCH_REAL_ROUNDS ?? 6),
      tokens: Number(process.env.BENCH_REAL_TOKENS ?? 64),
      turns: 8,
      conversations: Number(process.env.BENCH_REAL_CONVERSATIONS ?? 2),
      nRounds: Number(process.env.BENCH_REAL_N_ROUNDS ?? 3),
    };
    const results = await page.evaluate((o) => window.runReal(o), options);
    await page.close();
    reportReal(model, options, results, runNative(model, options));
  }
}

function report(results) {
  const label = { direct: '(a) engine in worker', client: '(b) in-page client', sdk: '(c) openai SDK via SW /v1' };
  const rows = Object.entries(results)
    .filter(([, samples]) => samples.length)
    .map(([path, samples]) => ({
      path,
      tps: median(samples.map((s) => s.decodeTokPerS)),
      ttft: median(samples.map((s) => s.ttftMs)),
      tokens: samples[0].tokens,
    }));
  const a = rows.find((r) => r.path === 'direct');
  console.log(`\nwebinfer bench — tiny-chat on WASM, ${ROUNDS} rounds, medians, ${a.tokens} tokens per request\n`);
  console.log('path                          tokens/s     TTFT ms');
  for (const r of rows) console.log(`${label[r.path].padEnd(30)}${r.tps.toFixed(0).padStart(8)}${r.ttft.toFixed(1).padStart(12)}`);
  console.log('');
  const targets = { client: { ratio: 0.99, ttft: 3 }, sdk: { ratio: 0.97, ttft: 10 } };
  // Paired per round (each path ran next to (a) in the same round, order alternating), so
  // drift cancels out: the geometric mean of the per-round ratios, with its 95% interval.
  const direct = results.direct;
  for (const r of rows) {
    if (r.path === 'direct') continue;
    const t = targets[r.path];
    const samples = results[r.path];
    const { ratio, lo, hi, verdict } = pairedRatio(samples, direct, t.ratio);
    const extra = median(samples.map((s, i) => s.ttftMs - direct[i].ttftMs));
    const key = r.path === 'client' ? 'b/a' : 'c/a';
    console.log(
      `${key} tokens/s ratio ${ratio.toFixed(3)} [95% ${lo.toFixed(3)}-${hi.toFixed(3)}] (target >= ${t.ratio}) ${verdict}; ` +
        `TTFT overhead ${extra.toFixed(1)} ms (target <= ${t.ttft}) ${extra <= t.ttft ? 'ok' : 'MISSED'}`,
    );
  }
}

function navigatorCores() {
  return os.availableParallelism?.() ?? os.cpus().length;
}

function reportConstrained({ unconstrained, constrained, constrainedXgrammar }) {
  const free = median(unconstrained.map((s) => s.decodeTokPerS));
  console.log('decoding                        tokens/s     TTFT ms   constrained/free tokens/s [95%]');
  console.log(`${'free text'.padEnd(32)}${free.toFixed(0).padStart(8)}${median(unconstrained.map((s) => s.ttftMs)).toFixed(1).padStart(12)}`);
  for (const [name, samples] of [['json_schema, lazy engine', constrained], ['json_schema, xgrammar', constrainedXgrammar]]) {
    const { ratio, lo, hi, verdict } = pairedRatio(samples, unconstrained, 0.95);
    console.log(
      `${name.padEnd(32)}${median(samples.map((s) => s.decodeTokPerS)).toFixed(0).padStart(8)}${median(samples.map((s) => s.ttftMs)).toFixed(1).padStart(12)}` +
        `   ${ratio.toFixed(3)} [${lo.toFixed(3)}-${hi.toFixed(3)}] (target >= 0.95) ${verdict}`,
    );
  }
}

function reportStructured({ unconstrained, constrained, constrainedXgrammar, compile, real }) {
  console.log(`\nstructured output — path (a), ${STRUCTURED_ROUNDS} rounds interleaved, medians, ${constrained[0].tokens} tokens per request`);
  reportConstrained({ unconstrained, constrained, constrainedXgrammar });
  if (real) {
    console.log(`\n${real.model}, mid-sized schema vs free text, WASM, ${real.constrained.length} rounds, ${real.tokens} tokens max per request`);
    reportConstrained(real);
  }
  console.log(`\ngrammar, mid-sized schema (${compile.ebnfBytes} bytes of EBNF):`);
  console.log(`  xgrammar module init (once per worker)   ${compile.initMs.toFixed(1)} ms`);
  console.log(`  schema -> EBNF (checks + our rules)       ${compile.lowerMs.toFixed(1)} ms`);
  console.log(`  ${'vocabulary'.padEnd(61)}engine     tables ms   cold ms   warm ms   mask p50/p99/max us (1st gen)   p50/p99 us (2nd gen)`);
  for (const v of compile.vocabs) {
    console.log(
      `  ${`${v.name}, ${v.size}`.padEnd(60)} ${v.engine.padEnd(9)}${v.tokenizerMs.toFixed(0).padStart(11)}${v.coldMs.toFixed(0).padStart(10)}` +
        `${v.warmMs.toFixed(2).padStart(10)}${`${v.maskP50Us.toFixed(0)}/${v.maskP99Us.toFixed(0)}/${v.maskMaxUs.toFixed(0)}`.padStart(32)}` +
        `${`${v.againP50Us.toFixed(0)}/${v.againP99Us.toFixed(0)}`.padStart(23)}`,
    );
  }
  console.log(`  (tables: once per model; mask: TokenMask.next over ${compile.vocabs[0].steps} steps of a valid instance as greedy longest-match tokens (tiny-chat), in a first and a second generation; warm: cached compile + new matcher)`);
  console.log(`  (${navigatorCores()} cores on this machine, shared: figures are noisy)`);
}
