import { describe, expect, it } from 'vitest';
import type { ModelSpec } from '../core/engine.js';
import { defaultModels } from './catalog.js';
import { DEFAULT_PREFIX_CACHE_LIMITS } from '../core/prefix-cache.js';
import { dtypeFor, prefillBlock, preferredDtype, prefixCacheLimits } from './dtype-choice.js';

const spec = (dtype?: unknown): ModelSpec => ({ id: 'm', engine: 'transformers', source: { repo: 'm' }, ...(dtype ? { options: { dtype } } : {}) }) as ModelSpec;
const HUB_SET = ['fp32', 'fp16', 'q8', 'int8', 'uint8', 'q4', 'bnb4', 'q4f16'];

describe('dtype choice', () => {
  it('takes the caller\'s dtype, one or per device', () => {
    expect(dtypeFor(spec('fp16'), 'wasm', false)).toBe('fp16');
    expect(dtypeFor(spec({ webgpu: 'q4f16', wasm: 'q8' }), 'webgpu', true)).toBe('q4f16');
    expect(dtypeFor(spec({ webgpu: 'q4f16', wasm: 'q8' }), 'wasm', false)).toBe('q8');
    // No shader-f16: an f16 dtype falls back to the caller's WASM choice, else to the files.
    expect(dtypeFor(spec({ webgpu: 'q4f16', wasm: 'q8' }), 'webgpu', false)).toBe('q8');
    expect(dtypeFor(spec({ webgpu: 'q4f16' }), 'webgpu', false)).toBeUndefined();
    expect(dtypeFor(spec({ webgpu: 'q4f16' }), 'wasm', false)).toBeUndefined();
    expect(dtypeFor(spec(), 'wasm', false)).toBeUndefined();
  });

  it('never picks 4-bit MatMulNBits on WASM while q8 or fp32 exists', () => {
    expect(preferredDtype(HUB_SET, 'wasm', false)).toBe('q8');
    expect(preferredDtype(['fp32', 'q4', 'q4f16'], 'wasm', false)).toBe('fp32');
    expect(preferredDtype(['fp32'], 'wasm', false)).toBe('fp32'); // a standard export: model.onnx only
    expect(preferredDtype(['q4'], 'wasm', false)).toBe('q4'); // nothing else to load
  });

  it('picks f16 files on WebGPU only with shader-f16', () => {
    expect(preferredDtype(HUB_SET, 'webgpu', true)).toBe('q4f16');
    expect(preferredDtype(HUB_SET, 'webgpu', false)).toBe('q4');
    expect(preferredDtype(['fp16', 'fp32'], 'webgpu', false)).toBe('fp32');
    expect(preferredDtype(['fp16'], 'webgpu', false)).toBeUndefined();
  });

  it('the catalog\'s defaults leave WASM to the files (no q4 there)', () => {
    for (const m of defaultModels.filter((d) => d.engine === 'transformers')) {
      expect(dtypeFor(m, 'wasm', false)).toBeUndefined();
      expect(dtypeFor(m, 'webgpu', true)).toBe('q4f16');
    }
  });
});

describe('prefixCacheLimits', () => {
  const spec = (options?: Record<string, unknown>) => ({ id: 'm', engine: 'transformers', source: { repo: 'm' }, ...(options ? { options } : {}) });
  it('on with the defaults, bounded by the engine then the model; off when either says false', () => {
    expect(prefixCacheLimits(spec(), undefined)).toEqual(DEFAULT_PREFIX_CACHE_LIMITS);
    expect(prefixCacheLimits(spec({ prefixCache: { maxEntries: 2 } }), { maxEntries: 8 })?.maxEntries).toBe(2);
    expect(prefixCacheLimits(spec(), false)).toBeNull();
    expect(prefixCacheLimits(spec({ prefixCache: true }), false)).toEqual(DEFAULT_PREFIX_CACHE_LIMITS);
    expect(prefixCacheLimits(spec({ prefixCache: false }), undefined)).toBeNull();
  });
});

describe('prefillBlock', () => {
  it('blocks of 64 positions for dynamically quantized files, one pass otherwise', () => {
    for (const dtype of ['q8', 'int8', 'uint8']) expect(prefillBlock(dtype)).toBe(64);
    for (const dtype of ['fp32', 'fp16', 'q4', 'q4f16', undefined]) expect(prefillBlock(dtype)).toBe(0);
  });
});
