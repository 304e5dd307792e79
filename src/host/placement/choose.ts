import type { DeviceKind } from '../../protocol/models.js';
import type { EngineWorkerInfo } from './protocol.js';

/** Where a model runs: in the engine host itself, or in the engine worker of the elected tab. */
export type Where = 'host' | 'engine-worker';

export interface PlacementInput {
  engine: string;
  /** The device the load will use ('auto' resolved where the engine lets the host know). */
  device: 'auto' | DeviceKind;
  /** The host is a dedicated worker (it can start nested workers itself), not a SharedWorker. */
  dedicatedHost: boolean;
  /** The engine worker now attached (null: none yet). */
  worker: EngineWorkerInfo | null;
}

/**
 * The one place that decides where an engine's model runs (ARCHITECTURE: "where engines
 * run"). A dedicated-worker host runs everything itself. In the SharedWorker host:
 * - GGUF (wllama starts a worker of its own, which a SharedWorker cannot): the engine worker;
 * - transformers.js on WASM: the engine worker when its tab is cross-origin isolated
 *   (threads possible there), else the host (one thread either way, no extra hop);
 * - WebGPU and everything else: the host.
 */
export function choosePlacement(input: PlacementInput): Where {
  if (input.dedicatedHost) return 'host';
  if (input.engine === 'gguf') return 'engine-worker';
  if (input.engine === 'transformers' && input.device === 'wasm' && input.worker?.threads) return 'engine-worker';
  return 'host';
}

/** Engines that choose per model; the others always run in the host. */
export const PLACED_ENGINES = ['transformers', 'gguf'] as const;
