import { execFileSync } from 'node:child_process';
import type { TestProject } from 'vitest/node';
import { createServer, type ViteDevServer } from 'vite';

/** Generates the tiny models, then serves the repo with Vite on a free localhost port. */
let server: ViteDevServer | undefined;

export async function setup(project: TestProject): Promise<void> {
  execFileSync(process.execPath, ['scripts/gen-models.mjs', '--quiet'], { stdio: 'inherit' });
  server = await createServer({ configFile: 'vite.config.ts', server: { port: 0, host: '127.0.0.1', hmr: false }, logLevel: 'warn' });
  await server.listen();
  const url = server.resolvedUrls?.local[0];
  if (!url) throw new Error('Vite did not report a local URL');
  project.provide('baseURL', url.replace(/\/$/, ''));
}

export async function teardown(): Promise<void> {
  await server?.close();
}

declare module 'vitest' {
  export interface ProvidedContext {
    baseURL: string;
  }
}
