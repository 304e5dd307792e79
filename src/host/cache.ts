import type { ModelSpec } from '../core/engine.js';
import { ggufPrefix, ggufUrl } from '../engines/gguf/source.js';
import { recordFromSpec } from '../engines/webllm/catalog.js';
import { BadRequestError, NotFoundError } from '../protocol/errors.js';
import type { CacheDeleteResult, CacheInfo, CachedModel } from '../protocol/rpc.js';

/**
 * What the engines keep in the origin's Cache API, by model: listed with sizes and
 * deletable, so an app can free space (and answer a quota error) without reaching into
 * engine internals.
 *
 * - web-llm (default Cache API backend): `webllm/model` (weights, tokenizer),
 *   `webllm/config` (mlc-chat-config.json), `webllm/wasm` (the model library), all keyed
 *   by URL under the model's folder (`.../resolve/main/` for Hugging Face) or the
 *   model_lib URL.
 * - transformers.js: `transformers-cache`, keyed by file URL under the hub repo
 *   (`{hub}{repo}/resolve/{revision}/`) or the model's base URL.
 *
 * - GGUF (wllama): its own store (OPFS), keyed by the file's URL; read through
 *   `CacheContext.files` (the host hands wllama's CacheManager), listed as cache `wllama`.
 *
 * Files no registered model claims are listed under the folder URL they came from, and
 * can be deleted by that URL.
 */
export const MODEL_CACHES = ['webllm/model', 'webllm/config', 'webllm/wasm', 'transformers-cache'] as const;

interface Owner {
  id: string;
  engine: string;
  /** URL prefixes of this model's files. */
  prefixes: string[];
}

export interface CacheContext {
  caches?: CacheStorage;
  storage?: { estimate?(): Promise<StorageEstimate>; persisted?(): Promise<boolean> };
  /** transformers.js's hub (default https://huggingface.co/). */
  hubUrl?: string;
  /** Base for relative model URLs (the host's location). */
  base?: string;
  /** Model files kept outside the Cache API (wllama's store), each deletable. */
  files?: () => Promise<StoredFile[]>;
}

/** A model file in some engine's store. */
export interface StoredFile {
  cache: string;
  url: string;
  bytes: number;
  remove(): Promise<boolean>;
}

export function ownersOf(specs: ModelSpec[], ctx: CacheContext = {}): Owner[] {
  const base = ctx.base ?? (globalThis as { location?: { href: string } }).location?.href;
  const hub = ctx.hubUrl ?? 'https://huggingface.co/';
  const owners: Owner[] = [];
  for (const spec of specs) {
    try {
      if (spec.engine === 'webllm') {
        const record = recordFromSpec(spec, base);
        owners.push({ id: spec.id, engine: spec.engine, prefixes: [webllmModelUrl(record.model), record.model_lib] });
      } else if (spec.engine === 'gguf') {
        owners.push({ id: spec.id, engine: spec.engine, prefixes: [ggufPrefix(ggufUrl(spec, hub, base))] });
      } else if (spec.engine === 'transformers') {
        const folder = spec.source.baseUrl
          ? folderOf(resolve(spec.source.baseUrl, base))
          : `${hub.endsWith('/') ? hub : `${hub}/`}${spec.source.repo}/resolve/`;
        owners.push({ id: spec.id, engine: spec.engine, prefixes: [folder] });
      }
    } catch {
      // A spec without the URLs its engine needs owns nothing.
    }
  }
  return owners;
}

export async function listCache(specs: ModelSpec[], ctx: CacheContext = {}): Promise<CacheInfo> {
  const entries = await readEntries(ctx);
  const owners = ownersOf(specs, ctx);
  const models = new Map<string, CachedModel>();
  for (const entry of entries) {
    const owner = ownerOf(entry.url, owners);
    const id = owner?.id ?? orphanFolder(entry.url);
    let model = models.get(id);
    if (!model) {
      model = { id, engine: owner?.engine ?? engineOfCache(entry.cache), registered: !!owner, bytes: 0, files: 0, caches: [] };
      models.set(id, model);
    }
    model.files++;
    model.bytes += entry.bytes;
    if (!model.caches.includes(entry.cache)) model.caches.push(entry.cache);
  }
  const estimate = await ctx.storage?.estimate?.().catch(() => undefined);
  const persisted = await ctx.storage?.persisted?.().catch(() => undefined);
  return {
    models: [...models.values()].sort((a, b) => b.bytes - a.bytes),
    usage: estimate?.usage ?? null,
    quota: estimate?.quota ?? null,
    persisted: persisted ?? null,
  };
}

