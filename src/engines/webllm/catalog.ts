import type { ModelRecord } from '@mlc-ai/web-llm';
import type { ModelSpec } from '../../core/engine.js';
import type { Modality } from '../../protocol/models.js';
import { prebuiltModelList } from './prebuilt.js';

/**
 * web-llm models as registry entries, and what each needs from the GPU. Pure data and
 * functions: nothing here imports web-llm itself (the prebuilt list is a snapshot, kept
 * equal to the installed web-llm by tests/webllm/prebuilt.test.ts).
 */

/** `ModelSpec.options` of a web-llm model: the fields of web-llm's `ModelRecord`. */
export interface WebLLMModelOptions {
  /** URL of the compiled model library (`.wasm`). Required. */
  model_lib: string;
  /** web-llm's estimate of the GPU memory the model needs. */
  vram_required_MB?: number;
  /** Runs within WebGPU's default limits (128 MiB storage buffer bindings). */
  low_resource_required?: boolean;
  /** The largest storage buffer binding the model needs, in bytes. */
  buffer_size_required_bytes?: number;
  /** WebGPU features the model needs, e.g. `shader-f16`. */
  required_features?: string[];
  /** Overrides of the model's `mlc-chat-config.json` (e.g. `context_window_size`). */
  overrides?: Record<string, unknown>;
  /** web-llm's ModelType: 0 LLM, 1 embedding, 2 VLM (or the names). */
  model_type?: number | 'llm' | 'embedding' | 'vlm';
  model_manifest?: string;
  integrity?: Record<string, unknown>;
}

export type WebLLMModelKind = 'chat' | 'vision' | 'embedding';

const KIND_BY_TYPE: Record<string, WebLLMModelKind> = { '0': 'chat', '1': 'embedding', '2': 'vision', llm: 'chat', embedding: 'embedding', vlm: 'vision' };
const TYPE_BY_KIND: Record<WebLLMModelKind, number> = { chat: 0, embedding: 1, vision: 2 };

export function kindOf(options: Pick<WebLLMModelOptions, 'model_type'>): WebLLMModelKind {
  return options.model_type == null ? 'chat' : KIND_BY_TYPE[String(options.model_type)] ?? 'chat';
}

/** A prebuilt (or any) web-llm ModelRecord as a registry entry. */
export function specFromRecord(record: ModelRecord): ModelSpec {
  const { model, model_id, model_lib, overrides, ...rest } = record;
  const options: WebLLMModelOptions = { model_lib, ...(rest as Omit<WebLLMModelOptions, 'model_lib'>) };
  if (overrides) options.overrides = overrides as Record<string, unknown>;
  const contextWindow = (overrides as { context_window_size?: number } | undefined)?.context_window_size;
  const repo = repoOf(model);
  return {
    id: model_id,
    engine: 'webllm',
    source: { repo, baseUrl: model },
    ...(contextWindow && contextWindow > 0 ? { contextLength: contextWindow } : {}),
    // web-llm's VLMs (Phi-3.5-vision) take images: core resolves them before the queue.
    ...(kindOf(rest as WebLLMModelOptions) === 'vision' ? { modalities: ['text', 'image'] as Modality[] } : {}),
    ownedBy: repo.split('/')[0] ?? 'mlc-ai',
    options: options as unknown as Record<string, unknown>,
  };
}

/**
 * The ModelRecord web-llm needs for a registry entry: prebuilt or custom (`baseUrl` is
 * the model folder holding `mlc-chat-config.json`, `options.model_lib` the `.wasm`).
 * Relative URLs resolve against `base` (the host's location).
 */
export function recordFromSpec(spec: ModelSpec, base?: string): ModelRecord {
  const options = (spec.options ?? {}) as Partial<WebLLMModelOptions>;
  const model = spec.source.baseUrl ?? spec.source.repo;
  if (!options.model_lib) throw new Error(`web-llm model '${spec.id}' has no options.model_lib (the compiled model library URL).`);
  const { model_type, ...rest } = options;
  const record = {
    ...rest,
    model: absolute(/^[\w-]+\/[\w.-]+$/.test(model) && !spec.source.baseUrl ? `https://huggingface.co/${model}` : model, base),
    model_id: spec.id,
    model_lib: absolute(options.model_lib, base),
  } as ModelRecord;
  if (model_type != null) (record as { model_type?: number }).model_type = TYPE_BY_KIND[kindOf({ model_type })];
  return record;
}

function absolute(url: string, base: string | undefined): string {
  if (/^[a-z][a-z0-9+.-]*:/i.test(url)) return url;
  const from = base ?? (globalThis as { location?: { href: string } }).location?.href;
  return from ? new URL(url, from).href : url;
}

