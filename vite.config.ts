import { createReadStream, existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';

/**
 * onnxruntime-web `import()`s its runtime from `wasmPaths`; Vite's dev server would try
 * to transform that public file and refuse. Serve /ort/ as plain static files instead.
 */
function serveOrtRuntime(): Plugin {
  return {
    name: 'webinfer-serve-ort',
    configureServer(server) {
      server.middlewares.use('/ort', (req, res, next) => {
        const name = (req.url ?? '').split('?')[0]!.replace(/^\/+/, '');
        const file = join(server.config.publicDir, 'ort', name);
        if (!/^[\w.-]+$/.test(name) || !existsSync(file)) return next();
        res.setHeader('Content-Type', name.endsWith('.wasm') ? 'application/wasm' : 'text/javascript');
        res.setHeader('Cache-Control', 'no-cache');
        createReadStream(file).pipe(res);
      });
    },
  };
}

/**
 * The Service Worker gateway in dev: `/webinfer-sw.js` (the URL `registerGateway()`
 * registers by default, where a production app ships the bundled file) is the module
 * entry `worker/sw.ts`. Its query string holds the gateway's settings, read by the SW
 * from its own URL, so it is dropped here. `Service-Worker-Allowed: /` lets any SW
 * script served by this server take scope `/`.
 */
function serveGatewayWorker(): Plugin {
  return {
    name: 'webinfer-serve-gateway-sw',
    configureServer(server) {
      server.middlewares.use((req, res, next) => {
        if ((req.url ?? '').split('?')[0] === '/webinfer-sw.js') req.url = '/worker/sw.ts';
        if (req.headers['service-worker'] === 'script') res.setHeader('Service-Worker-Allowed', '/');
        next();
      });
    },
  };
}

/** `npm run demo` prints the root URL: it opens the playground. */
function rootToPlayground(): Plugin {
  return {
    name: 'webinfer-root-to-playground',
    configureServer(server) {
      server.middlewares.use((req, res, next) => {
        if ((req.url ?? '').split('?')[0] !== '/') return next();
        res.statusCode = 302;
        res.setHeader('Location', '/demo/');
        res.end();
      });
    },
  };
}

/**
 * Serves the demo (/demo/) and the end-to-end test pages (/e2e/pages/) from the repo
 * root; public/ holds the generated tiny models and onnxruntime-web's runtime files.
 */
export default defineConfig({
  root: '.',
  publicDir: 'public',
  plugins: [rootToPlayground(), serveOrtRuntime(), serveGatewayWorker()],
  server: { host: '127.0.0.1' },
  preview: { host: '127.0.0.1' },
  worker: { format: 'es' },
  // mpg123-decoder must load in a SharedWorker (no nested Worker): see worker-shim.ts.
  resolve: { alias: { '@eshaz/web-worker': fileURLToPath(new URL('./src/core/media/worker-shim.ts', import.meta.url)) } },
  optimizeDeps: {
    // Workers are entries too: a dependency found only at run time would re-optimize
    // and reload every open page.
    entries: ['demo/**/*.html', 'e2e/pages/**/*.html', 'bench/**/*.html', 'worker/*.ts'],
    // transformers.js resolves its own runtime files; pre-bundling gains nothing.
    exclude: ['@huggingface/transformers', 'onnxruntime-web'],
    // Imported lazily inside the host worker (constrained decoding), which the scan does
    // not reach: found at run time instead, it would re-optimize and reload open pages.
    include: [
      '@mlc-ai/web-xgrammar', '@mlc-ai/web-llm', 'comlink', 'zod', 'mpg123-decoder',
      // The playground's JSON-schema editor and its code view's openai SDK.
      'ajv/dist/2020', 'openai',
      // The frameworks e2e/pages/gateway-frameworks.html bundles: listed so that a page
      // opened before the scan finished never triggers a re-optimization and a reload.
      'ai', '@ai-sdk/openai', '@ai-sdk/openai-compatible', '@langchain/openai', '@langchain/core/messages', '@langchain/core/tools',
    ],
  },
  build: { target: 'es2022' },
});
