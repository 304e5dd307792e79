import type { ModelSpec } from '../core/engine.js';
import { DEFAULT_PREFIX_CACHE_LIMITS, type PrefixCacheLimits } from '../core/prefix-cache.js';
import type { DeviceKind } from '../protocol/models.js';

/** Which ONNX file (dtype) a transformers.js model loads: the caller's choice, else the fastest that exists. */

/**
 * `options.dtype` is one dtype, or one per device (`{ webgpu: 'q4f16', wasm: 'q8' }`).
 * An f16 dtype on an adapter without `shader-f16` falls back to the WASM choice, if any.
 * Undefined when the caller chose nothing for this device: then the files decide
 * (availableDtype).
 */
export function dtypeFor(spec: ModelSpec, device: DeviceKind, f16: boolean): string | undefined {
  const dtype = spec.options?.dtype;
  if (!dtype) return undefined;
  if (typeof dtype === 'string') return dtype;
  const perDevice = dtype as Partial<Record<DeviceKind, string>>;
  const chosen = perDevice[device];
  if (device === 'webgpu' && chosen?.includes('f16') && !f16) return perDevice.wasm;
  return chosen;
}

/**
 * The dtypes to prefer when the caller names none, fastest first; the first whose files exist
 * is loaded. WASM figures measured here at SmolLM2-135M's shape (random weights, 128 tokens,
 * 1 thread, Chromium 156; /work/shared/FINDINGS.md and the README's Models section):
 * q8 13.4 tok/s, fp32 13.2, q4 (MatMulNBits) 1.7 — onnxruntime-web's 4-bit kernel on WASM is
 * ~8x slower than q8, so the 4-bit files come last there. int8/uint8 are the same dynamic
 * quantization as q8; fp16 on WASM was not measured (onnxruntime's CPU kernels mostly work in
 * fp32). WebGPU was not measured on real hardware here: the order is transformers.js's own
 * recommendation for LLMs (q4f16 with `shader-f16`), and q8 last because onnxruntime-web's
 * WebGPU backend has no kernels for its integer MatMuls (they fall back to the CPU).
 */
export const DTYPE_PREFERENCE: Record<'wasm' | 'webgpu' | 'webgpu-f16', readonly string[]> = {
  wasm: ['q8', 'int8', 'uint8', 'fp32', 'fp16', 'q4', 'bnb4', 'q4f16'],
  'webgpu-f16': ['q4f16', 'fp16', 'q4', 'fp32', 'bnb4', 'q8', 'int8', 'uint8'],
  webgpu: ['q4', 'fp32', 'bnb4', 'q8', 'int8', 'uint8'],
};

/** The dtypes a model folder has (transformers.js's own probe of its files), fastest first. */
export function dtypeCandidates(available: readonly string[], device: DeviceKind, f16: boolean): string[] {
  const order = DTYPE_PREFERENCE[device === 'webgpu' ? (f16 ? 'webgpu-f16' : 'webgpu') : 'wasm'];
  return order.filter((d) => available.includes(d));
}

/** The preferred dtype among those a model folder has. */
export function preferredDtype(available: readonly string[], device: DeviceKind, f16: boolean): string | undefined {
  return dtypeCandidates(available, device, f16)[0];
}

/** transformers.js's file suffix per dtype (onnx/model<suffix>.onnx). */
export const DTYPE_SUFFIX: Record<string, string> = {
  fp32: '', fp16: '_fp16', q8: '_quantized', int8: '_int8', uint8: '_uint8', q4: '_q4', q4f16: '_q4f16', bnb4: '_bnb4',
};

/**
 * Dynamically quantized files (q8 and its int8/uint8 names) take their activation scales
 * per forward pass, so a prompt prefilled in two passes (a cached prefix, then the rest)
 * gives other logits than one pass: measured up to 0.58 on tiny-random-llama3's q8.
 */
const PASS_DEPENDENT_DTYPES = new Set(['q8', 'int8', 'uint8']);

/**
 * Positions per prefill pass for a dtype, or 0 for one pass. Pass-dependent dtypes prefill
 * in blocks at fixed positions (0-63, 64-127, ...), with or without the prefix cache, so a
 * cached block is exactly what a request without the cache computes (src/core/prefix-cache.ts).
 * Each extra pass reads every weight again, about one decode step (bench-0.5b, WASM: 32
 * made a 96-token prefill 12% slower than one pass); each block boundary leaves up to
 * block - 1 cached tokens to prefill again. 64 weighs the two.
 */
export function prefillBlock(dtype: string | undefined): number {
  return dtype && PASS_DEPENDENT_DTYPES.has(dtype) ? 64 : 0;
}

/** The prefix cache's bounds for a model: its own `options.prefixCache`, else the engine's, else the defaults. */
export function prefixCacheLimits(spec: ModelSpec, engine: Partial<PrefixCacheLimits> | false | undefined): PrefixCacheLimits | null {
  const own = spec.options?.prefixCache as Partial<PrefixCacheLimits> | boolean | undefined;
  const chosen = own ?? engine;
  if (chosen === false) return null;
  return { ...DEFAULT_PREFIX_CACHE_LIMITS, ...engine, ...(typeof own === 'object' ? own : {}) };
}