function repoOf(modelUrl: string): string {
  const m = /^https:\/\/huggingface\.co\/([^/]+\/[^/]+)/.exec(modelUrl);
  return m ? m[1]! : modelUrl;
}

/** Every prebuilt model (LLM, VLM and embedding), as registry entries. */
export function prebuiltSpecs(): ModelSpec[] {
  return prebuiltModelList.map(specFromRecord);
}

// ---- GPU needs -----------------------------------------------------------------------

/** What the host's WebGPU adapter offers; `null` = no adapter (or no WebGPU at all). */
export interface GpuFacts {
  features: string[];
  limits: {
    maxBufferSize: number;
    maxStorageBufferBindingSize: number;
    maxComputeWorkgroupStorageSize: number;
    maxStorageBuffersPerShaderStage: number;
  };
  /** Adapter vendor/architecture/description, for messages. */
  description: string;
}

interface AdapterLike {
  features: { has(name: string): boolean; forEach?(cb: (v: string) => void): void } & Iterable<string>;
  limits: Record<string, number>;
  info?: { vendor?: string; architecture?: string; description?: string };
}

/** Asks WebGPU for an adapter the way web-llm does (high-performance); null when there is none. */
export async function probeGpu(gpu: unknown = (globalThis.navigator as { gpu?: unknown } | undefined)?.gpu): Promise<GpuFacts | null> {
  const api = gpu as { requestAdapter?(o?: unknown): Promise<AdapterLike | null> } | undefined;
  if (!api?.requestAdapter) return null;
  const adapter = await api.requestAdapter({ powerPreference: 'high-performance' }).catch(() => null);
  if (!adapter) return null;
  const info = adapter.info ?? {};
  return {
    features: [...adapter.features],
    limits: {
      maxBufferSize: adapter.limits.maxBufferSize ?? 0,
      maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize ?? 0,
      maxComputeWorkgroupStorageSize: adapter.limits.maxComputeWorkgroupStorageSize ?? 0,
      maxStorageBuffersPerShaderStage: adapter.limits.maxStorageBuffersPerShaderStage ?? 0,
    },
    description: [info.vendor, info.architecture, info.description].filter(Boolean).join(' ') || 'WebGPU adapter',
  };
}

export interface GpuNeeds {
  features: string[];
  /** Smallest maxStorageBufferBindingSize that works (web-llm falls back to 128 MiB). */
  maxStorageBufferBindingSize: number;
  /** web-llm asks for 1 GiB and falls back to 256 MiB. */
  maxBufferSize: number;
  vramMB: number | null;
  lowResource: boolean;
}

const MiB = 1 << 20;

/**
 * What a model needs. f16 quantizations (`q4f16_1`, `q0f16`, ...) need `shader-f16` even
 * where web-llm's record does not say so (56 of its 86 f16 records do not): without it the
 * load fails halfway, after the weights were downloaded.
 */
export function needsOf(record: Pick<ModelRecord, 'model_id' | 'model' | 'required_features' | 'buffer_size_required_bytes' | 'vram_required_MB' | 'low_resource_required'>): GpuNeeds {
  const features = new Set(record.required_features ?? []);
  if (isF16(record.model_id) || isF16(record.model)) features.add('shader-f16');
  return {
    features: [...features],
    maxStorageBufferBindingSize: Math.max(128 * MiB, record.buffer_size_required_bytes ?? 0),
    maxBufferSize: Math.max(256 * MiB, record.buffer_size_required_bytes ?? 0),
    vramMB: record.vram_required_MB ?? null,
    lowResource: record.low_resource_required ?? false,
  };
}

function isF16(name: string): boolean {
  return /(^|[-_/])q\d+f16(_\d+)?($|[-_/])/i.test(name);
}

/** The f32 sibling of an f16 model id (`...-q4f16_1-MLC` -> `...-q4f32_1-MLC`), when it exists. */
export function f32Variant(id: string, known: (id: string) => boolean): string | null {
  const candidate = id.replace(/(^|[-_])q(\d+)f16(_\d+)?(?=$|[-_])/i, (_m, pre: string, bits: string, suffix = '') => `${pre}q${bits}f32${suffix}`);
  return candidate !== id && known(candidate) ? candidate : null;
}

export interface GpuProblem {
  code: 'webgpu_unavailable' | 'unsupported_gpu_feature' | 'gpu_limits_exceeded';
  message: string;
  /** The f32 variant to use instead, for a missing shader-f16. */
  suggestion?: string;
}

