import { defineConfig } from 'vite';

/**
 * The Service Worker gateway as apps ship it: one self-contained file (no imports, no
 * model code, ~24 KB) that works as a module or a classic worker. Apps copy it to their
 * web root as /webinfer-sw.js.
 */
export default defineConfig({
  publicDir: false,
  build: {
    outDir: 'dist/sw',
    emptyOutDir: true,
    target: 'es2022',
    minify: true,
    lib: { entry: 'worker/sw.ts', formats: ['es'], fileName: () => 'webinfer-sw.js' },
  },
});
