/**
 * The benchmark page: the same streaming request through each path, interleaved round
 * by round so drift hits every path alike. Results go to `window.benchResults`.
 */
import OpenAI from 'openai';
import { createClient, registerGateway } from '../src/client/index.js';
import { BENCH_REQUEST, timeStream, type Sample } from './measure.js';
import type { CompileBench } from './structured.js';

type Path = 'direct' | 'client' | 'sdk';
interface ConstrainedRuns {
  unconstrained: Sample[];
  constrained: Sample[];
  constrainedXgrammar: Sample[];
}
type StructuredResult = ConstrainedRuns & { compile: CompileBench; real: (ConstrainedRuns & { model: string; tokens: number }) | null };
/** Tokens per request: `?tokens=` (run.mjs passes BENCH_TOKENS). */
const MAX_TOKENS = Number(new URLSearchParams(location.search).get('tokens') ?? BENCH_REQUEST.max_tokens);
const REQUEST = { ...BENCH_REQUEST, max_tokens: MAX_TOKENS };
declare global {
  interface Window {
    runBench(rounds: number): Promise<Record<Path, Sample[]>>;
    runStructuredBench(rounds: number, xgrammarMaxVocab: number, real: { rounds: number; tokens: number }): Promise<StructuredResult>;
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
    load: (model?: string) => call('load', { model }),
    run: async (model?: string, maxTokens = MAX_TOKENS) => (await call('run', { model, maxTokens })).sample!,
    runConstrained: async (engine: 'lazy' | 'xgrammar' = 'lazy', model?: string, maxTokens = MAX_TOKENS) => (await call('run-constrained', { engine, model, maxTokens })).sample!,
    compile: async (xgrammarMaxVocab = Infinity) => {
      const reply = await call('compile', { xgrammarMaxVocab });
      if (!reply.compile) throw new Error(`grammar bench failed: ${reply.error}`);
      return reply.compile;
    },
  };
}

/** Free, lazy-constrained and xgrammar-constrained runs of one model, interleaved (the order alternating). */
async function constrainedRounds(direct: ReturnType<typeof directWorker>, rounds: number, model?: string, maxTokens?: number): Promise<ConstrainedRuns> {
  await direct.run(model, maxTokens);
  await direct.runConstrained('lazy', model, maxTokens);
  await direct.runConstrained('xgrammar', model, maxTokens);
  const out: ConstrainedRuns = { unconstrained: [], constrained: [], constrainedXgrammar: [] };
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 ? (['x', 'l', 'f'] as const) : (['f', 'l', 'x'] as const);
    for (const which of order) {
      if (which === 'f') out.unconstrained.push(await direct.run(model, maxTokens));
      else if (which === 'l') out.constrained.push(await direct.runConstrained('lazy', model, maxTokens));
      else out.constrainedXgrammar.push(await direct.runConstrained('xgrammar', model, maxTokens));
    }
  }
  return out;
}

/**
 * Constrained (JSON schema; lazy engine and xgrammar) vs free decoding on path (a); compile
 * times; then the same on the real-size bench model where it is linked in.
 */
window.runStructuredBench = async (rounds, xgrammarMaxVocab, real) => {
  const direct = directWorker();
  await direct.load();
  const compile = await direct.compile(xgrammarMaxVocab);
  const tiny = await constrainedRounds(direct, rounds);
  let realRuns: StructuredResult['real'] = null;
  if (real.rounds > 0 && (await fetch('/models/bench-135m/config.json', { method: 'HEAD' })).ok) {
    await direct.load('bench-135m');
    realRuns = { model: 'bench-135m (q8)', tokens: real.tokens, ...(await constrainedRounds(direct, real.rounds, 'bench-135m', real.tokens)) };
  }
  return { ...tiny, compile, real: realRuns };
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
