import { createReadStream, existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Connect, Plugin, ResolvedConfig } from 'vite';
import { defaultClientConditions } from 'vite';
import { WASM_PATHS_META } from '../client/runtime-defaults.js';
import { ORT_FILES, SW_FILE, runtimeFileType } from './runtime-files.js';

/**
 * `webinfer/vite`: everything a Vite app needs to run webinfer, as one plugin.
 * - onnxruntime-web's runtime (the two files transformers.js fetches) served in dev and
 *   emitted once in builds under `<base>ort/`, and the page told where (a meta tag the
 *   client reads), so nothing comes from a CDN and the 27 MB wasm is not shipped twice;
 * - the Service Worker gateway at `<base>webinfer-sw.js`;
 * - worker settings: ES-module workers, so the engine host keeps its lazy chunks (web-llm,
 *   the MP3 decoder) instead of becoming one file with every engine inside;
 * - optional cross-origin isolation headers (threads need them) for dev and preview.
 */
export interface WebInferPluginOptions {
  /** Where the ORT runtime files are served, relative to Vite's `base` (default `'ort/'`). */
  ortPath?: string;
  /** Serve and emit the Service Worker gateway as `<base>webinfer-sw.js` (default true). */
  serviceWorker?: boolean;
  /**
   * Send `Cross-Origin-Opener-Policy: same-origin` and `Cross-Origin-Embedder-Policy:
   * require-corp` from the dev and preview servers (default false). Needed for WASM
   * threads; cross-origin resources without CORP/CORS then stop loading.
   */
  crossOriginIsolation?: boolean;
}

const PACKAGE = 'webinfer';

export function webinfer(options: WebInferPluginOptions = {}): Plugin {
  const ortPath = trimSlashes(options.ortPath ?? 'ort');
  const withSw = options.serviceWorker ?? true;
  const here = dirname(fileURLToPath(import.meta.url));
  let config: ResolvedConfig;

  const ortDir = () => dirname(createRequire(join(here, 'index.js')).resolve('onnxruntime-web/webgpu'));
  const swFile = () => join(here, '..', 'sw', SW_FILE);
  const isolation: Record<string, string> = options.crossOriginIsolation
    ? { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' }
    : {};

  /** Serves the runtime files from node_modules (dev): Vite would refuse to `import()` them from public/. */
  const middleware: Connect.NextHandleFunction = (req, res, next) => {
    const path = (req.url ?? '').split('?')[0]!;
    const base = config.base.endsWith('/') ? config.base : `${config.base}/`;
    let file: string | null = null;
    if (path.startsWith(`${base}${ortPath}/`)) {
      const name = path.slice(`${base}${ortPath}/`.length);
      if ((ORT_FILES as readonly string[]).includes(name)) file = join(ortDir(), name);
    } else if (withSw && path === `${base}${SW_FILE}`) {
      file = swFile();
      res.setHeader('Service-Worker-Allowed', '/');
    }
    if (!file || !existsSync(file)) return next();
    res.setHeader('Content-Type', runtimeFileType(file));
    res.setHeader('Cache-Control', 'no-cache');
    for (const [k, v] of Object.entries(isolation)) res.setHeader(k, v);
    createReadStream(file).pipe(res);
  };

  return {
    name: 'webinfer',
    config() {
      return {
        worker: { format: 'es' },
        // The ORT JavaScript that finds its wasm through `wasmPaths` (our emitted copy), not
        // the variant whose `new URL('….wasm', import.meta.url)` makes Vite emit a second one.
        resolve: { conditions: ['onnxruntime-web-use-extern-wasm', ...defaultClientConditions] },
        optimizeDeps: {
          // Pre-bundling webinfer would break the `new URL('./host.js', import.meta.url)` worker.
          exclude: [PACKAGE, 'onnxruntime-web'],
          // Its dependencies that are not plain ESM (web-xgrammar is UMD) still need it.
          include: [`${PACKAGE} > @mlc-ai/web-xgrammar`, `${PACKAGE} > comlink`, `${PACKAGE} > zod`],
        },
        server: { headers: isolation },
        preview: { headers: isolation },
      };
    },
    configResolved(resolved) {
      config = resolved;
    },
    configureServer(server) {
      server.middlewares.use(middleware);
    },
    transformIndexHtml() {
      return [{ tag: 'meta', attrs: { name: WASM_PATHS_META, content: `${config.base}${ortPath}/` }, injectTo: 'head' }];
    },
    generateBundle() {
      if (config.build.ssr) return;
      for (const name of ORT_FILES) {
        this.emitFile({ type: 'asset', fileName: `${ortPath}/${name}`, source: readFileSync(join(ortDir(), name)) });
      }
      if (withSw) this.emitFile({ type: 'asset', fileName: SW_FILE, source: readFileSync(swFile()) });
    },
  };
}

function trimSlashes(path: string): string {
  return path.replace(/^\/+|\/+$/g, '');
}

export default webinfer;
