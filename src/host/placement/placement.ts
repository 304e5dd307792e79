import type { Engine, LoadContext, LoadedModel, ModelSpec, PassThroughEngine } from '../../core/engine.js';
import { isPassThrough } from '../../core/engine.js';
import type { RuntimeOptions } from '../../core/runtime.js';
import { chooseThreads, threadSupport } from '../../core/threads.js';
import type { DeviceKind } from '../../protocol/models.js';
import type { ModelPlacement, PlacementStats } from '../../protocol/rpc.js';
import type { EngineConfig } from '../engines.js';
import { choosePlacement, PLACED_ENGINES, type Where } from './choose.js';
import { EngineWorkerSlot } from './slot.js';
import { workerEngine } from './worker-engine.js';

/** How long a transformers.js WASM load waits for the first tab's engine worker before running in the host. */
const FIRST_WORKER_MS = 10_000;

/**
 * The host's engines, each model placed where choose.ts says: in the host, or through a
 * proxy (worker-engine.ts) in the engine worker that a tab attached (`slot`). Remembers
 * where each model went, for stats.
 */
export class EnginePlacement {
  readonly slot = new EngineWorkerSlot();
  /** The lock this host's clients hold an election with (one per host instance); null: none needed. */
  readonly election: string | null;
  private readonly placed = new Map<string, ModelPlacement>();

  constructor(private readonly dedicatedHost: boolean, private readonly config: () => EngineConfig) {
    this.election = dedicatedHost ? null : `webinfer-engine-worker-${crypto.randomUUID()}`;
  }

  /** `local` with the placed engines (transformers, gguf) choosing per model. */
  engines(local: RuntimeOptions['engines']): RuntimeOptions['engines'] {
    const out = { ...local };
    for (const name of PLACED_ENGINES) {
      const inHost = local[name];
      if (!inHost) continue;
      const inWorker = workerEngine(name, this.slot, this.config);
      out[name] = async () => this.placedEngine(name, inHost, inWorker);
    }
    return out;
  }

  stats(loaded: string[]): PlacementStats {
    return { engineWorker: this.slot.stats(), models: Object.fromEntries(loaded.flatMap((id) => (this.placed.has(id) ? [[id, this.placed.get(id)!]] : []))) };
  }

  private placedEngine(name: string, inHost: () => Promise<Engine | PassThroughEngine>, inWorker: Engine): Engine {
    let host: Promise<Engine> | null = null;
    const hostEngine = () => (host ??= inHost().then((e) => {
      if (isPassThrough(e)) throw new Error(`engine '${name}' is not an on-device engine`);
      return e;
    }, (err) => {
      host = null; // a failed engine load is tried again by the next model
      throw err;
    }));
    return {
      name,
      capabilities: inWorker.capabilities,
      load: async (spec: ModelSpec, ctx: LoadContext): Promise<LoadedModel> => {
        const device = name === 'transformers' ? await resolveDevice(ctx.device) : ctx.device;
        const worker = name === 'transformers' && device === 'wasm' && !this.dedicatedHost
          ? await this.slot.current(ctx.signal, FIRST_WORKER_MS).catch((err) => { if (ctx.signal.aborted) throw err; return null; })
          : this.slot.peek();
        const where: Where = choosePlacement({ engine: name, device, dedicatedHost: this.dedicatedHost, worker: worker?.info ?? null });
        // In the host the engine gets the request's own device ('auto' as before); the worker the resolved one.
        const model = where === 'engine-worker' ? await inWorker.load(spec, { ...ctx, device }) : await (await hostEngine()).load(spec, ctx);
        this.placed.set(spec.id, { where: this.dedicatedHost ? 'dedicated-worker' : where === 'host' ? 'shared-worker' : 'engine-worker', threads: threadsOf(model, where, this.config().numThreads) });
        return model;
      },
    };
  }
}

/** transformers.js's own choice for 'auto' (WebGPU when an adapter is there), made here so placement knows it. */
async function resolveDevice(device: 'auto' | DeviceKind): Promise<'auto' | DeviceKind> {
  if (device !== 'auto') return device;
  return (await (await import('../../engines/transformers.js')).pickDevice('auto')).device;
}

function threadsOf(model: LoadedModel, where: Where, numThreads: number | undefined): number {
  if (model.device !== 'wasm') return 1;
  if (where === 'engine-worker') return (model as LoadedModel & { threads?: number }).threads ?? 1;
  return chooseThreads(numThreads, threadSupport());
}
