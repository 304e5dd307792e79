/**
 * Contract tests of the web-llm adapter's load path. They prove the MAPPING, not the
 * engine: web-llm's real MLCEngine with a scripted reload()/pipeline (see
 * ./support/scripted-webllm.ts), driven through the real Runtime.
 */
import { MLCEngine } from '@mlc-ai/web-llm';
import { describe, expect, test } from 'vitest';
import { AbortError } from '../../src/core/abort.js';
import type { LoadProgress } from '../../src/protocol/models.js';
import { APIError, BadRequestError, NotFoundError } from '../../src/protocol/errors.js';
import { GPU, setup, signal } from './support/setup.js';

describe('loading', () => {
  test("maps web-llm's init reports to one monotonic progress with bytes, and hands web-llm the model record and our hook", async () => {
    const { runtime, web } = setup({ m: { reply: 'x', contextWindow: 2048 } }, { options: { m: { vram_required_MB: 900, overrides: { context_window_size: 2048 } } } });
    const events: LoadProgress[] = [];
    const info = await runtime.loadModel('m', { onProgress: (p) => events.push(p) });
    expect(info).toMatchObject({ id: 'm', engine: 'webllm', device: 'webgpu', context_length: 2048, modalities: ['text'] });

    const downloads = events.filter((e) => e.phase === 'download');
    expect(downloads.map((e) => e.loaded)).toEqual([null, 10 << 20, 20 << 20, 30 << 20]);
    expect(downloads.at(-1)!.total).toBe(30 << 20);
    expect(downloads.at(-1)!.file).toBe('shard 3/3');
    const progress = events.map((e) => e.progress).filter((p): p is number => p !== null);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
    expect(events.at(-1)).toMatchObject({ phase: 'ready', progress: 1 });

    const [config] = web.configs;
    expect(config!.appConfig!.model_list).toEqual([
      {
        model: 'https://models.test/m/',
        model_id: 'm',
        model_lib: 'https://libs.test/m-webgpu.wasm',
        vram_required_MB: 900,
        overrides: { context_window_size: 2048 },
      },
    ]);
    expect([...config!.logitProcessorRegistry!.keys()]).toEqual(['m']);
    expect(web.callsOf('reload').map((c) => c.args)).toEqual([['m']]);
  });

  test('prebuilt web-llm models are registry entries with their model_lib and needs', async () => {
    const { prebuiltSpecs } = await import('../../src/engines/webllm/catalog.js');
    const spec = prebuiltSpecs().find((s) => s.id === 'Llama-3.2-1B-Instruct-q4f16_1-MLC')!;
    expect(spec).toMatchObject({
      engine: 'webllm',
      source: { repo: 'mlc-ai/Llama-3.2-1B-Instruct-q4f16_1-MLC', baseUrl: 'https://huggingface.co/mlc-ai/Llama-3.2-1B-Instruct-q4f16_1-MLC' },
      contextLength: 4096,
      options: { model_lib: expect.stringMatching(/Llama-3\.2-1B-Instruct-q4f16_1.*-webgpu\.wasm$/), vram_required_MB: 879.04, low_resource_required: true },
    });
    // web-llm's embedding models are served too (/v1/embeddings).
    expect(prebuiltSpecs().find((s) => s.id.startsWith('snowflake-arctic-embed'))?.options).toMatchObject({ model_type: 1 });
  });
});

