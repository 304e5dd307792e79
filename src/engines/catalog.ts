import type { ModelSpec } from '../core/engine.js';
import { prebuiltSpecs } from './webllm/catalog.js';

/**
 * Models known out of the box. On WebGPU with `shader-f16` they load q4f16; elsewhere the
 * fastest dtype their files offer (transformers.ts, DTYPE_PREFERENCE: q8 on WASM, never the
 * 4-bit MatMulNBits files there while q8 or fp32 exist). Hub models download in the user's browser on first use
 * (and stay in the Cache API); apps add their own with `models.register()`.
 */
export const defaultModels: ModelSpec[] = [
  {
    id: 'onnx-community/Qwen2.5-0.5B-Instruct',
    engine: 'transformers',
    source: { repo: 'onnx-community/Qwen2.5-0.5B-Instruct' },
    contextLength: 32768,
    options: { dtype: { webgpu: 'q4f16' } },
  },
  {
    id: 'HuggingFaceTB/SmolLM2-360M-Instruct',
    engine: 'transformers',
    source: { repo: 'HuggingFaceTB/SmolLM2-360M-Instruct' },
    contextLength: 8192,
    options: { dtype: { webgpu: 'q4f16' } },
  },
  {
    id: 'onnx-community/Llama-3.2-1B-Instruct',
    engine: 'transformers',
    source: { repo: 'onnx-community/Llama-3.2-1B-Instruct' },
    contextLength: 131072,
    options: { dtype: { webgpu: 'q4f16' } },
  },
  // web-llm's prebuilt chat models (MLC, WebGPU only), with their model_lib URLs and GPU
  // needs in `options` (see engines/webllm/catalog.ts; describeWebLLMModels() for a UI).
  ...prebuiltSpecs(),
];
