/** The web-llm catalog: registry entries, GPU needs and the list a UI shows (pure functions). */
import { describe, expect, test } from 'vitest';
import {
  describeWebLLMModels,
  f32Variant,
  needsOf,
  prebuiltSpecs,
  probeGpu,
  recordFromSpec,
  type GpuFacts,
} from '../../src/engines/webllm/catalog.js';
import { prebuiltModelList } from '../../src/engines/webllm/prebuilt.js';
import { GPU } from './support/setup.js';

const ids = new Set(prebuiltModelList.map((r) => r.model_id));
const known = (id: string) => ids.has(id);
const record = (id: string) => prebuiltModelList.find((r) => r.model_id === id)!;

describe('needs', () => {
  test('f16 quantizations need shader-f16 even where the record does not say so', () => {
    const r = record('Llama-3.2-1B-Instruct-q4f16_1-MLC');
    expect(r.required_features).toBeUndefined();
    expect(needsOf(r).features).toEqual(['shader-f16']);
    expect(needsOf(record('Llama-3.2-1B-Instruct-q4f32_1-MLC')).features).toEqual([]);
    expect(needsOf(record('SmolLM2-360M-Instruct-q0f16-MLC')).features).toEqual(['shader-f16']);
  });

  test('buffer needs: at least web-llm\'s fallbacks, more where the record says', () => {
    expect(needsOf(record('Llama-3.2-1B-Instruct-q4f32_1-MLC'))).toMatchObject({ maxStorageBufferBindingSize: 128 << 20, maxBufferSize: 256 << 20 });
    expect(needsOf(record('gemma-2b-it-q4f16_1-MLC')).maxStorageBufferBindingSize).toBe(262144000);
  });

  test('the f32 variant of an f16 model, when it exists', () => {
    expect(f32Variant('Llama-3.2-1B-Instruct-q4f16_1-MLC', known)).toBe('Llama-3.2-1B-Instruct-q4f32_1-MLC');
    expect(f32Variant('gemma-2-2b-it-q4f16_1-MLC-1k', known)).toBe('gemma-2-2b-it-q4f32_1-MLC-1k');
    expect(f32Variant('SmolLM2-360M-Instruct-q0f16-MLC', known)).toBe('SmolLM2-360M-Instruct-q0f32-MLC');
    expect(f32Variant('Llama-3.2-1B-Instruct-q4f32_1-MLC', known)).toBeNull();
    expect(f32Variant('Made-Up-q4f16_1-MLC', known)).toBeNull();
  });
});

describe('the list a UI shows', () => {
  const swiftshader: GpuFacts = { ...GPU, features: [], limits: { ...GPU.limits, maxStorageBufferBindingSize: 128 << 20 }, description: 'google swiftshader' };

  test('every prebuilt model with size and needs; embedding models too', () => {
    const list = describeWebLLMModels();
    expect(list).toHaveLength(prebuiltModelList.length);
    const llama = list.find((m) => m.id === 'Llama-3.2-1B-Instruct-q4f16_1-MLC')!;
    expect(llama).toMatchObject({ kind: 'chat', quantization: 'q4f16_1', vramMB: 879.04, lowResource: true, contextLength: 4096, available: true, reasons: [] });
    const embed = list.find((m) => m.kind === 'embedding')!;
    expect(embed.available).toBe(true);
    expect(embed.reasons).toEqual([]);
    expect(prebuiltSpecs().some((s) => s.id === embed.id)).toBe(true);
    const vision = list.find((m) => m.kind === 'vision')!;
    expect(vision.available).toBe(true);
    expect(vision.reasons).toEqual([]);
    expect(prebuiltSpecs().find((s) => s.id === vision.id)!.modalities).toEqual(['text', 'image']);
  });

  test('on a GPU without shader-f16 and with 128 MiB bindings: f16 and big-buffer models are unavailable, with the f32 alternative', () => {
    const list = describeWebLLMModels(swiftshader);
    const f16 = list.find((m) => m.id === 'Llama-3.2-1B-Instruct-q4f16_1-MLC')!;
    expect(f16.available).toBe(false);
    expect(f16.alternative).toBe('Llama-3.2-1B-Instruct-q4f32_1-MLC');
    expect(f16.reasons[0]).toMatch(/shader-f16/);
    expect(list.find((m) => m.id === 'Llama-3.2-1B-Instruct-q4f32_1-MLC')!.available).toBe(true);
    const gemma = list.find((m) => m.id === 'gemma-2b-it-q4f32_1-MLC')!;
    expect(gemma.available).toBe(false);
    expect(gemma.reasons.join(' ')).toMatch(/maxStorageBufferBindingSize/);
  });

  test('without WebGPU nothing is available', () => {
    const list = describeWebLLMModels(null);
    expect(list.every((m) => !m.available && m.reasons.some((r) => /no WebGPU adapter/.test(r)))).toBe(true);
  });

  test('probeGpu reads an adapter, and answers null without one', async () => {
    const adapter = {
      features: new Set(['shader-f16']),
      limits: { maxBufferSize: 1, maxStorageBufferBindingSize: 2, maxComputeWorkgroupStorageSize: 3, maxStorageBuffersPerShaderStage: 4 },
      info: { vendor: 'acme', architecture: 'x' },
    };
    expect(await probeGpu({ requestAdapter: async () => adapter })).toEqual({
      features: ['shader-f16'],
      limits: { maxBufferSize: 1, maxStorageBufferBindingSize: 2, maxComputeWorkgroupStorageSize: 3, maxStorageBuffersPerShaderStage: 4 },
      description: 'acme x',
    });
    expect(await probeGpu({ requestAdapter: async () => null })).toBeNull();
    expect(await probeGpu(undefined)).toBeNull();
  });
});

describe('registry entries', () => {
  test('prebuilt records round-trip: spec -> record is what web-llm had', () => {
    for (const spec of prebuiltSpecs()) {
      const original = record(spec.id);
      expect(recordFromSpec(spec)).toEqual(original);
    }
  });

  test('a custom model: relative URLs resolve against the host, a hub repo id becomes its URL', () => {
    const custom = recordFromSpec(
      { id: 'mine', engine: 'webllm', source: { repo: 'mine', baseUrl: '/models/mine/' }, options: { model_lib: '/libs/mine.wasm', model_type: 'vlm' } },
      'http://localhost:5173/app/',
    );
    expect(custom).toEqual({ model: 'http://localhost:5173/models/mine/', model_id: 'mine', model_lib: 'http://localhost:5173/libs/mine.wasm', model_type: 2 });
    const hub = recordFromSpec({ id: 'x', engine: 'webllm', source: { repo: 'mlc-ai/X-MLC' }, options: { model_lib: 'https://l/x.wasm' } });
    expect(hub.model).toBe('https://huggingface.co/mlc-ai/X-MLC');
  });
});
