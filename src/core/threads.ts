/**
 * CPU threads for WASM engines (onnxruntime-web, llama.cpp): they need SharedArrayBuffer
 * (a cross-origin isolated context) and nested workers, which a dedicated worker of an
 * isolated page has (a dedicated host, or the SharedWorker host's engine worker) and a
 * SharedWorker (Chrome) or a non-isolated context has not. Any
 * engine asks here how many threads it may use, so every engine decides alike.
 */

export interface ThreadSupport {
  /** Threads are possible in this context at all. */
  possible: boolean;
  /** Why not, when they are not (for logs and the bench). */
  reason: string | null;
  /** Logical cores the browser reports. */
  cores: number;
}

export function threadSupport(scope: typeof globalThis = globalThis): ThreadSupport {
  const cores = Math.max(1, Number(scope.navigator?.hardwareConcurrency) || 1);
  if (!(scope as { crossOriginIsolated?: boolean }).crossOriginIsolated) {
    return { possible: false, reason: 'not cross-origin isolated (no SharedArrayBuffer): serve COOP/COEP or use registerGateway({ isolate: true })', cores };
  }
  if (typeof (scope as { Worker?: unknown }).Worker === 'undefined') {
    return { possible: false, reason: 'no nested workers in this context (a SharedWorker): its host places WASM engines in a tab\'s engine worker (src/host/placement/)', cores };
  }
  return { possible: true, reason: null, cores };
}

/**
 * The thread count for a WASM engine: the requested `numThreads` (clamped to what the
 * context allows), else every core the browser reports, up to 8 (beyond that decode is
 * memory-bound and the page's own work suffers). 1 where threads are impossible.
 */
export function chooseThreads(requested: number | undefined, support: ThreadSupport = threadSupport()): number {
  if (!support.possible) return 1;
  if (requested !== undefined && Number.isInteger(requested) && requested > 0) return requested;
  return Math.min(8, support.cores);
}
