import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { basename, join, normalize, resolve } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { CHROMIUM, CHROMIUM_ARGS, baseURL } from './support/browser.js';

/**
 * OPT-IN: a real web-llm model on a real GPU, end to end through the in-page client.
 * It runs only when the environment names a model; otherwise every test is skipped and
 * says why. Compiled MLC model libraries cannot be fetched on CI machines and a software
 * GPU decodes a 0.5B model at ~0.1 tok/s, so CI runs the contract tests
 * (tests/webllm/*.test.ts) and webllm-checks.e2e.ts instead.
 *
 * Environment (see README, "web-llm models"):
 *   WEBINFER_WEBLLM_MODEL_DIR      a local MLC model folder (mlc-chat-config.json, tensor-cache.json /
 *                                  ndarray-cache.json, params_shard_*.bin, tokenizer files), served by
 *                                  this test on localhost; or
 *   WEBINFER_WEBLLM_MODEL_URL      its URL (http://localhost:... ; the server must send CORS headers)
 *   WEBINFER_WEBLLM_MODEL_LIB      the compiled model library (.wasm) as a local file; or
 *   WEBINFER_WEBLLM_MODEL_LIB_URL  its URL
 *   WEBINFER_WEBLLM_MODEL_ID       optional model id (default: the folder name)
 *   WEBINFER_E2E_GPU=swiftshader   use SwiftShader instead of the machine's GPU (very slow)
 *   WEBINFER_CHROMIUM_ARGS         extra Chromium flags, space-separated (e.g. --use-angle=vulkan)
 *
 * It checks: load progress (monotonic, bytes while downloading, ready at 1), a streamed
 * answer (several deltas, a finish reason, usage), an abort mid-stream (typed abort, and
 * the next request is answered at once), and a json_schema answer that parses and matches.
 */

const env = process.env;
const dir = env.WEBINFER_WEBLLM_MODEL_DIR;
const libFile = env.WEBINFER_WEBLLM_MODEL_LIB;
const configured = (dir || env.WEBINFER_WEBLLM_MODEL_URL) && (libFile || env.WEBINFER_WEBLLM_MODEL_LIB_URL);
const SKIP_REASON =
  'opt-in: set WEBINFER_WEBLLM_MODEL_DIR (or _URL) and WEBINFER_WEBLLM_MODEL_LIB (or _LIB_URL) to run a real web-llm model on this machine\'s GPU';

const PERSON = {
  type: 'object',
  properties: { name: { type: 'string' }, age: { type: 'integer' } },
  required: ['name', 'age'],
  additionalProperties: false,
};

let server: Server | undefined;
let browser: Browser | undefined;
let page: Page | undefined;
const errors: string[] = [];
let modelId = '';

