/**
 * The benchmark page: the same streaming request through each path, interleaved round
 * by round so drift hits every path alike. Results go to `window.benchResults`.
 */
import OpenAI from 'openai';
import { createClient, registerGateway } from '../src/client/index.js';
import { BENCH_REQUEST, timeStream, type Sample } from './measure.js';
import type { CompileBench } from './structured.js';

type Path = 'direct' | 'client' | 'sdk';
/** Tokens per request: `?tokens=` (run.mjs passes BENCH_TOKENS). */
const MAX_TOKENS = Number(new URLSearchParams(location.search).get('tokens') ?? BENCH_REQUEST.max_tokens);
const REQUEST = { ...BENCH_REQUEST, max_tokens: MAX_TOKENS };
declare global {
  interface Window {
    runBench(rounds: number): Promise<Record<Path, Sample[]>>;
    runStructuredBench(rounds: number, xgrammarMaxVocab: number): Promise<{ unconstrained: Sample[]; constrained: Sample[]; constrainedXgrammar: Sample[]; compile: CompileBench }>;
    benchReady: boolean;
  }
}

function directWorker() {
  const worker = new Worker(new URL('./direct-worker.ts', import.meta.url), { type: 'module' });
  const call = (op: string, extra: Record<string, unknown> = {}) =>
    new Promise<{ op: string; sample?: Sample; compile?: CompileBench; error?: string }>((resolve) => {
      worker.onmessage = (e) => resolve(e.data);
      worker.postMessage({ op, maxTokens: MAX_TOKENS, ...extra });
    });
  return {
    load: () => call('load'),
    run: async () => (await call('run')).sample!,
    runConstrained: async (engine: 'lazy' | 'xgrammar' = 'lazy') => (await call('run-constrained', { engine })).sample!,
    compile: async (xgrammarMaxVocab = Infinity) => {
      const reply = await call('compile', { xgrammarMaxVocab });
      if (!reply.compile) throw new Error(`grammar bench failed: ${reply.error}`);
      return reply.compile;
    },
  };
}

/** Constrained (JSON schema; lazy engine, then xgrammar) vs free decoding on path (a), interleaved; then compile times. */
window.runStructuredBench = async (rounds, xgrammarMaxVocab) => {
  const direct = directWorker();
  await direct.load();
  const compile = await direct.compile(xgrammarMaxVocab);
  await direct.run();
  await direct.runConstrained('lazy');
  await direct.runConstrained('xgrammar');
  const unconstrained: Sample[] = [];
  const constrained: Sample[] = [];
  const constrainedXgrammar: Sample[] = [];
  for (let r = 0; r < rounds; r++) {
    // Alternating which goes first, as in runBench.
    const order = r % 2 ? (['x', 'l', 'f'] as const) : (['f', 'l', 'x'] as const);
    for (const which of order) {
      if (which === 'f') unconstrained.push(await direct.run());
      else if (which === 'l') constrained.push(await direct.runConstrained('lazy'));
      else constrainedXgrammar.push(await direct.runConstrained('xgrammar'));
    }
  }
  return { unconstrained, constrained, constrainedXgrammar, compile };
};

window.runBench = async (rounds) => {
  const direct = directWorker();
  await direct.load();
  const client = createClient({
    shared: false,
    config: { wasmPaths: '/ort/', models: [{ id: 'tiny-chat', baseUrl: '/models/tiny-chat/', contextLength: 2048 }] },
  });
  await client.models.load('tiny-chat', { device: 'wasm' });
  const gateway = await registerGateway({ client });
  const openai = new OpenAI({ baseURL: gateway.baseURL, apiKey: 'bench', dangerouslyAllowBrowser: true, maxRetries: 0 });

  const results: Record<Path, Sample[]> = { direct: [], client: [], sdk: [] };
  const paths: Array<[Path, () => Promise<Sample>]> = [
    ['direct', () => direct.run()],
    ['client', async () => {
      const start = performance.now();
      return timeStream(start, await client.chat.completions.create(REQUEST));
    }],
    ['sdk', async () => {
      const start = performance.now();
      // ignore_eos is a server extension: the SDK passes unknown body fields through.
      return timeStream(start, await openai.chat.completions.create(REQUEST));
    }],
  ];
  // One warm-up round (shader/JIT/caches), then measured rounds.
  for (const [, run] of paths) await run();
  for (let r = 0; r < rounds; r++) {
    // Alternate the order each round, so no path always runs right after another.
    const order = r % 2 ? [...paths].reverse() : paths;
    for (const [name, run] of order) results[name].push(await run());
  }
  return results;
};
window.benchReady = true;
