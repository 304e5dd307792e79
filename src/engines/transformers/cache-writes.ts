import { env } from '@huggingface/transformers';
import type { Engine, ModelSpec } from '../../core/engine.js';
import type { ModelStorage, UncachedReason } from '../../protocol/models.js';

/**
 * transformers.js stores each downloaded file in the Cache API and, when a write fails
 * (the storage quota exceeded, most often), logs a warning and loads the model uncached.
 * That is the right outcome (the model works; the Cache API writes a response whole or
 * not at all, so nothing is left half-cached), but it was silent: the next load downloads
 * everything again with no word why. This cache (transformers.js's `customCache` hook,
 * the same `transformers-cache` store) records which writes failed and why, and every
 * load reports it as `storage` in its LoadedModelInfo.
 */

/** URL -> why its last write failed; taken by the load that fetched it. */
const failures = new Map<string, UncachedReason>();

/** Installs the recording cache where transformers.js would use the browser cache. */
export function recordCacheWrites(): void {
  const storage = (globalThis as { caches?: CacheStorage }).caches;
  if (env.useCustomCache || !env.useBrowserCache || !storage) return;
  let opened: Promise<Cache> | null = null;
  const cache = () => (opened ??= storage.open(env.cacheKey));
  env.customCache = {
    match: async (request: RequestInfo) => (await cache()).match(request),
    async put(request: RequestInfo, response: Response) {
      const url = typeof request === 'string' ? request : request.url;
      // transformers.js skips keys a Cache cannot hold (its own check is `instanceof Cache`).
      if (!/^https?:/.test(url)) return;
      try {
        await (await cache()).put(request, response);
        failures.delete(url);
      } catch (err) {
        failures.set(url, (err as Error)?.name === 'QuotaExceededError' ? 'storage_quota_exceeded' : 'cache_write_failed');
      }
    },
  } as unknown as typeof env.customCache;
  env.useCustomCache = true;
}

/** The engine whose loads say whether their files were cached (`LoadedModel.storage`). */
export function withCacheReport(engine: Engine, hubUrl: () => string | undefined): Engine {
  if (!(env.useCustomCache && env.useBrowserCache)) return engine;
  return {
    ...engine,
    async load(spec, ctx) {
      const model = await engine.load(spec, ctx);
      model.storage = takeFailures(modelUrlPrefix(spec, hubUrl()));
      return model;
    },
  };
}

function takeFailures(prefix: string): ModelStorage {
  const uncached = [...failures].filter(([url]) => url.startsWith(prefix));
  for (const [url] of uncached) failures.delete(url);
  const quota = uncached.some(([, reason]) => reason === 'storage_quota_exceeded');
  return {
    cached: uncached.length === 0,
    reason: uncached.length === 0 ? null : quota ? 'storage_quota_exceeded' : 'cache_write_failed',
    uncached_files: uncached.map(([url]) => url.slice(prefix.length)),
  };
}

/** Where a model's files live: its cache keys start with this. */
export function modelUrlPrefix(spec: ModelSpec, hubUrl = 'https://huggingface.co/'): string {
  const base = (globalThis as { location?: { href: string } }).location?.href;
  return spec.source.baseUrl
    ? new URL(spec.source.baseUrl.endsWith('/') ? spec.source.baseUrl : `${spec.source.baseUrl}/`, base).href
    : `${hubUrl.endsWith('/') ? hubUrl : `${hubUrl}/`}${spec.source.repo}/resolve/`;
}