describe('capability checks before anything is downloaded', () => {
  test('no WebGPU adapter: a 400 webgpu_unavailable, and web-llm is never asked to load', async () => {
    const { runtime, web } = setup({ m: { reply: 'x' } }, { gpu: null });
    const err = await runtime.loadModel('m').catch((e) => e);
    expect(err).toBeInstanceOf(BadRequestError);
    expect(err).toMatchObject({ param: 'model', code: 'webgpu_unavailable' });
    expect(web.calls).toEqual([]);
  });

  test('an f16 model on an adapter without shader-f16 names the f32 variant to use instead', async () => {
    const id = 'Llama-3.2-1B-Instruct-q4f16_1-MLC';
    const { runtime, web } = setup({ [id]: { reply: 'x' } }, { gpu: { ...GPU, features: [] } });
    const err = await runtime.loadModel(id).catch((e) => e);
    expect(err).toBeInstanceOf(BadRequestError);
    expect(err).toMatchObject({ code: 'unsupported_gpu_feature' });
    expect(err.message).toContain("'shader-f16'");
    expect(err.message).toContain("'Llama-3.2-1B-Instruct-q4f32_1-MLC'");
    expect(web.calls).toEqual([]);
  });

  test('required_features from the record count too', async () => {
    const { runtime } = setup({ m: { reply: 'x' } }, { gpu: { ...GPU, features: ['shader-f16'] }, options: { m: { required_features: ['subgroups'] } } });
    await expect(runtime.loadModel('m')).rejects.toMatchObject({ code: 'unsupported_gpu_feature', message: expect.stringContaining("'subgroups'") });
  });

  test('buffer limits below the model\'s needs', async () => {
    const small = { ...GPU, limits: { ...GPU.limits, maxStorageBufferBindingSize: 128 << 20 } };
    const { runtime } = setup({ m: { reply: 'x' } }, { gpu: small, options: { m: { buffer_size_required_bytes: 262144000 } } });
    const err = await runtime.loadModel('m').catch((e) => e);
    expect(err).toMatchObject({ status: 400, code: 'gpu_limits_exceeded' });
    expect(err.message).toContain('maxStorageBufferBindingSize');
    expect(err.message).toContain('250 MiB');
  });

  test("device 'wasm' is refused: web-llm is WebGPU only", async () => {
    const { runtime } = setup({ m: { reply: 'x' } });
    await expect(runtime.loadModel('m', { device: 'wasm' })).rejects.toMatchObject({ status: 400, param: 'device', code: 'unsupported_device' });
  });

  test('a custom model without model_lib is a 400 naming model', async () => {
    const { runtime } = setup({ m: { reply: 'x' } }, { options: { m: { model_lib: undefined } } });
    await expect(runtime.loadModel('m')).rejects.toMatchObject({ status: 400, param: 'model', code: 'invalid_model_config' });
  });
});

describe('cancel and errors', () => {
  test("an abort during the load calls web-llm's unload (which aborts its downloads); the next load starts clean", async () => {
    const { runtime, web } = setup({ m: { reply: 'ok', loadDelayMs: 10 } });
    const abort = new AbortController();
    const events: LoadProgress[] = [];
    const load = runtime.loadModel('m', {
      signal: abort.signal,
      onProgress: (p) => {
        events.push(p);
        if (events.length === 2) abort.abort();
      },
    });
    await expect(load).rejects.toBeInstanceOf(AbortError);
    expect(web.callsOf('unload').length).toBeGreaterThan(0);
    expect(web.pipelines).toHaveLength(0);
    expect(runtime.stats().loaded).toEqual([]);
    const completion = await runtime.createChatCompletion({ model: 'm', messages: [{ role: 'user', content: 'Hi' }] }, signal());
    expect(completion.choices[0]!.message.content).toBe('ok');
  });

  test("web-llm's own ModelNotFoundError (thrown by its real reload) is a 404", async () => {
    // No script for 'ghost': the stand-in runs web-llm's real reload, which cannot find it.
    const { runtime } = setup({ m: { reply: 'x' } });
    runtime.registerModel({ id: 'ghost', engine: 'webllm', source: { repo: 'ghost', baseUrl: 'https://models.test/ghost/' }, options: { model_lib: 'https://libs.test/ghost.wasm' } });
    const err = await runtime.loadModel('ghost').catch((e) => e);
    expect(err).toBeInstanceOf(NotFoundError);
    expect(err).toMatchObject({ param: 'model', code: 'model_not_found' });
  });

  test('a full storage quota is a 507 that says how to free space', async () => {
    const quota = new DOMException('Quota exceeded.', 'QuotaExceededError');
    const { runtime } = setup({ m: { reply: 'x', loadError: quota } });
    const err = await runtime.loadModel('m').catch((e) => e);
    expect(err).toBeInstanceOf(APIError);
    expect(err).toMatchObject({ status: 507, code: 'storage_quota_exceeded' });
    expect(err.message).toContain('client.cache.delete');
  });

  test('unload disposes the pipeline', async () => {
    const { runtime, web } = setup({ m: { reply: 'x' } });
    await runtime.loadModel('m');
    await runtime.unloadModel('m');
    expect(web.pipelines[0]!.disposed).toBe(true);
    expect(web.callsOf('unload').length).toBeGreaterThan(0);
  });

  test('every model gets an MLCEngine of its own (web-llm reload() unloads all others)', async () => {
    const { runtime, web } = setup({ a: { reply: 'A' }, b: { reply: 'B' } });
    const a = await runtime.createChatCompletion({ model: 'a', messages: [{ role: 'user', content: 'Hi' }] }, signal());
    const b = await runtime.createChatCompletion({ model: 'b', messages: [{ role: 'user', content: 'Hi' }] }, signal());
    const again = await runtime.createChatCompletion({ model: 'a', messages: [{ role: 'user', content: 'Hi' }] }, signal());
    expect([a, b, again].map((c) => c.choices[0]!.message.content)).toEqual(['A', 'B', 'A']);
    expect(web.engines).toHaveLength(2);
    expect(web.engines[0]).toBeInstanceOf(MLCEngine);
  });
});
