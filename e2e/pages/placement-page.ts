/**
 * The engine-placement test page: a client of the default SharedWorker host, the gateway
 * (isolating the app's pages from their second load on, so the elected tab's engine worker
 * can run threads), a transformers.js fixture on WASM and a GGUF fixture.
 *   ?threads=N   the host's numThreads (the first client to configure a host wins)
 *   ?isolate=0   no cross-origin isolation (GGUF still runs, single-threaded)
 * Exposes: client, gateway, settle(promise) -> { ok, value } | { ok: false, error }.
 */
import { createClient, registerGateway } from '../../src/client/index.js';
import { describeError, reportSetup } from './page-setup.js';

const params = new URLSearchParams(location.search);
const w = window as unknown as Record<string, unknown>;
const threads = params.has('threads') ? Number(params.get('threads')) : undefined;

export const MODELS = [
  { id: 'llama-wasm', baseUrl: '/models/tiny-random-llama3/', options: { dtype: 'fp32', prefixCache: false } },
  { id: 'gguf-qwen', engine: 'gguf', baseUrl: '/models/tiny-random-qwen2.5-gguf/model-f32.gguf' },
  { id: 'bge', baseUrl: '/models/tiny-random-bge-embed/' },
  { id: 'gguf-bge', engine: 'gguf', baseUrl: '/models/tiny-random-bge-embed-gguf/model-f32.gguf' },
];

reportSetup(async () => {
  const client = createClient({ config: { wasmPaths: '/ort/', numThreads: threads, models: MODELS } });
  w.client = client;
  w.gateway = await registerGateway({ client, isolate: params.get('isolate') !== '0' });
  w.settle = async (p: Promise<unknown>) => {
    try {
      return { ok: true, value: await p };
    } catch (e) {
      return { ok: false, error: describeError(e) };
    }
  };
});
