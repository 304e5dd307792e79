/**
 * The GGUF engine's test page: the tiny random Llama's GGUF fixtures registered as
 * `tiny-gguf-<type>` (self-hosted URLs) and `tiny-gguf-split` (three shards), a client on a dedicated-worker host (?shared=1
 * for the SharedWorker), `window.settle` to return errors as data.
 */
import { createClient } from '../../src/client/index.js';
import { describeError, reportSetup } from './page-setup.js';

const shared = new URLSearchParams(location.search).get('shared') === '1';
const DIR = '/models/tiny-random-llama3-gguf/';
const models = [
  ...['f32', 'f16', 'q8_0', 'q4_0'].map((t) => ({ id: `tiny-gguf-${t}`, engine: 'gguf', baseUrl: `${DIR}model-${t}.gguf` })),
  // A split GGUF by its first shard; a folder URL plus `file`.
  { id: 'tiny-gguf-split', engine: 'gguf', baseUrl: DIR, file: 'model-q8_0-split-00001-of-00003.gguf' },
];
const w = window as unknown as Record<string, unknown>;

reportSetup(async () => {
  w.client = createClient({ shared, config: { wasmPaths: '/ort/', models } });
  w.reference = await (await fetch(`${DIR}reference.json`)).json();
  w.settle = async (p: Promise<unknown>) => {
    try {
      return { ok: true, value: await p };
    } catch (e) {
      return { ok: false, error: describeError(e) };
    }
  };
});
