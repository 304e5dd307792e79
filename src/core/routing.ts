import { APIError, BadRequestError, ServiceUnavailableError } from '../protocol/errors.js';
import type { RoutingStats } from '../protocol/rpc.js';
import type { RoutingMode, Served } from '../protocol/routing.js';
import { isAbort } from './abort.js';
import type { ModelSpec } from './engine.js';

/**
 * Hybrid routing: which side (this device, or the model's remote server) serves a
 * request, in which order, and when a failure moves it to the other side. The modes are
 * described in protocol/routing.ts. Only failures that say "this side cannot serve it"
 * move a request: a 400 for a bad request is the same answer on both sides.
 */

/** After a local load failed, the device is skipped for this long when a remote exists. */
export const LOCAL_RETRY_MS = 60_000;

/** Local errors that the server can cover: the device cannot run the model, or not this request. */
const LOCAL_FALLBACK_CODES = new Set([
  'webgpu_unavailable', 'unsupported_gpu_feature', 'gpu_limits_exceeded', 'gpu_device_lost',
  'model_download_failed', 'storage_quota_exceeded', 'context_length_exceeded', 'unsupported_content',
]);

/** A model larger than this share of the device's memory is not tried on the device when a remote exists. */
export const MAX_MEMORY_SHARE = 0.5;

export interface RouterOptions {
  /** The device's memory in bytes where known (`navigator.deviceMemory`, a coarse lower bound). */
  deviceMemory?: () => number | null;
  /**
   * Whether the model's files are already in this origin's cache (the host reads its cache
   * listing). A cached model is tried on the device even when memory looks tight: nothing
   * is downloaded, deviceMemory is a coarse lower bound, and a load that does run out of
   * memory still falls back to the server.
   */
  cached?: (spec: ModelSpec) => Promise<boolean>;
}

export class Router {
  private readonly stats = new Map<string, RoutingStats>();
  private readonly localDown = new Map<string, { until: number; reason: string }>();

  constructor(private readonly options: RouterOptions = {}) {}

  /** The sides to try, in order; a 400 naming `routing` when the mode asks for a side the model lacks. */
  async order(spec: ModelSpec, requested: RoutingMode | null | undefined): Promise<Served[]> {
    const local = spec.engine !== 'remote';
    const remote = spec.remote !== undefined;
    const mode = requested ?? spec.routing ?? 'prefer_on_device';
    const missing = (side: string) =>
      new BadRequestError(`Model '${spec.id}' has no ${side}, so routing '${mode}' cannot be served.`, { param: 'routing', code: 'routing_unavailable' });
    switch (mode) {
      case 'only_on_device':
        if (!local) throw missing('local engine');
        return ['local'];
      case 'only_remote':
        if (!remote) throw missing('remote server');
        return ['remote'];
      case 'prefer_remote':
        return [...(remote ? ['remote' as const] : []), ...(local ? ['local' as const] : [])];
      default: {
        const order: Served[] = [...(local ? ['local' as const] : []), ...(remote ? ['remote' as const] : [])];
        const skip = order.length === 2 ? await this.cannotRunHere(spec) : null;
        if (skip) {
          this.count(spec.id).lastFallbackReason = `local skipped: ${skip}`;
          return ['remote'];
        }
        return order;
      }
    }
  }

  /**
   * Tries the sides in order. `attempt` resolves once its side accepted the request (every
   * status error before that); a failure moves on only when the other side can do better.
   */
  async run<T>(id: string, order: Served[], attempt: (side: Served) => Promise<T>, signal: AbortSignal): Promise<{ result: T; served: Served }> {
    for (const [i, side] of order.entries()) {
      try {
        const result = await attempt(side);
        const stats = this.count(id);
        stats[side]++;
        stats.last = side;
        if (i > 0) stats.fallbacks++;
        return { result, served: side };
      } catch (err) {
        const next = order[i + 1];
        if (!next || signal.aborted || isAbort(err) || !this.movesOn(id, side, err)) throw unwrap(err);
        this.count(id).lastFallbackReason = reasonOf(unwrap(err));
      }
    }
    throw new Error('routing: no side to try');
  }

