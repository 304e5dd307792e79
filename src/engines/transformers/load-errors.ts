import { env } from '@huggingface/transformers';
import type { Engine, LoadedModel, ModelSpec } from '../../core/engine.js';
import { APIError, NotFoundError, ServiceUnavailableError } from '../../protocol/errors.js';
import { modelUrlPrefix } from './cache-writes.js';

/**
 * Typed errors for transformers.js model loads, so that no load failure is a 500:
 * - a file the model needs is missing (404 from its server): 404 `model_file_not_found`
 *   naming the file's URL;
 * - the hub or server cannot be reached, or answers 5xx, or the download breaks off:
 *   503 `model_download_failed` naming the URL (web-llm's code for the same);
 * - an ONNX (or JSON) file that does not parse, corrupt or truncated: 422
 *   `model_file_corrupt`, and the model's cached files are dropped so a retry downloads
 *   them again;
 * - a full disk: 507 `storage_quota_exceeded`.
 *
 * One more reason for this module: transformers.js chains every ONNX session creation on
 * one promise (`webInitChain = webInitChain.then(load)`), so a single file that
 * onnxruntime rejects would fail every later load of every model in this host. Session
 * creation is wrapped to record the failure and hand transformers.js an inert session
 * instead; the load then fails here, typed, and the chain stays healthy.
 */

interface LoadTracker {
  /** URLs fetched by this load, in order (the last ones name what broke). */
  urls: string[];
  sessionErrors: Error[];
}

let active: LoadTracker | null = null;
let installed: Promise<void> | null = null;

/** The engine with typed load errors: a minimal hook around its `load`. */
export function withLoadErrors(engine: Engine, hubUrl: () => string | undefined): Engine {
  return {
    ...engine,
    async load(spec, ctx) {
      await install();
      const tracker: LoadTracker = { urls: [], sessionErrors: [] };
      active = tracker;
      let model: LoadedModel | undefined;
      try {
        model = await engine.load(spec, ctx);
      } catch (err) {
        throw await typed(err, spec, tracker, hubUrl());
      } finally {
        if (active === tracker) active = null;
      }
      if (tracker.sessionErrors.length > 0) {
        await model.unload().catch(() => {});
        throw await typed(tracker.sessionErrors[0], spec, tracker, hubUrl());
      }
      return model;
    },
  };
}

/** Wraps transformers.js's fetch (to learn the URLs) and onnxruntime's session creation, once. */
function install(): Promise<void> {
  installed ??= (async () => {
    const fetchOf = env.fetch as typeof fetch | undefined;
    if (fetchOf) {
      env.fetch = (async (input: RequestInfo | URL, init?: RequestInit) => {
        const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
        active?.urls.push(url);
        try {
          return await fetchOf(input, init);
        } catch (err) {
          if ((err as Error)?.name === 'AbortError') throw err;
          throw new DownloadError(url, err);
        }
      }) as typeof env.fetch;
    }
    try {
      const ort = (await import('onnxruntime-web/webgpu')) as { InferenceSession?: { create: (...args: unknown[]) => Promise<unknown> } };
      const session = ort.InferenceSession;
      if (!session) return;
      const create = session.create.bind(session);
      session.create = async (...args: unknown[]) => {
        const tracker = active;
        try {
          return await create(...args);
        } catch (err) {
          if (!tracker) throw err;
          tracker.sessionErrors.push(err as Error);
          return inertSession();
        }
      };
    } catch {
      // No onnxruntime-web here (Node): nothing to guard.
    }
  })();
  return installed;
}

/** Enough of an InferenceSession for transformers.js to finish building (and dispose) the model. */
function inertSession() {
  return { inputNames: [] as string[], outputNames: [] as string[], release: async () => {}, run: async () => { throw new Error('inert session'); } };
}

class DownloadError extends Error {
  override name = 'DownloadError';
  constructor(readonly url: string, cause: unknown) {
    super(`${(cause as Error)?.message ?? String(cause)}`);
  }
}

const FILE_URL = /(?:Could not locate file|occurred while trying to load file|access to file): "([^"]+)"/;

/** Any load failure as the typed error it is; errors already typed pass through. */
export async function typed(err: unknown, spec: ModelSpec, tracker: LoadTracker, hubUrl?: string): Promise<unknown> {
  if (err instanceof APIError) return err;
  const e = err as Error & { status?: number | null };
  const name = e?.name;
  const message = e?.message ?? String(err);
  if (name === 'AbortError') return err;
  const url = FILE_URL.exec(message)?.[1];
  if (name === 'ModelFileNotFoundError' || /^Could not locate file/.test(message)) {
    return new NotFoundError(`Model '${spec.id}': a file it needs was not found${url ? `: ${url}` : ''} (${message}).`, {
      param: 'model', code: 'model_file_not_found',
    });
  }
  if (err instanceof DownloadError || url || (name === 'TypeError' && /fetch|network/i.test(message))) {
    const where = err instanceof DownloadError ? err.url : url ?? tracker.urls.at(-1) ?? 'its files';
    return new ServiceUnavailableError(
      `Downloading model '${spec.id}' failed at ${where} (${message}). Check that the hub or server is reachable (and allows CORS), then retry.`,
      { code: 'model_download_failed', param: 'model' },
    );
  }
  if (name === 'QuotaExceededError') {
    return new APIError(507, `The browser's storage quota is exhausted, so '${spec.id}' cannot be cached. Free space with client.cache.delete(modelId) and retry.`, {
      code: 'storage_quota_exceeded', type: 'server_error',
    });
  }
  if (tracker.sessionErrors.includes(err as Error) || name === 'SyntaxError' || /protobuf|Can't create a session/i.test(message)) {
    await evict(spec, hubUrl);
    const onnx = tracker.urls.filter((u) => /\.onnx(_data)?$/.test(u));
    const file = name === 'SyntaxError' ? (tracker.urls.at(-1) ?? 'a JSON file') : (onnx.join(', ') || 'its ONNX file');
    return new APIError(422, `Model '${spec.id}' cannot be loaded: ${file} is corrupt or truncated (${message}). Its cached files were dropped, so a retry downloads them again.`, {
      param: 'model', code: 'model_file_corrupt',
    });
  }
  return err;
}

/** Drops the model's files from transformers.js's Cache API store. */
async function evict(spec: ModelSpec, hubUrl?: string): Promise<void> {
  const storage = (globalThis as { caches?: CacheStorage }).caches;
  if (!storage) return;
  try {
    const prefix = modelUrlPrefix(spec, hubUrl);
    const cache = await storage.open('transformers-cache');
    for (const request of await cache.keys()) {
      if (request.url.startsWith(prefix)) await cache.delete(request);
    }
  } catch {
    // Nothing cached, or no access: nothing to drop.
  }
}
