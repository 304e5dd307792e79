import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { CHROMIUM, CHROMIUM_ARGS } from './support/browser.js';

/**
 * What a new user does: pack the package, create a fresh app from Vite's official
 * template, install the tarball, follow the README's setup literally (one plugin line in
 * vite.config.ts, the client code), then run it in Chromium under `vite` (dev) and under
 * `vite build` + `vite preview`: the tiny model's sentence through the in-page client and
 * through /v1 with the unmodified openai SDK.
 */
const SENTENCE = 'Hello! I am a tiny model running in your browser.';
const ROOT = resolve('.');
const CREATE_VITE = 'create-vite@9.3.0';

// The README's "Use it in a Vite app" section, verbatim (README.md shows the same lines).
const VITE_CONFIG = `import { defineConfig } from 'vite';
import webinfer from 'webinfer/vite';

export default defineConfig({ plugins: [webinfer()] });
`;
const MAIN_TS = `import OpenAI from 'openai';
import { createClient, registerGateway } from 'webinfer';

const client = createClient({ config: { models: [{ id: 'tiny-chat', baseUrl: '/models/tiny-chat/' }] } });
await client.models.load('tiny-chat', { device: 'wasm' });
const reply = await client.chat.completions.create({ model: 'tiny-chat', messages: [{ role: 'user', content: 'Hi' }] });

const gateway = await registerGateway({ client });
const openai = new OpenAI({ baseURL: gateway.baseURL, apiKey: 'local', dangerouslyAllowBrowser: true });
const viaV1 = await openai.chat.completions.create({ model: 'tiny-chat', messages: [{ role: 'user', content: 'Hi' }] });

Object.assign(window, { result: { client: reply.choices[0]!.message.content, v1: viaV1.choices[0]!.message.content } });
`;

let work: string;
let app: string;
const servers: ChildProcess[] = [];

function run(cmd: string, args: string[], cwd: string): string {
  return execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, CI: 'true' } });
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'webinfer-app-'));
  // `npm pack` runs `prepack` (the build), as `npm publish` would (the repo's .npmrc turns scripts off).
  const tarball = join(work, run('npm', ['pack', '--silent', '--ignore-scripts=false', '--pack-destination', work], ROOT).trim().split('\n').pop()!);
  run('npx', ['--yes', CREATE_VITE, 'app', '--template', 'vanilla-ts', '--no-interactive', '--no-immediate'], work);
  app = join(work, 'app');
  run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline'], app);
  run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', tarball, 'openai'], app);
  writeFileSync(join(app, 'vite.config.ts'), VITE_CONFIG);
  writeFileSync(join(app, 'src', 'main.ts'), MAIN_TS);
  cpSync(join(ROOT, 'public', 'models', 'tiny-chat'), join(app, 'public', 'models', 'tiny-chat'), { recursive: true });
}, 300_000);

afterAll(async () => {
  for (const s of servers) s.kill();
  if (work) rmSync(work, { recursive: true, force: true });
});

async function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => done(port));
    });
    srv.on('error', fail);
  });
}

/** Starts `vite` or `vite preview` on a free port; resolves with its URL once it answers. */
async function serve(args: string[]): Promise<string> {
  const port = await freePort();
  const child = spawn(join(app, 'node_modules', '.bin', 'vite'), [...args, '--host', '127.0.0.1', '--port', String(port), '--strictPort'], { cwd: app, stdio: 'pipe' });
  servers.push(child);
  let log = '';
  child.stdout!.on('data', (d) => (log += d));
  child.stderr!.on('data', (d) => (log += d));
  const url = `http://127.0.0.1:${port}/`;
  for (let i = 0; i < 150; i++) {
    if (child.exitCode !== null) throw new Error(`vite ${args.join(' ')} exited: ${log}`);
    try {
      if ((await fetch(url)).ok) return url;
    } catch { /* not up yet */ }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`vite ${args.join(' ')} did not start: ${log}`);
}

/**
 * Opens the app in a fresh Chromium that can reach nothing but localhost (a CDN fetch
 * would fail the load) and records every URL requested by the page and its workers (the
 * engine host is a SharedWorker, whose requests only Chromium's net log sees).
 */