/** Everything that would make a load fail on this adapter, checked before any download. */
export function gpuProblems(id: string, needs: GpuNeeds, gpu: GpuFacts | null, known: (id: string) => boolean): GpuProblem[] {
  if (!gpu) {
    return [{
      code: 'webgpu_unavailable',
      message: `Model '${id}' runs on web-llm, which needs WebGPU, and this browser offers no WebGPU adapter (check that WebGPU is enabled; https://webgpureport.org/ shows what the browser supports).`,
    }];
  }
  const problems: GpuProblem[] = [];
  for (const feature of needs.features) {
    if (gpu.features.includes(feature)) continue;
    if (feature === 'shader-f16') {
      const alt = f32Variant(id, known);
      problems.push({
        code: 'unsupported_gpu_feature',
        message: `Model '${id}' computes in f16 and needs the WebGPU feature 'shader-f16', which this adapter (${gpu.description}) lacks.` +
          (alt ? ` Use its f32 variant '${alt}' instead.` : ' Use an f32 (q4f32/q0f32) build of the model instead.'),
        ...(alt ? { suggestion: alt } : {}),
      });
    } else {
      problems.push({ code: 'unsupported_gpu_feature', message: `Model '${id}' needs the WebGPU feature '${feature}', which this adapter (${gpu.description}) lacks.` });
    }
  }
  const limit = (name: keyof GpuFacts['limits'], need: number, what: string) => {
    const have = gpu.limits[name];
    if (have < need) {
      problems.push({
        code: 'gpu_limits_exceeded',
        message: `Model '${id}' needs ${what} (WebGPU limit ${name}) of at least ${fmt(need)}; this adapter (${gpu.description}) allows ${fmt(have)}.`,
      });
    }
  };
  limit('maxStorageBufferBindingSize', needs.maxStorageBufferBindingSize, 'storage buffer bindings');
  limit('maxBufferSize', needs.maxBufferSize, 'buffers');
  limit('maxComputeWorkgroupStorageSize', 32 << 10, 'workgroup storage');
  limit('maxStorageBuffersPerShaderStage', 10, 'storage buffers per shader stage');
  return problems;
}

function fmt(bytes: number): string {
  if (bytes >= MiB) return `${Math.round(bytes / MiB)} MiB`;
  if (bytes >= 1024) return `${Math.round(bytes / 1024)} KiB`;
  return String(bytes);
}

// ---- the list a UI shows ------------------------------------------------------------

export interface WebLLMCatalogEntry {
  id: string;
  kind: WebLLMModelKind;
  /** Weights quantization from the id: q4f16_1, q4f32_1, q0f32, ... */
  quantization: string | null;
  /** web-llm's GPU memory estimate (the download is of the same order). */
  vramMB: number | null;
  lowResource: boolean;
  contextLength: number | null;
  needs: GpuNeeds;
  /** Runnable through webinfer on this GPU (chat completions). */
  available: boolean;
  /** Why not (or what is limited), in words; empty when nothing is in the way. */
  reasons: string[];
  /** For a missing shader-f16: the f32 model to pick instead. */
  alternative: string | null;
  modelUrl: string;
  modelLibUrl: string;
}

/**
 * Every prebuilt web-llm model with its size and needs, marked unavailable (with the
 * reason) where this GPU or the adapter lacks something it needs. `gpu`: `probeGpu()`'s
 * answer in the page; `undefined` = not checked (only the adapter's own limits apply).
 */
export function describeWebLLMModels(gpu?: GpuFacts | null, records: ModelRecord[] = prebuiltModelList): WebLLMCatalogEntry[] {
  const ids = new Set(records.map((r) => r.model_id));
  const known = (id: string) => ids.has(id);
  return records.map((record) => {
    const kind = kindOf(record as WebLLMModelOptions);
    const needs = needsOf(record);
    const reasons: string[] = [];
    let available = true;
    let alternative: string | null = null;
    if (gpu !== undefined) {
      for (const p of gpuProblems(record.model_id, needs, gpu, known)) {
        available = false;
        reasons.push(p.message);
        alternative ??= p.suggestion ?? null;
      }
    }
    const ctx = (record.overrides as { context_window_size?: number } | undefined)?.context_window_size;
    return {
      id: record.model_id,
      kind,
      quantization: /(q\d+f(?:16|32)(?:_\d+)?)/i.exec(record.model_id)?.[1] ?? null,
      vramMB: record.vram_required_MB ?? null,
      lowResource: record.low_resource_required ?? false,
      contextLength: ctx && ctx > 0 ? ctx : null,
      needs,
      available,
      reasons,
      alternative,
      modelUrl: record.model,
      modelLibUrl: record.model_lib,
    };
  });
}
