import { defineConfig } from 'vite';

/** `webinfer/vite`: the Vite plugin, for Node (the app's build), not the browser. */
export default defineConfig({
  publicDir: false,
  build: {
    outDir: 'dist/vite',
    emptyOutDir: true,
    target: 'node20',
    ssr: true,
    lib: { entry: { index: 'src/vite/plugin.ts' }, formats: ['es'] },
    rollupOptions: { external: [/^node:/, 'vite'] },
  },
});
