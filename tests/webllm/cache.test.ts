/**
 * The cache API (src/host/cache.ts, client.cache.list()/delete()) against an in-memory
 * CacheStorage holding the keys web-llm and transformers.js really write.
 */
import { describe, expect, test } from 'vitest';
import type { ModelSpec } from '../../src/core/engine.js';
import { createHost } from '../../src/host/host.js';
import { deleteCache, listCache } from '../../src/host/cache.js';
import { NotFoundError } from '../../src/protocol/errors.js';

class MemoryCache {
  readonly store = new Map<string, Response>();
  async keys(): Promise<Request[]> { return [...this.store.keys()].map((u) => new Request(u)); }
  async match(req: Request | string): Promise<Response | undefined> { return this.store.get(typeof req === 'string' ? req : req.url)?.clone(); }
  async delete(req: Request | string): Promise<boolean> { return this.store.delete(typeof req === 'string' ? req : req.url); }
  async put(url: string, body: string, headers: Record<string, string> = {}): Promise<void> { this.store.set(url, new Response(body, { headers })); }
}

class MemoryCaches {
  readonly caches = new Map<string, MemoryCache>();
  async has(name: string): Promise<boolean> { return this.caches.has(name); }
  async open(name: string): Promise<MemoryCache> {
    let c = this.caches.get(name);
    if (!c) this.caches.set(name, (c = new MemoryCache()));
    return c;
  }
}

const HF = 'https://huggingface.co/';
const LIB = 'https://raw.githubusercontent.com/mlc-ai/binary-mlc-llm-libs/main/web-llm-models/v0_2_86/base/';
const specs: ModelSpec[] = [
  { id: 'Llama-q4f32', engine: 'webllm', source: { repo: 'mlc-ai/Llama-q4f32', baseUrl: `${HF}mlc-ai/Llama-q4f32` }, options: { model_lib: `${LIB}llama-webgpu.wasm` } },
  { id: 'Llama-q4f32-1k', engine: 'webllm', source: { repo: 'mlc-ai/Llama-q4f32', baseUrl: `${HF}mlc-ai/Llama-q4f32-1k` }, options: { model_lib: `${LIB}llama-webgpu.wasm` } },
  { id: 'mine', engine: 'webllm', source: { repo: 'mine', baseUrl: '/models/mine/' }, options: { model_lib: '/libs/mine.wasm' } },
  { id: 'onnx-community/Qwen', engine: 'transformers', source: { repo: 'onnx-community/Qwen' } },
  { id: 'tiny-chat', engine: 'transformers', source: { repo: 'tiny-chat', baseUrl: '/models/tiny-chat/' } },
];

async function filled() {
  const caches = new MemoryCaches();
  const model = await caches.open('webllm/model');
  await model.put(`${HF}mlc-ai/Llama-q4f32/resolve/main/params_shard_0.bin`, 'x'.repeat(100), { 'content-length': '100' });
  await model.put(`${HF}mlc-ai/Llama-q4f32/resolve/main/params_shard_1.bin`, 'x'.repeat(50));
  await model.put(`${HF}mlc-ai/Llama-q4f32/resolve/main/tokenizer.json`, 'x'.repeat(10));
  await model.put('http://localhost:5173/models/mine/resolve/main/params_shard_0.bin', 'x'.repeat(7));
  await model.put(`${HF}mlc-ai/Gone-MLC/resolve/main/params_shard_0.bin`, 'x'.repeat(30));
  await (await caches.open('webllm/config')).put(`${HF}mlc-ai/Llama-q4f32/resolve/main/mlc-chat-config.json`, '{}');
  await (await caches.open('webllm/wasm')).put(`${LIB}llama-webgpu.wasm`, 'x'.repeat(20));
  const tf = await caches.open('transformers-cache');
  await tf.put(`${HF}onnx-community/Qwen/resolve/main/onnx/model_q4f16.onnx`, 'x'.repeat(40));
  await tf.put('http://localhost:5173/models/tiny-chat/config.json', 'x'.repeat(5));
  const estimate = async () => ({ usage: 1234, quota: 99999 });
  return { caches, ctx: { caches: caches as unknown as CacheStorage, storage: { estimate, persisted: async () => false }, base: 'http://localhost:5173/app/' } };
}

