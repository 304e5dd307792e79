import { describe, expect, test } from 'vitest';
import type { Engine, LoadedModel, ModelSpec } from '../core/engine.js';
import { BadRequestError } from '../protocol/errors.js';
import { createAutoEngine, rankVariants } from './auto.js';

const variants = [{ engine: 'gguf', baseUrl: '/m.gguf' }, { engine: 'transformers', repo: 'm' }, { engine: 'webllm', repo: 'm-mlc' }];

describe("engine 'auto'", () => {
  test('ranks the formats by the speed measured where it runs; web-llm only on WebGPU', () => {
    expect(rankVariants(variants, 'wasm-1').map((v) => v.engine)).toEqual(['transformers', 'gguf']);
    expect(rankVariants(variants, 'wasm-threads').map((v) => v.engine)).toEqual(['transformers', 'gguf']);
    expect(rankVariants(variants, 'webgpu').map((v) => v.engine)).toEqual(['webllm', 'transformers', 'gguf']);
  });

  /** Engines that record what they were asked to load; `refuse` throws that 400 code. */
  function engines(refuse: Record<string, string>) {
    const loads: ModelSpec[] = [];
    const make = (name: string): Engine => ({
      name,
      capabilities: { modalities: ['text'], chatTemplate: false, logits: false, grammar: false, embeddings: false },
      async load(spec) {
        loads.push(spec);
        if (refuse[name]) throw new BadRequestError('no', { code: refuse[name], param: 'device' });
        return { id: spec.id, engine: name } as unknown as LoadedModel;
      },
    });
    return { loads, get: async (name: string) => make(name) };
  }
  const spec: ModelSpec = { id: 'smol', engine: 'auto', source: { repo: 'smol' }, options: { variants } };
  const ctx = { device: 'wasm' as const, signal: new AbortController().signal, onProgress: () => undefined };

  test("loads the fastest variant with its own source; the model names that engine", async () => {
    const e = engines({});
    const model = await createAutoEngine(e.get).load(spec, ctx);
    expect(model.engine).toBe('transformers');
    expect(e.loads).toEqual([expect.objectContaining({ id: 'smol', engine: 'transformers', source: { repo: 'm' } })]);
  });

  test('a format that cannot run here falls back to the next; other errors are the answer', async () => {
    const e = engines({ transformers: 'engine_unavailable_in_shared_worker' });
    const model = await createAutoEngine(e.get).load(spec, ctx);
    expect(model.engine).toBe('gguf');
    expect(e.loads[1]).toMatchObject({ engine: 'gguf', source: { repo: 'smol', baseUrl: '/m.gguf' } });
    await expect(createAutoEngine(engines({ transformers: 'model_download_failed' }).get).load(spec, ctx)).rejects.toMatchObject({ code: 'model_download_failed' });
  });

  test('no variants: a 400 naming options.variants', async () => {
    await expect(createAutoEngine(engines({}).get).load({ ...spec, options: {} }, ctx)).rejects.toMatchObject({ status: 400, param: 'options.variants' });
  });
});
