import { defineConfig, type Plugin } from 'vite';
import { fileURLToPath } from 'node:url';

/**
 * In the repo the client starts `worker/host.ts` (and a tab's `worker/engine-worker.ts`);
 * in the package it must start the sibling entries `host.js` / `engine-worker.js`
 * (dependencies external), not second, fully bundled copies.
 */
function workerEntriesAsSiblings(): Plugin {
  const entries = [
    { file: 'src/client/connection.ts', source: '../../worker/host.ts', placeholder: '__WEBINFER_HOST_ENTRY__', sibling: './host.js' },
    { file: 'src/client/election.ts', source: '../../worker/engine-worker.ts', placeholder: '__WEBINFER_ENGINE_WORKER_ENTRY__', sibling: './engine-worker.js' },
  ];
  return {
    name: 'webinfer-worker-entries-as-siblings',
    enforce: 'pre',
    // Hide the worker URLs from this build's worker bundling...
    transform(code, id) {
      const entry = entries.find((e) => id.endsWith(e.file));
      return entry ? code.replaceAll(`new URL('${entry.source}', import.meta.url)`, `new URL(${entry.placeholder}, import.meta.url)`) : null;
    },
    // ...then write the literals back, so the app's bundler sees `new URL('./host.js', import.meta.url)`.
    renderChunk(code) {
      const found = entries.filter((e) => code.includes(e.placeholder));
      return found.length ? found.reduce((out, e) => out.replaceAll(e.placeholder, `'${e.sibling}'`), code) : null;
    },
  };
}

/**
 * The npm package: ESM entry points for the page client, the engine host worker, the
 * Service Worker gateway and the protocol. Dependencies stay external (the app's bundler
 * resolves them), and the worker the client starts is the package's own `host.js`.
 */
export default defineConfig({
  publicDir: false,
  plugins: [workerEntriesAsSiblings()],
  worker: { format: 'es' },
  // mpg123-decoder is bundled (not external) with this alias, so host.js loads in a
  // SharedWorker, which has no nested Worker: see src/core/media/worker-shim.ts.
  resolve: { alias: { '@eshaz/web-worker': fileURLToPath(new URL('./src/core/media/worker-shim.ts', import.meta.url)) } },
  build: {
    outDir: 'dist/lib',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
    lib: {
      formats: ['es'],
      entry: {
        client: 'src/client/index.ts',
        host: 'worker/host.ts',
        'engine-worker': 'worker/engine-worker.ts',
        protocol: 'src/protocol/index.ts',
        gateway: 'src/gateway/index.ts',
      },
    },
    rollupOptions: {
      // transformers.js's browser build is bundled (into the lazily loaded engine chunk),
      // so installing webinfer never installs its Node-only dependencies (onnxruntime-node,
      // sharp); onnxruntime-web stays a dependency, resolved by the app's bundler.
      // xgrammar's source text (`?raw`, evaluated per instance: see src/core/grammar/xgrammar.ts)
      // is bundled as a lazily loaded string chunk, so the app's bundler needs no `?raw` support.
      external: [/^@mlc-ai\/(?!web-xgrammar\/lib\/index\.js\?raw$)/, /^onnxruntime-/, /^comlink/, /^zod/],
    },
  },
});