describe('listing', () => {
  test('files are grouped by model (web-llm weights, config and library; transformers.js files), with sizes and the quota', async () => {
    const { ctx } = await filled();
    const info = await listCache(specs, ctx);
    expect(info).toMatchObject({ usage: 1234, quota: 99999, persisted: false });
    const byId = Object.fromEntries(info.models.map((m) => [m.id, m]));
    expect(byId['Llama-q4f32']).toEqual({
      id: 'Llama-q4f32', engine: 'webllm', registered: true, bytes: 100 + 50 + 10 + 2 + 20, files: 5,
      caches: ['webllm/model', 'webllm/config', 'webllm/wasm'],
    });
    expect(byId['mine']).toMatchObject({ engine: 'webllm', bytes: 7, files: 1 });
    expect(byId['onnx-community/Qwen']).toMatchObject({ engine: 'transformers', bytes: 40, caches: ['transformers-cache'] });
    expect(byId['tiny-chat']).toMatchObject({ engine: 'transformers', bytes: 5 });
    // Files of a model nobody registers any more: listed by their folder.
    expect(byId[`${HF}mlc-ai/Gone-MLC/resolve/main/`]).toMatchObject({ engine: 'webllm', registered: false, bytes: 30 });
    expect(info.models[0]!.id).toBe('Llama-q4f32');
  });

  test('no Cache API (or no caches yet): an empty list', async () => {
    expect((await listCache(specs, {})).models).toEqual([]);
    expect((await listCache(specs, { caches: new MemoryCaches() as unknown as CacheStorage })).models).toEqual([]);
  });
});

describe('deleting', () => {
  test("a model's files go; a library another cached model shares stays until that one goes too", async () => {
    const { caches, ctx } = await filled();
    await (await caches.open('webllm/model')).put(`${HF}mlc-ai/Llama-q4f32-1k/resolve/main/params_shard_0.bin`, 'x');
    const result = await deleteCache('Llama-q4f32', specs, ctx);
    expect(result).toEqual({ id: 'Llama-q4f32', deleted: true, files: 4, bytes: 100 + 50 + 10 + 2 });
    expect(caches.caches.get('webllm/wasm')!.store.size).toBe(1);
    const second = await deleteCache('Llama-q4f32-1k', specs, ctx);
    expect(second).toMatchObject({ files: 2 });
    expect(caches.caches.get('webllm/wasm')!.store.size).toBe(0);
    const after = await listCache(specs, ctx);
    expect(after.models.map((m) => m.id)).not.toContain('Llama-q4f32');
  });

  test('transformers.js models and unregistered folders', async () => {
    const { caches, ctx } = await filled();
    expect(await deleteCache('onnx-community/Qwen', specs, ctx)).toMatchObject({ deleted: true, files: 1, bytes: 40 });
    expect(await deleteCache(`${HF}mlc-ai/Gone-MLC/resolve/main/`, specs, ctx)).toMatchObject({ deleted: true, files: 1 });
    expect(caches.caches.get('transformers-cache')!.store.size).toBe(1);
    expect(await deleteCache('tiny-chat', specs, ctx)).toMatchObject({ files: 1 });
  });

  test('an unknown id is a 404; a known model with nothing cached deletes nothing', async () => {
    const { ctx } = await filled();
    await expect(deleteCache('nope', specs, ctx)).rejects.toBeInstanceOf(NotFoundError);
    expect(await deleteCache('Llama-q4f32-1k', specs, ctx)).toEqual({ id: 'Llama-q4f32-1k', deleted: false, files: 0, bytes: 0 });
  });
});

test('the host serves it: the registry includes web-llm\'s prebuilt models, and listCache/deleteCache answer', async () => {
  const host = createHost({ models: [{ id: 'mine', engine: 'webllm', baseUrl: 'https://models.test/mine/', options: { model_lib: 'https://libs.test/mine.wasm' } }] });
  const ids = (await host.api.listModels()).data.filter((m) => m.engine === 'webllm').map((m) => m.id);
  expect(ids).toContain('Llama-3.2-1B-Instruct-q4f32_1-MLC');
  expect(ids).toContain('mine');
  // Node has no Cache API: an empty list, and a 404 for an unknown id.
  expect(await host.api.listCache()).toMatchObject({ models: [] });
  await expect(host.api.deleteCache('nope')).rejects.toBeInstanceOf(NotFoundError);
});