  /**
   * Why the device should not even try (a remote exists): the model just failed to load
   * here, or it is too large for the device's memory and not already cached. Checks that
   * need the engine (adapter, GPU features and limits) happen at load, before any
   * download, and fall back.
   */
  private async cannotRunHere(spec: ModelSpec): Promise<string | null> {
    const down = this.localDown.get(spec.id);
    if (down && down.until > Date.now()) return down.reason;
    const memory = this.options.deviceMemory?.() ?? null;
    if (!memory || !spec.sizeBytes || spec.sizeBytes <= memory * MAX_MEMORY_SHARE) return null;
    const cached = await this.options.cached?.(spec).catch(() => false);
    return cached ? null : 'insufficient_memory';
  }

  /**
   * A local stream whose GPU device is lost mid-generation: when nothing has reached the
   * caller yet (chunks without output, such as the role chunk, are held back until the
   * first one with output), the request moves to the server and its chunks follow; once
   * output went out, a 503 `gpu_device_lost` saying so (an answer cannot be spliced).
   */
  async *recovering<C>(id: string, local: AsyncIterableIterator<C>, remote: () => Promise<AsyncIterableIterator<C>>, hasOutput: (chunk: C) => boolean, moved: () => void): AsyncGenerator<C> {
    const held: C[] = [];
    let sent = false;
    try {
      for await (const chunk of local) {
        if (!sent && !hasOutput(chunk)) {
          held.push(chunk);
          continue;
        }
        if (!sent) yield* held.splice(0);
        sent = true;
        yield chunk;
      }
      yield* held;
      return;
    } catch (err) {
      if (!(err instanceof APIError) || err.code !== 'gpu_device_lost') throw err;
      if (sent) {
        throw new ServiceUnavailableError(`${err.message} Part of the answer had already been sent, so it was not moved to the remote server.`, { code: 'gpu_device_lost' });
      }
      this.localDown.set(id, { until: Date.now() + LOCAL_RETRY_MS, reason: 'gpu_device_lost' });
      const stats = this.count(id);
      stats.local--;
      stats.remote++;
      stats.fallbacks++;
      stats.last = 'remote';
      stats.lastFallbackReason = 'gpu_device_lost (mid-generation)';
    }
    moved();
    yield* await remote();
  }

  /** A successful explicit load clears the device's recent failure. */
  loaded(id: string): void {
    this.localDown.delete(id);
  }

  snapshot(): Record<string, RoutingStats> {
    return Object.fromEntries([...this.stats].map(([id, s]) => [id, { ...s }]));
  }

  private movesOn(id: string, side: Served, err: unknown): boolean {
    if (side === 'local') {
      if (err instanceof LocalLoadFailure) {
        this.localDown.set(id, { until: Date.now() + LOCAL_RETRY_MS, reason: reasonOf(err.cause) });
        return true;
      }
      return err instanceof APIError && (LOCAL_FALLBACK_CODES.has(err.code ?? '') || err.status === 507);
    }
    // The server is unreachable, overloaded or failing (after its retries): the device can answer.
    return err instanceof APIError && (err.status >= 500 || err.status === 429 || err.status === 408);
  }

  private count(id: string): RoutingStats {
    let stats = this.stats.get(id);
    if (!stats) this.stats.set(id, (stats = { local: 0, remote: 0, fallbacks: 0, last: null, lastFallbackReason: null }));
    return stats;
  }
}

/** The model could not be loaded on this device (any reason but an abort): the server may serve it. */
export class LocalLoadFailure extends Error {
  override name = 'LocalLoadFailure';
  constructor(override readonly cause: unknown) {
    super(cause instanceof Error ? cause.message : String(cause));
  }
}

function unwrap(err: unknown): unknown {
  return err instanceof LocalLoadFailure ? err.cause : err;
}

function reasonOf(err: unknown): string {
  if (err instanceof APIError) return err.code ?? `${err.status}: ${err.message}`;
  return err instanceof Error ? err.message : String(err);
}