/** Serves the model folder and library on localhost, with CORS (the page is on Vite's port). */
async function serveFiles(): Promise<string> {
  const root = dir ? resolve(dir) : null;
  server = createServer((req, res) => {
    res.setHeader('Access-Control-Allow-Origin', '*');
    const path = decodeURIComponent((req.url ?? '/').split('?')[0]!);
    let file: string | null = null;
    if (libFile && path === `/lib/${basename(libFile)}`) file = resolve(libFile);
    else if (root && path.startsWith('/model/')) {
      const candidate = normalize(join(root, path.slice('/model/'.length).replace(/^resolve\/main\//, '')));
      if (candidate.startsWith(root)) file = candidate;
    }
    if (!file || !existsSync(file) || !statSync(file).isFile()) {
      res.statusCode = 404;
      res.end('not found');
      return;
    }
    res.setHeader('Content-Length', statSync(file).size);
    res.setHeader('Content-Type', file.endsWith('.wasm') ? 'application/wasm' : file.endsWith('.json') ? 'application/json' : 'application/octet-stream');
    createReadStream(file).pipe(res);
  });
  await new Promise<void>((ok) => server!.listen(0, '127.0.0.1', ok));
  const address = server.address();
  return `http://localhost:${typeof address === 'object' && address ? address.port : 0}`;
}

beforeAll(async () => {
  if (!configured) {
    console.log(`[webllm-real] skipped: ${SKIP_REASON}`);
    return;
  }
  const files = dir || libFile ? await serveFiles() : '';
  const modelUrl = dir ? `${files}/model/` : env.WEBINFER_WEBLLM_MODEL_URL!;
  const libUrl = libFile ? `${files}/lib/${basename(libFile)}` : env.WEBINFER_WEBLLM_MODEL_LIB_URL!;
  modelId = env.WEBINFER_WEBLLM_MODEL_ID ?? (dir ? basename(resolve(dir)) : 'webllm-e2e');
  const software = env.WEBINFER_E2E_GPU === 'swiftshader';
  const args = CHROMIUM_ARGS.filter((a) => software || !/swiftshader/.test(a)).concat((env.WEBINFER_CHROMIUM_ARGS ?? '').split(' ').filter(Boolean));
  browser = await chromium.launch({ executablePath: CHROMIUM, args });
  page = await browser.newPage();
  page.on('pageerror', (e) => errors.push(String(e)));
  const query = new URLSearchParams({ id: modelId, model: modelUrl, lib: libUrl });
  await page.goto(`${baseURL()}/e2e/pages/webllm.html?${query}`);
  await page.waitForFunction(() => (window as any).ready);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await new Promise((ok) => (server ? server.close(ok) : ok(null)));
});

/** A test that runs only with a configured model, and otherwise says why it was skipped. */
const real = (name: string, fn: () => Promise<void>, timeout = 600_000) =>
  test(name, async (ctx) => {
    if (!configured) ctx.skip(SKIP_REASON);
    await fn();
  }, timeout);

describe('a real web-llm model', () => {
  real('loads with progress', async () => {
    const r = await page!.evaluate((id) => (window as any).run.load(id), modelId);
    expect(r.error).toBeUndefined();
    expect(r.info).toMatchObject({ id: modelId, engine: 'webllm', device: 'webgpu' });
    const progress = r.events.map((e: any) => e.progress).filter((p: number | null) => p !== null);
    expect(progress.length).toBeGreaterThan(2);
    expect(progress).toEqual([...progress].sort((a: number, b: number) => a - b));
    expect(r.events.at(-1)).toMatchObject({ phase: 'ready', progress: 1 });
    // First load downloads (bytes); a cached one only loads onto the GPU.
    const downloads = r.events.filter((e: any) => e.phase === 'download' && e.loaded !== null);
    if (downloads.length) expect(downloads.at(-1).loaded).toBeGreaterThan(0);
    console.log(`[webllm-real] loaded ${modelId} in ${r.info.load_ms} ms, context ${r.info.context_length}`);
  });

  real('streams an answer', async () => {
    const r = await page!.evaluate(
      (id) => (window as any).run.stream({ model: id, messages: [{ role: 'user', content: 'Name three colors.' }], max_tokens: 48, temperature: 0, stream_options: { include_usage: true } }),
      modelId,
    );
    expect(r.error).toBeUndefined();
    const deltas = r.chunks.filter((c: any) => c.chunk.choices[0]?.delta?.content);
    expect(deltas.length).toBeGreaterThan(3);
    const text = deltas.map((c: any) => c.chunk.choices[0].delta.content).join('');
    expect(text).not.toContain('\uFFFD');
    expect(['stop', 'length']).toContain(r.chunks.at(-2).chunk.choices[0].finish_reason);
    const usage = r.chunks.at(-1).chunk.usage;
    expect(usage.prompt_tokens).toBeGreaterThan(5);
    expect(usage.completion_tokens).toBeGreaterThanOrEqual(deltas.length);
    expect(usage.completion_tokens).toBeLessThanOrEqual(49); // 48 and the end token
    console.log(`[webllm-real] ${usage.completion_tokens} tokens in ${Math.round(r.ms)} ms: ${JSON.stringify(text)}`);
  });

  real('an abort mid-stream stops it, and the next request is answered at once', async () => {
    const aborted = await page!.evaluate(
      (id) => (window as any).run.stream({ model: id, messages: [{ role: 'user', content: 'Write a long story.' }], max_tokens: 1000, ignore_eos: true }, 3),
      modelId,
    );
    expect(aborted.error).toMatchObject({ name: 'APIUserAbortError' });
    const next = await page!.evaluate((id) => (window as any).run.create({ model: id, messages: [{ role: 'user', content: 'Say OK.' }], max_tokens: 4 }), modelId);
    expect(next.error).toBeUndefined();
    expect(next.completion.usage.completion_tokens).toBeLessThanOrEqual(4);
    // 1000 tokens would take far longer than 4.
    expect(next.ms).toBeLessThan(30_000);
  });

  real('answers a json_schema request with JSON that matches the schema', async () => {
    const r = await page!.evaluate(
      ([id, schema]) =>
        (window as any).run.create({
          model: id,
          messages: [{ role: 'user', content: 'Give a fictional person as JSON with a name and an age.' }],
          response_format: { type: 'json_schema', json_schema: { name: 'person', schema, strict: true } },
          max_tokens: 96,
          temperature: 0,
        }),
      [modelId, PERSON] as const,
    );
    expect(r.error).toBeUndefined();
    const value = JSON.parse(r.completion.choices[0].message.content);
    expect(Object.keys(value).sort()).toEqual(['age', 'name']);
    expect(typeof value.name).toBe('string');
    expect(Number.isInteger(value.age)).toBe(true);
    expect(errors).toEqual([]);
  });
});
