import { defineConfig } from 'vitest/config';

/** Unit tests: Node, fast, no browser. End-to-end tests have their own config. */
export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'tests/**/*.test.ts'],
    environment: 'node',
  },
});
