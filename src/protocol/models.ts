import { z } from 'zod';
import { RoutingMode } from './routing.js';

/** `/v1/models` objects, plus the runtime's own model facts (engine, modalities, state). */

export const Modality = z.enum(['text', 'image', 'audio', 'video']);
export type Modality = z.infer<typeof Modality>;

export const Model = z.object({
  id: z.string(),
  object: z.literal('model'),
  created: z.number().int(),
  owned_by: z.string(),
  // Extensions: what a client needs to pick and use a local model.
  engine: z.string(),
  modalities: z.array(Modality),
  context_length: z.number().int().nullable(),
  loaded: z.boolean(),
  size_bytes: z.number().int().nullable(),
  /** Hybrid models (a local engine and a remote server): where requests run by default. */
  routing: RoutingMode.optional(),
});
export type Model = z.infer<typeof Model>;

export const ModelList = z.object({ object: z.literal('list'), data: z.array(Model) });
export type ModelList = z.infer<typeof ModelList>;

/**
 * Load progress, the same shape for every engine: bytes where the engine reports them
 * (`loaded`/`total`, summed over files), otherwise only the phase.
 */
export const LoadProgress = z.object({
  model: z.string(),
  phase: z.enum(['download', 'init', 'ready']),
  /** 0..1 over the whole load, when known. */
  progress: z.number().min(0).max(1).nullable(),
  loaded: z.number().nullable(),
  total: z.number().nullable(),
  file: z.string().nullable(),
  text: z.string(),
});
export type LoadProgress = z.infer<typeof LoadProgress>;

export const DeviceKind = z.enum(['webgpu', 'wasm']);
export type DeviceKind = z.infer<typeof DeviceKind>;

export const LoadOptions = z.strictObject({
  /** 'auto' (default): WebGPU when an adapter exists, else WASM. */
  device: z.enum(['auto', 'webgpu', 'wasm']).optional(),
});
export type LoadOptions = z.infer<typeof LoadOptions>;

/** Why a load's files are not in the browser's cache (the model still runs, from memory). */
export const UncachedReason = z.enum(['storage_quota_exceeded', 'cache_write_failed']);
export type UncachedReason = z.infer<typeof UncachedReason>;

/** Whether a load's downloaded files were cached, so the next load skips the download. */
export const ModelStorage = z.object({
  cached: z.boolean(),
  reason: UncachedReason.nullable(),
  /** Files not cached, relative to the model's base URL. */
  uncached_files: z.array(z.string()),
});
export type ModelStorage = z.infer<typeof ModelStorage>;

/** What a load returns: where and how the model now runs. */
export const LoadedModelInfo = z.object({
  id: z.string(),
  engine: z.string(),
  /** 'remote': a remote-only model, which has nothing to load (its server runs it). */
  device: z.union([DeviceKind, z.literal('remote')]),
  context_length: z.number().int().nullable(),
  modalities: z.array(Modality),
  load_ms: z.number(),
  /** Engines that cache files in the browser (transformers.js) say whether this load's were. */
  storage: ModelStorage.optional(),
});
export type LoadedModelInfo = z.infer<typeof LoadedModelInfo>;
