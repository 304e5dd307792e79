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
  engines: { transformers: async () => createTransformersEngine({ wasmPaths: '/ort/' }) },
  models: [{ id: 'tiny-chat', engine: 'transformers', source: { repo: 'tiny-chat', baseUrl: '/models/tiny-chat/' }, contextLength: 2048 }],
});

self.onmessage = async (event: MessageEvent<{ op: 'load' | 'run' | 'run-constrained' | 'compile'; maxTokens: number; engine?: GrammarEngine; xgrammarMaxVocab?: number }>) => {
  if (event.data.op === 'load') {
    await runtime.loadModel('tiny-chat', { device: 'wasm' });
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
  const request = event.data.op === 'run-constrained' ? BENCH_CONSTRAINED : BENCH_REQUEST;
  const chunks = await runtime.startChatCompletion({ ...request, max_tokens: event.data.maxTokens }, new AbortController().signal);
  const sample: Sample = await timeStream(start, chunks);
  self.postMessage({ op: 'sample', sample });
};
