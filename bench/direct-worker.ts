/// <reference lib="webworker" />
/**
 * Path (a) of the benchmark: the runtime called directly inside a worker, no port, no
 * client. Everything else is measured against this.
 */
import { Runtime } from '../src/core/runtime.js';
import { createTransformersEngine } from '../src/engines/transformers.js';
import { BENCH_CONSTRAINED, BENCH_MID_SCHEMA, BENCH_REQUEST, timeStream, type Sample } from './measure.js';
import { setGrammarEngine, type GrammarEngine } from '../src/core/grammar/matcher.js';
import { compileBench } from './structured.js';

const runtime = new Runtime({
  // xgrammar's compile at the real-size vocabulary takes a minute here; the bench waits for it.
  grammarCompileBudgetMs: 600_000,
  engines: { transformers: async () => createTransformersEngine({ wasmPaths: '/ort/' }) },
  models: [
    { id: 'tiny-chat', engine: 'transformers', source: { repo: 'tiny-chat', baseUrl: '/models/tiny-chat/' }, contextLength: 2048 },
    // A real-size vocabulary (SmolLM2's 49k) and forward pass, where `npm run bench:models` linked it.
    { id: 'bench-135m', engine: 'transformers', source: { repo: 'bench-135m', baseUrl: '/models/bench-135m/' }, contextLength: 2048, options: { dtype: 'q8' } },
  ],
});

/** The mid-sized schema as a request (strings, enums, bounded numbers): the real-size model's constrained run. */
const MID_REQUEST = {
  ...BENCH_REQUEST,
  ignore_eos: false,
  response_format: { type: 'json_schema' as const, json_schema: { name: 'order', schema: BENCH_MID_SCHEMA } },
};

type Message = { op: 'load' | 'run' | 'run-constrained' | 'compile'; maxTokens: number; engine?: GrammarEngine; xgrammarMaxVocab?: number; model?: string };

self.onmessage = async (event: MessageEvent<Message>) => {
  const model = event.data.model ?? 'tiny-chat';
  if (event.data.op === 'load') {
    await runtime.loadModel(model, { device: 'wasm' });
    self.postMessage({ op: 'loaded' });
    return;
  }
  if (event.data.op === 'compile') {
    // An error is reported, not thrown: a worker's uncaught error would leave the page waiting.
    try {
      self.postMessage({ op: 'compiled', compile: await compileBench(BENCH_MID_SCHEMA, event.data.xgrammarMaxVocab ?? Infinity) });
    } catch (err) {
      self.postMessage({ op: 'compiled', error: String(err) });
    }
    return;
  }
  // Which grammar engine computes the constrained request's masks.
  setGrammarEngine(event.data.engine ?? 'lazy');
  const start = performance.now();
  const request = event.data.op === 'run-constrained' ? (model === 'tiny-chat' ? BENCH_CONSTRAINED : MID_REQUEST) : BENCH_REQUEST;
  const chunks = await runtime.startChatCompletion({ ...request, model, max_tokens: event.data.maxTokens }, new AbortController().signal);
  const sample: Sample = await timeStream(start, chunks);
  self.postMessage({ op: 'sample', sample });
};
