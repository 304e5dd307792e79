import { defineConfig, type Plugin } from 'vite';
import { fileURLToPath } from 'node:url';

/**
 * In the repo the client starts `worker/host.ts`; in the package it must start the
 * sibling `host.js` entry (dependencies external), not a second, fully bundled copy.
 */
function hostEntryAsSibling(): Plugin {
  const placeholder = '__WEBINFER_HOST_ENTRY__';
  return {
    name: 'webinfer-host-entry-as-sibling',
    enforce: 'pre',
    // Hide the worker URL from this build's worker bundling...
    transform(code, id) {
      if (!id.endsWith('src/client/connection.ts')) return null;
      return code.replaceAll("new URL('../../worker/host.ts', import.meta.url)", `new URL(${placeholder}, import.meta.url)`);
    },
    // ...then write the literal back, so the app's bundler sees `new URL('./host.js', import.meta.url)`.
    renderChunk(code) {
      return code.includes(placeholder) ? code.replaceAll(placeholder, "'./host.js'") : null;
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
  plugins: [hostEntryAsSibling()],
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
