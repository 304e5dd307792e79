/**
 * A Vite plugin that makes every response cross-origin isolated (COOP/COEP), so benches get
 * WASM threads. Runs before the /ort/ middleware: onnxruntime's thread workers load their
 * script from there and need COEP on it too (Vite's `server.headers` skip that middleware,
 * and onnxruntime then waits forever for a worker that was never allowed to start).
 */
export const isolation = {
  name: 'bench-isolation',
  enforce: 'pre',
  configureServer(server) {
    server.middlewares.use((_req, res, next) => {
      res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
      res.setHeader('Cross-Origin-Embedder-Policy', 'require-corp');
      next();
    });
  },
};
