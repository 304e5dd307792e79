import type { Engine, LoadContext, LoadedModel, ModelSpec } from '../core/engine.js';
import { BadRequestError } from '../protocol/errors.js';
import { pickDevice } from './transformers.js';

/**
 * `engine: 'auto'`: one model id registered in several formats (ONNX for transformers.js,
 * GGUF for llama.cpp, MLC for web-llm); the load picks the format that decodes fastest
 * where it runs, and falls back to the next when one cannot run here:
 *
 *   register({ id: 'smol', engine: 'auto', options: { variants: [
 *     { engine: 'transformers', repo: 'HuggingFaceTB/SmolLM2-135M-Instruct' },
 *     { engine: 'gguf', repo: 'HuggingFaceTB/SmolLM2-135M-Instruct-GGUF', file: 'smollm2-135m-instruct-q8_0.gguf' },
 *   ] } })
 *
 * The loaded model's info names the engine chosen (`engine: 'gguf'`).
 */

export interface Variant {
  engine: string;
  repo?: string;
  baseUrl?: string;
  file?: string;
  revision?: string;
  options?: Record<string, unknown>;
}

/** Where a load runs: the device, and whether the CPU build gets more than one thread. */
export type Situation = 'webgpu' | 'wasm-1' | 'wasm-threads';

/**
 * Engines by decode speed, fastest first, from figures measured on this project's machines
 * (README "GGUF vs ONNX": SmolLM2-135M's shape, random weights, Chromium):
 * - WASM, 1 thread: ONNX q8 13.4 tok/s, GGUF Q8_0 8.2, Q4_0 5.6.
 * - WASM, 2 threads (2-core VM): ONNX q8 7.9, GGUF Q8_0 0.3 (llama.cpp's threads wait on
 *   each other when the cores are busy).
 * - WebGPU: llama.cpp's WebGPU backend takes no layer on SwiftShader (it runs on the CPU
 *   then), transformers.js and web-llm run on the GPU; no real-GPU figure yet, so web-llm
 *   (compiled kernels) first, then ONNX, GGUF last.
 * An engine missing from a list is never picked there (web-llm needs WebGPU).
 */
export const SPEED_ORDER: Record<Situation, string[]> = {
  'wasm-1': ['transformers', 'gguf'],
  'wasm-threads': ['transformers', 'gguf'],
  webgpu: ['webllm', 'transformers', 'gguf'],
};

/** Load errors that mean "this format cannot run here": the next variant is tried. */
const CANNOT_RUN_HERE = new Set([
  'webgpu_unavailable',
  'engine_unavailable_in_shared_worker',
  'unsupported_gpu_feature',
  'gpu_limits_exceeded',
  'unsupported_tokenizer',
]);

/** The variants to try, fastest first, for a situation. */
export function rankVariants(variants: Variant[], situation: Situation): Variant[] {
  const order = SPEED_ORDER[situation];
  return variants
    .filter((v) => order.includes(v.engine))
    .sort((a, b) => order.indexOf(a.engine) - order.indexOf(b.engine));
}

function variantsOf(spec: ModelSpec): Variant[] {
  const variants = (spec.options as { variants?: unknown } | undefined)?.variants;
  if (!Array.isArray(variants) || variants.length === 0 || variants.some((v) => typeof v !== 'object' || v === null || typeof (v as Variant).engine !== 'string' || (v as Variant).engine === 'auto')) {
    throw new BadRequestError(`Model '${spec.id}' (engine 'auto') needs options.variants: [{ engine, repo | baseUrl, file?, options? }, ...], one per format.`, { param: 'options.variants', code: 'invalid_value' });
  }
  return variants as Variant[];
}

async function situationOf(device: LoadContext['device']): Promise<Situation> {
  if (device !== 'wasm' && (await pickDevice(device)).device === 'webgpu') return 'webgpu';
  const threads = globalThis.crossOriginIsolated && (globalThis.navigator?.hardwareConcurrency ?? 1) > 1;
  return threads ? 'wasm-threads' : 'wasm-1';
}

/** `engines(name)`: the host's engine of that name. */
export function createAutoEngine(engines: (name: string) => Promise<Engine>): Engine {
  return {
    name: 'auto',
    capabilities: { modalities: ['text'], chatTemplate: false, logits: false, grammar: false, embeddings: false },
    async load(spec, ctx): Promise<LoadedModel> {
      const variants = variantsOf(spec);
      const situation = await situationOf(ctx.device);
      const ranked = rankVariants(variants, situation);
      if (ranked.length === 0) {
        throw new BadRequestError(`Model '${spec.id}': none of its formats (${variants.map((v) => v.engine).join(', ')}) runs on ${situation === 'webgpu' ? 'WebGPU' : 'WASM'}.`, { param: 'device', code: 'webgpu_unavailable' });
      }
      let last: unknown;
      for (const v of ranked) {
        const sub: ModelSpec = {
          ...spec,
          engine: v.engine,
          source: { repo: v.repo ?? spec.source.repo, baseUrl: v.baseUrl, file: v.file, revision: v.revision },
          options: v.options,
        };
        try {
          return await (await engines(v.engine)).load(sub, ctx);
        } catch (err) {
          if (!(err instanceof BadRequestError) || !CANNOT_RUN_HERE.has(err.code ?? '')) throw err;
          last = err;
        }
      }
      throw last;
    },
  };
}
