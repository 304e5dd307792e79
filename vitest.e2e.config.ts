import { defineConfig } from 'vitest/config';

/**
 * End-to-end tests: real Chromium (WebGPU on SwiftShader, and WASM) against pages that
 * Vite serves on localhost. One file at a time: the machine has two cores.
 */
export default defineConfig({
  test: {
    include: ['e2e/**/*.e2e.ts'],
    globalSetup: ['e2e/support/global-setup.ts'],
    fileParallelism: false,
    testTimeout: 90_000,
    hookTimeout: 90_000,
    environment: 'node',
  },
});