/** Deletes a model's cached files (by registered id, or an orphan folder URL from listCache). */
export async function deleteCache(id: string, specs: ModelSpec[], ctx: CacheContext = {}): Promise<CacheDeleteResult> {
  if (typeof id !== 'string' || id === '') throw new BadRequestError('A model id is required.', { param: 'model' });
  const owners = ownersOf(specs, ctx);
  if (!specs.some((s) => s.id === id) && !/^[a-z][a-z0-9+.-]*:\/\//i.test(id)) {
    throw new NotFoundError(`The model '${id}' does not exist or you do not have access to it.`, { param: 'model', code: 'model_not_found' });
  }
  const entries = await readEntries(ctx);
  const best = entries.map((e) => ownersFor(e.url, owners));
  // Files only one model needs; a file several models share (one model library) stays
  // while another of them still has files of its own in the cache.
  const own = new Map<string, number>();
  for (const b of best) if (b.length === 1) own.set(b[0]!.id, (own.get(b[0]!.id) ?? 0) + 1);
  let files = 0;
  let bytes = 0;
  for (const [i, entry] of entries.entries()) {
    const claim = best[i]!;
    const mine = claim.length === 0
      ? orphanFolder(entry.url) === id
      : claim.some((o) => o.id === id) && claim.every((o) => o.id === id || !own.get(o.id));
    if (!mine) continue;
    if (await entry.remove()) {
      files++;
      bytes += entry.bytes;
    }
  }
  return { id, deleted: files > 0, files, bytes };
}

type Entry = StoredFile;

async function readEntries(ctx: CacheContext): Promise<Entry[]> {
  const out: Entry[] = (await ctx.files?.().catch(() => [])) ?? [];
  const storage = ctx.caches;
  if (!storage) return out;
  for (const name of MODEL_CACHES) {
    if (!(await storage.has(name))) continue;
    const cache = await storage.open(name);
    for (const request of await cache.keys()) {
      const response = await cache.match(request);
      out.push({ cache: name, url: request.url, bytes: response ? await sizeOf(response) : 0, remove: () => cache.delete(request) });
    }
  }
  return out;
}

async function sizeOf(response: Response): Promise<number> {
  const header = Number(response.headers.get('content-length'));
  if (Number.isFinite(header) && header > 0) return header;
  // Cached blobs are backed by disk; asking their size reads no data.
  return (await response.blob()).size;
}

/** The owners of a URL with the most specific (longest) matching prefix; several when they share it. */
function ownersFor(url: string, owners: Owner[]): Owner[] {
  let best: Owner[] = [];
  let bestLength = -1;
  for (const owner of owners) {
    const length = Math.max(-1, ...owner.prefixes.filter((p) => url.startsWith(p)).map((p) => p.length));
    if (length > bestLength) {
      best = [owner];
      bestLength = length;
    } else if (length === bestLength && length >= 0) {
      best.push(owner);
    }
  }
  return bestLength >= 0 ? best : [];
}

function ownerOf(url: string, owners: Owner[]): Owner | undefined {
  return ownersFor(url, owners)[0];
}

/** Where an unclaimed file came from: its hub repo revision folder, or its directory. */
function orphanFolder(url: string): string {
  const hub = /^(https?:\/\/[^/]+\/[^/]+\/[^/]+\/resolve\/[^/]+\/)/.exec(url);
  return hub ? hub[1]! : folderOf(url);
}

function folderOf(url: string): string {
  const u = new URL(url);
  u.search = '';
  u.hash = '';
  return u.href.endsWith('/') ? u.href : u.href.slice(0, u.href.lastIndexOf('/') + 1);
}

function engineOfCache(name: string): string | null {
  return name.startsWith('webllm/') ? 'webllm' : name === 'transformers-cache' ? 'transformers' : name === 'wllama' ? 'gguf' : null;
}

/** web-llm's cleanModelUrl: the folder its files are fetched from. */
function webllmModelUrl(model: string): string {
  let url = model.endsWith('/') ? model : `${model}/`;
  if (!/.+\/resolve\/.+\//.test(url)) url += 'resolve/main/';
  return new URL(url).href;
}

function resolve(url: string, base: string | undefined): string {
  return /^[a-z][a-z0-9+.-]*:/i.test(url) || !base ? url : new URL(url, base).href;
}
