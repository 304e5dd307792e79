/// <reference lib="webworker" />
/**
 * Path (a) of the benchmark: the runtime called directly inside a worker, no port, no
 * client. Everything else is measured against this.
 */
import { Runtime } from '../src/core/runtime.js';
import { createTransformersEngine } from '../src/engines/transformers.js';
import { BENCH_REQUEST, timeStream, type Sample } from './measure.js';

const runtime = new Runtime({
  engines: { transformers: async () => createTransformersEngine({ wasmPaths: '/ort/' }) },
  models: [{ id: 'tiny-chat', engine: 'transformers', source: { repo: 'tiny-chat', baseUrl: '/models/tiny-chat/' }, contextLength: 2048 }],
});

self.onmessage = async (event: MessageEvent<{ op: 'load' | 'run' }>) => {
  if (event.data.op === 'load') {
    await runtime.loadModel('tiny-chat', { device: 'wasm' });
    self.postMessage({ op: 'loaded' });
    return;
  }
  const start = performance.now();
  const chunks = await runtime.startChatCompletion(BENCH_REQUEST, new AbortController().signal);
  const sample: Sample = await timeStream(start, chunks);
  self.postMessage({ op: 'sample', sample });
};