async function openApp(url: string) {
  const netLog = join(work, `netlog-${Date.now()}.json`);
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [...CHROMIUM_ARGS, `--log-net-log=${netLog}`, '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1'],
  });
  try {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(url);
    page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
    // The app's top-level await rejects into a page error: fail with it rather than time out.
    await Promise.race([
      page.waitForFunction(() => (window as any).result, null, { timeout: 120_000 }),
      new Promise((_, fail) => page.on('pageerror', (e) => fail(new Error(`the app failed: ${e}`)))),
    ]);
    const result = await page.evaluate(() => (window as any).result);
    // This tab won the SharedWorker host's election: it runs the host's engine worker (the page's dedicated worker).
    const placement = { workers: page.workers().length };
    await browser.close();
    const requested = [...new Set([...readFileSync(netLog, 'utf8').matchAll(/"url":"(http[^"]+)"/g)].map((m) => m[1]!))];
    return { result, requested, errors, placement };
  } finally {
    await browser.close();
  }
}

function expectLean(requested: string[]): void {
  // transformers.js's page loads only its engine: no web-llm, no MP3 decoder, no CDN.
  expect(requested.filter((u) => /web-?llm|mpg123/i.test(u))).toEqual([]);
  // (Chromium's own update/account pings aside, which the host rules fail anyway.)
  const own = /^https?:\/\/[^/]*\b(google\.com|googleapis\.com)\//;
  expect(requested.filter((u) => !u.startsWith('http://127.0.0.1') && !own.test(u))).toEqual([]);
  expect(requested.some((u) => u.endsWith('/ort/ort-wasm-simd-threaded.asyncify.wasm'))).toBe(true);
}

/** The package's engine worker started (src/host/placement/): without it the page has no dedicated worker. */
function expectEngineWorker(placement: { workers: number }): void {
  expect(placement.workers).toBeGreaterThanOrEqual(1);
}

test('installing the tarball brings no Node-only runtime (onnxruntime-node, sharp)', () => {
  expect(existsSync(join(app, 'node_modules', 'onnxruntime-node'))).toBe(false);
  expect(existsSync(join(app, 'node_modules', 'sharp'))).toBe(false);
  expect(existsSync(join(app, 'node_modules', 'webinfer', 'LICENSE'))).toBe(true);
});

test('vite (dev): the sentence through the client and through /v1', async () => {
  const { result, requested, errors, placement } = await openApp(await serve([]));
  expect(result).toEqual({ client: SENTENCE, v1: SENTENCE });
  expectLean(requested);
  expectEngineWorker(placement);
  expect(errors).toEqual([]);
}, 180_000);

test('vite build + vite preview: the same, with each runtime file shipped once', async () => {
  run('npm', ['run', 'build'], app);
  const dist = join(app, 'dist');
  const files = listFiles(dist);
  const wasm = files.filter((f) => f.endsWith('.wasm'));
  expect(wasm.map((f) => f.slice(dist.length))).toEqual(['/ort/ort-wasm-simd-threaded.asyncify.wasm']);
  expect(files.some((f) => f.endsWith('/webinfer-sw.js'))).toBe(true);
  const { result, requested, errors, placement } = await openApp(await serve(['preview']));
  expect(result).toEqual({ client: SENTENCE, v1: SENTENCE });
  expectLean(requested);
  expectEngineWorker(placement);
  expect(errors).toEqual([]);
  const bytes = (fs: string[]) => fs.reduce((n, f) => n + statSync(f).size, 0);
  const models = files.filter((f) => f.includes('/models/'));
  console.log(`[package-app] built app: ${mb(bytes(files) - bytes(models))} MB without the model ` +
    `(${mb(bytes(wasm))} MB ORT wasm, ${mb(bytes(files.filter((f) => f.endsWith('.js'))))} MB JS)`);
}, 240_000);

function listFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? listFiles(join(dir, e.name)) : [join(dir, e.name)]));
}

function mb(n: number): string {
  return (n / 1e6).toFixed(2);
}
