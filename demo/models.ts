/**
 * What the model picker shows: every model the client lists, grouped by engine, with its
 * size and what it needs, and — for web-llm's prebuilt models — whether it can run on this
 * browser's GPU and why not. The web-llm facts come from the catalog (pure data: no
 * web-llm code is loaded into the page for this).
 */
import type { Model } from '../src/client/index.js';
import { describeWebLLMModels, probeGpu, type GpuFacts, type WebLLMCatalogEntry } from '../src/engines/webllm/catalog.js';

export type EngineGroup = 'transformers' | 'webllm' | 'other';

export interface PickerModel {
  id: string;
  engine: EngineGroup;
  /** The engine as people call it: transformers.js, web-llm. */
  engineLabel: string;
  kind: 'chat' | 'vision' | 'embedding';
  quantization: string | null;
  /** Size in words ("1.1 GB GPU memory", "620 MB download"), or null where unknown. */
  size: string | null;
  /** Bytes behind `size`, for sorting and tests. */
  sizeBytes: number | null;
  contextLength: number | null;
  /** What it needs from the browser, in words: "WebGPU", "shader-f16", ... */
  needs: string[];
  available: boolean;
  /** Why it cannot run here (unavailable), or what is limited (available). */
  reasons: string[];
  /** Short form of the first reason, for the picker's option text. */
  shortReason: string | null;
  /** The model to use instead (the f32 build of an f16 model). */
  alternative: string | null;
  /** Shipped with the demo (the tiny model). */
  embedded: boolean;
}

export interface Catalog {
  models: PickerModel[];
  /** The WebGPU adapter the checks ran against; null = none; undefined = probe gave no answer. */
  gpu: GpuFacts | null | undefined;
}

const ENGINE_LABELS: Record<string, string> = { transformers: 'transformers.js', webllm: 'web-llm' };
const MiB = 1 << 20;

/** 1128.8 MB -> "1.1 GB"; 879 MB -> "879 MB". */
export function formatBytes(bytes: number): string {
  if (bytes >= 1000 * MiB) return `${(bytes / 1024 / MiB).toFixed(1)} GB`;
  if (bytes >= MiB) return `${Math.round(bytes / MiB)} MB`;
  return `${Math.max(1, Math.round(bytes / 1024))} KB`;
}

/** Asks for the adapter, but gives up after `ms` (a hung driver must not block the picker). */
async function probe(ms: number): Promise<GpuFacts | null | undefined> {
  const timeout = new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), ms));
  return Promise.race([probeGpu().catch(() => null), timeout]);
}

function shortReasonOf(entry: WebLLMCatalogEntry): string | null {
  if (entry.kind === 'embedding') return 'embedding model: /v1/embeddings';
  if (!entry.available) {
    const missing = entry.needs.features.filter((f) => entry.reasons.some((r) => r.includes(`'${f}'`)));
    if (missing.length) return `needs ${missing.join(', ')}`;
    if (entry.reasons.some((r) => r.includes('no WebGPU adapter'))) return 'needs WebGPU';
    if (entry.reasons.some((r) => r.includes('WebGPU limit'))) return 'GPU limits too low';
    return 'unavailable';
  }
  if (entry.kind === 'vision') return 'text only for now';
  return null;
}

function needsOfEntry(entry: WebLLMCatalogEntry): string[] {
  const needs = ['WebGPU', ...entry.needs.features];
  if (entry.needs.maxStorageBufferBindingSize > 128 * MiB) {
    needs.push(`${formatBytes(entry.needs.maxStorageBufferBindingSize)} storage buffers`);
  }
  return needs;
}

const EMBEDDING_REASON = 'Embedding model: it serves client.embeddings.create and /v1/embeddings, not chat.';

function fromCatalog(entry: WebLLMCatalogEntry): PickerModel {
  const sizeBytes = entry.vramMB == null ? null : Math.round(entry.vramMB * MiB);
  return {
    id: entry.id,
    engine: 'webllm',
    engineLabel: 'web-llm',
    kind: entry.kind,
    quantization: entry.quantization,
    size: sizeBytes == null ? null : `${formatBytes(sizeBytes)} GPU memory`,
    sizeBytes,
    contextLength: entry.contextLength,
    needs: needsOfEntry(entry),
    // The playground chats: an embedding model runs, but not here.
    available: entry.available && entry.kind !== 'embedding',
    reasons: entry.kind === 'embedding' ? [EMBEDDING_REASON, ...entry.reasons] : entry.reasons,
    shortReason: shortReasonOf(entry),
    alternative: entry.alternative,
    embedded: false,
  };
}

function fromModel(m: Model, embedded: boolean): PickerModel {
  const engine: EngineGroup = m.engine === 'transformers' || m.engine === 'webllm' ? m.engine : 'other';
  return {
    id: m.id,
    engine,
    engineLabel: ENGINE_LABELS[m.engine] ?? m.engine,
    kind: m.modalities.includes('image') ? 'vision' : 'chat',
    quantization: null,
    size: m.size_bytes == null ? null : `${formatBytes(m.size_bytes)} download`,
    sizeBytes: m.size_bytes,
    contextLength: m.context_length,
    needs: engine === 'webllm' ? ['WebGPU'] : ['WebGPU or WASM'],
    available: true,
    reasons: [],
    shortReason: null,
    alternative: null,
    embedded,
  };
}

/**
 * The client's models merged with web-llm's catalog, checked against this browser's
 * WebGPU adapter. web-llm models the registry does not list are shown too.
 */
export async function buildCatalog(listed: Model[], embeddedId: string): Promise<Catalog> {
  const gpu = await probe(5000);
  const webllm = new Map(describeWebLLMModels(gpu).map((e) => [e.id, e]));
  const models = listed.map((m) => {
    const entry = m.engine === 'webllm' ? webllm.get(m.id) : undefined;
    if (entry) webllm.delete(m.id);
    return entry ? { ...fromCatalog(entry), contextLength: m.context_length ?? entry.contextLength } : fromModel(m, m.id === embeddedId);
  });
  models.push(...[...webllm.values()].map(fromCatalog));
  return { models, gpu };
}

/** One line about the adapter, for the catalog's heading. */
export function describeGpu(gpu: Catalog['gpu']): string {
  if (gpu === undefined) return 'The WebGPU adapter did not answer: GPU needs were not checked.';
  if (gpu === null) return 'No WebGPU adapter in this browser: web-llm models cannot run here.';
  const f16 = gpu.features.includes('shader-f16') ? 'has shader-f16' : 'no shader-f16';
  return `This GPU: ${gpu.description} (${f16}, storage buffers up to ${formatBytes(gpu.limits.maxStorageBufferBindingSize)}).`;
}
