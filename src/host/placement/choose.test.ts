import { describe, expect, test } from 'vitest';
import { choosePlacement } from './choose.js';

const isolated = { isolated: true, threads: true, cores: 4 };
const plain = { isolated: false, threads: false, cores: 4 };

describe('choosePlacement', () => {
  test('a dedicated-worker host runs every engine itself', () => {
    expect(choosePlacement({ engine: 'gguf', device: 'wasm', dedicatedHost: true, worker: isolated })).toBe('host');
  });
  test('GGUF always goes to the engine worker behind a SharedWorker, isolated or not', () => {
    expect(choosePlacement({ engine: 'gguf', device: 'auto', dedicatedHost: false, worker: plain })).toBe('engine-worker');
    expect(choosePlacement({ engine: 'gguf', device: 'wasm', dedicatedHost: false, worker: null })).toBe('engine-worker');
  });
  test('transformers.js on WASM goes where threads are possible', () => {
    expect(choosePlacement({ engine: 'transformers', device: 'wasm', dedicatedHost: false, worker: isolated })).toBe('engine-worker');
    expect(choosePlacement({ engine: 'transformers', device: 'wasm', dedicatedHost: false, worker: plain })).toBe('host');
    expect(choosePlacement({ engine: 'transformers', device: 'wasm', dedicatedHost: false, worker: null })).toBe('host');
  });
  test('WebGPU and other engines stay in the host', () => {
    expect(choosePlacement({ engine: 'transformers', device: 'webgpu', dedicatedHost: false, worker: isolated })).toBe('host');
    expect(choosePlacement({ engine: 'webllm', device: 'webgpu', dedicatedHost: false, worker: isolated })).toBe('host');
  });
});
