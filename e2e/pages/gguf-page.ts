/**
 * The GGUF engine's test page: the real-architecture fixtures converted by
 * scripts/fixtures/gen_gguf.py, self-hosted: `tiny-gguf-<type>` (Llama 3: f32, f16, q8_0,
 * q4_0), `tiny-gguf-split` (its Q8_0 in three shards, by folder + file),
 * `tiny-gguf-qwen2.5`, `tiny-gguf-qwen3` and `tiny-gguf-mistral` (F32; Mistral's vocabulary
 * is SentencePiece-style). A client on a dedicated-worker host
 * (?shared=1: the SharedWorker), `window.references` by model id, `window.settle` to
 * return errors as data.
 */
import { createClient } from '../../src/client/index.js';
import { describeError, reportSetup } from './page-setup.js';

const shared = new URLSearchParams(location.search).get('shared') === '1';
const dir = (family: string) => `/models/tiny-random-${family}-gguf/`;
const LLAMA = dir('llama3');
const models = [
  ...['f32', 'f16', 'q8_0', 'q4_0'].map((t) => ({ id: `tiny-gguf-${t}`, engine: 'gguf', baseUrl: `${LLAMA}model-${t}.gguf`, family: 'llama3' })),
  { id: 'tiny-gguf-split', engine: 'gguf', baseUrl: LLAMA, file: 'model-q8_0-split-00001-of-00003.gguf', family: 'llama3' },
  ...['qwen2.5', 'qwen3', 'mistral'].map((f) => ({ id: `tiny-gguf-${f}`, engine: 'gguf', baseUrl: `${dir(f)}model-f32.gguf`, family: f })),
  // Embedding GGUFs (their references: the HF folders' sentence-transformers vectors).
  ...['minilm-embed', 'bge-embed', 'qwen3-embed'].map((f) => ({ id: `tiny-gguf-${f}`, engine: 'gguf', baseUrl: `${dir(f)}model-f32.gguf`, family: 'llama3' })),
  { id: 'tiny-gguf-bert-rerank', engine: 'gguf', baseUrl: `${dir('bert-rerank')}model-f32.gguf`, family: 'llama3' },
  // engine 'auto': the same Llama in ONNX (fp32) and GGUF; and one whose only WASM format is GGUF.
  { id: 'tiny-auto', engine: 'auto', family: 'llama3', options: { variants: [{ engine: 'gguf', baseUrl: `${LLAMA}model-f32.gguf` }, { engine: 'transformers', baseUrl: '/models/tiny-random-llama3/' }] } },
  { id: 'tiny-auto-gguf', engine: 'auto', family: 'llama3', options: { variants: [{ engine: 'webllm', repo: 'none-MLC' }, { engine: 'gguf', baseUrl: `${LLAMA}model-f32.gguf` }] } },
];
const w = window as unknown as Record<string, unknown>;

reportSetup(async () => {
  w.client = createClient({ shared, config: { wasmPaths: '/ort/', models: models.map(({ family: _, ...m }) => m) } });
  const refs: Record<string, unknown> = {};
  for (const f of ['llama3', 'qwen2.5', 'qwen3', 'mistral']) refs[f] = await (await fetch(`${dir(f)}reference.json`)).json();
  w.references = Object.fromEntries(models.map((m) => [m.id, refs[m.family]]));
  w.settle = async (p: Promise<unknown>) => {
    try {
      return { ok: true, value: await p };
    } catch (e) {
      return { ok: false, error: describeError(e) };
    }
  };
});
