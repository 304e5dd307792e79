import { readFileSync } from 'node:fs';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { launch, openPage } from './support/browser.js';

/**
 * Engine placement behind the default SharedWorker host (src/host/placement/): one tab,
 * elected with Web Locks, owns a dedicated "engine worker" where the engines that need
 * nested workers run (onnxruntime-web's thread pool, wllama); every tab and /v1 reach them
 * through the one host, and the next tab takes over when the owner closes.
 */
let browser: Browser;
beforeAll(async () => { browser = await launch(); });
afterAll(async () => { await browser?.close(); });

type Tab = Page & { errors: string[] };

/** A tab of the placement page; `isolated`: reloaded once so the gateway SW serves it with COOP/COEP. */
async function tab(context: BrowserContext, query = '', isolated = true): Promise<Tab> {
  const page = await openPage(context, `/e2e/pages/placement.html${query}`);
  await page.waitForFunction(() => (window as any).ready);
  if (isolated && !(await page.evaluate(() => crossOriginIsolated))) {
    await page.reload();
    await page.waitForFunction(() => (window as any).ready);
  }
  expect(await page.evaluate(() => (window as any).setupError ?? null)).toBeNull();
  expect(await page.evaluate(() => crossOriginIsolated)).toBe(isolated);
  return page;
}

const GREEDY = { messages: [{ role: 'user', content: 'Tell me about threads.' }], max_tokens: 24, temperature: 0, ignore_eos: true, logprobs: true };

/** Greedy tokens of a model, with where the host says it runs. */
async function greedy(page: Tab, model: string) {
  return page.evaluate(async ([model, body]) => {
    const w = window as any;
    await w.client.models.load(model, { device: 'wasm' });
    const res = await w.client.chat.completions.create({ ...body, model });
    const stats = await w.client.stats();
    return { ids: res.choices[0].logprobs.content.map((t: any) => t.token), text: res.choices[0].message.content, promptTokens: res.usage.prompt_tokens, placement: stats.placement, loads: stats.loads };
  }, [model, GREEDY] as const);
}

/** A chat through the gateway's /v1 (the Service Worker -> the same host). */
async function viaHttp(page: Tab, model: string) {
  return page.evaluate(async ([model, body]) => {
    const r = await fetch('/v1/chat/completions', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ...body, model }) });
    const json = await r.json();
    return { status: r.status, text: json.choices?.[0]?.message?.content, error: json.error ?? null };
  }, [model, GREEDY] as const);
}

/**
 * A long stream aborted after its first chunk, then a short greedy request: how long that
 * one took (it waits for the engine in the worker to be free again).
 */
async function abortThenAsk(page: Tab, model: string, maxTokens: number, content: string) {
  return page.evaluate(async ([model, maxTokens, content]) => {
    const w = window as any;
    const controller = new AbortController();
    const messages = [{ role: 'user', content }];
    const stream = await w.client.chat.completions.create({ model, messages, max_tokens: maxTokens, ignore_eos: true, stream: true }, { signal: controller.signal });
    let error = null;
    try {
      for await (const _ of stream) controller.abort();
    } catch (e: any) {
      error = e?.name;
    }
    const t0 = performance.now();
    const next = await w.client.chat.completions.create({ model, messages, max_tokens: 12, temperature: 0, ignore_eos: true });
    return { error, text: next.choices[0].message.content, ms: performance.now() - t0, queue: (await w.client.stats()).queue };
  }, [model, maxTokens, content] as const);
}

describe('the engine worker behind the SharedWorker host', () => {
  test('isolated page: transformers.js WASM runs in the engine worker with every core, same greedy tokens as 1 thread', async () => {
    const threaded = await browser.newContext();
    const single = await browser.newContext();
    try {
      const page = await tab(threaded);
      const cores = await page.evaluate(() => navigator.hardwareConcurrency);
      const workersBefore = page.workers().length;
      const many = await greedy(page, 'llama-wasm');
      expect(many.placement.engineWorker).toMatchObject({ attached: true, isolated: true, threads: true, generation: 1 });
      expect(many.placement.models['llama-wasm']).toEqual({ where: 'engine-worker', threads: Math.min(8, cores) });
      // onnxruntime-web's pool: its thread workers start inside the engine worker.
      if (cores > 1) expect(page.workers().length).toBeGreaterThan(workersBefore);
      // Core's grammar (host) constrains the engine in the worker, mask by mask.
      const schema = { type: 'object', properties: { city: { type: 'string', maxLength: 10 }, temp: { type: 'integer', minimum: -50, maximum: 50 } }, required: ['city', 'temp'], additionalProperties: false };
      const structured = await page.evaluate(async (schema) => {
        const r = await (window as any).client.chat.completions.create({ model: 'llama-wasm', messages: [{ role: 'user', content: 'Weather?' }], max_tokens: 80, temperature: 0.8, seed: 3, response_format: { type: 'json_schema', json_schema: { name: 'w', schema, strict: true } } });
        return { content: r.choices[0].message.content, finish: r.choices[0].finish_reason };
      }, schema);
      expect(structured.finish).toBe('stop');
      const value = JSON.parse(structured.content);
      expect(Object.keys(value).sort()).toEqual(['city', 'temp']);
      expect(Number.isInteger(value.temp) && value.temp >= -50 && value.temp <= 50).toBe(true);

      // Abort reaches the engine in the worker: without it, the next request would wait behind 100k tokens.
      const abort = await abortThenAsk(page, 'llama-wasm', 100_000, 'Go on.');
      expect(abort.error).toBe('APIUserAbortError');
      expect(abort.ms).toBeLessThan(15_000);
      const http = await viaHttp(page, 'llama-wasm');
      expect(http).toMatchObject({ status: 200, text: many.text });

      // The host's copy of the tokenizer (core's ModelTokenizer is synchronous) counts as the model does.
      const counted = await page.evaluate(async (body) => (await (window as any).client.tokenize({ model: 'llama-wasm', messages: body.messages })).count, GREEDY);
      expect(counted).toBe(many.promptTokens);
      // An embedding model in the engine worker: tokenized in the host, embedded in the worker.
      const ref = JSON.parse(readFileSync('public/models/tiny-random-bge-embed/reference.json', 'utf8'));
      const emb = await page.evaluate(async (texts) => {
        const w = window as any;
        await w.client.models.load('bge', { device: 'wasm' });
        const out = await w.client.embeddings.create({ model: 'bge', input: texts });
        return { vectors: out.data.map((d: any) => d.embedding), usage: out.usage, where: (await w.client.stats()).placement.models.bge };
      }, ref.texts);
      expect(emb.where).toMatchObject({ where: 'engine-worker' });
      expect(emb.usage.prompt_tokens).toBe(ref.tokens.reduce((a: number, b: number) => a + b, 0));
      for (const [i, v] of emb.vectors.entries()) for (const [j, x] of v.entries()) expect(Math.abs(x - ref.embeddings[i][j])).toBeLessThan(1e-4);

      const one = await greedy(await tab(single, '?threads=1'), 'llama-wasm');
      expect(one.placement.models['llama-wasm']).toEqual({ where: 'engine-worker', threads: 1 });
      expect(one.ids).toEqual(many.ids);
      expect(many.ids.length).toBe(24);
      expect(page.errors).toEqual([]);
    } finally {
      await threaded.close();
      await single.close();
    }
  });

  test('GGUF answers through the default host, from the page client and from /v1', async () => {
    const context = await browser.newContext();
    try {
      // Not isolated: wllama still needs its own worker, which only a tab can start.
      const page = await tab(context, '?isolate=0', false);
      const ref = await page.evaluate(async () => (await fetch('/models/tiny-random-qwen2.5-gguf/reference.json')).json());
      const out = await page.evaluate(async (content) => {
        const w = window as any;
        const info = await w.client.models.load('gguf-qwen', { device: 'wasm' });
        const res = await w.client.chat.completions.create({ model: 'gguf-qwen', messages: [{ role: 'user', content }], max_tokens: 12, temperature: 0, ignore_eos: true });
        const r = await fetch('/v1/chat/completions', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'gguf-qwen', messages: [{ role: 'user', content }], max_tokens: 12, temperature: 0, ignore_eos: true }) });
        return { info, text: res.choices[0].message.content, http: r.status, httpText: (await r.json()).choices[0].message.content, stats: await w.client.stats() };
      }, ref.content);
      expect(out.info).toMatchObject({ engine: 'gguf', device: 'wasm' });
      expect(out.text).toBe(ref.text);
      expect(out.http).toBe(200);
      expect(out.httpText).toBe(ref.text);
      expect(out.stats.placement.models['gguf-qwen']).toEqual({ where: 'engine-worker', threads: 1 });
      expect(out.stats.placement.engineWorker).toMatchObject({ attached: true, isolated: false, threads: false });

      // A GGUF embedding model there too: the host's copy of its tokenizer counts, the worker embeds.
      const bge = JSON.parse(readFileSync('public/models/tiny-random-bge-embed/reference.json', 'utf8'));
      const emb = await page.evaluate(async (texts) => {
        const w = window as any;
        const out = await w.client.embeddings.create({ model: 'gguf-bge', input: texts });
        return { vectors: out.data.map((d: any) => d.embedding), usage: out.usage };
      }, bge.texts);
      expect(emb.usage.prompt_tokens).toBe(bge.tokens.reduce((a: number, b: number) => a + b, 0));
      for (const [i, v] of emb.vectors.entries()) {
        const ref = bge.embeddings[i] as number[];
        const dot = v.reduce((a: number, x: number, j: number) => a + x * ref[j]!, 0);
        const norm = Math.sqrt(v.reduce((a: number, x: number) => a + x * x, 0) * ref.reduce((a, x) => a + x * x, 0));
        expect(dot / norm).toBeGreaterThanOrEqual(0.9999);
      }

      // Abort = cancel, through the engine worker too; the next request answers.
      const abort = await abortThenAsk(page, 'gguf-qwen', 1900, ref.content);
      expect(abort).toMatchObject({ error: 'APIUserAbortError', text: ref.text, queue: { running: false, pending: 0 } });
    } finally {
      await context.close();
    }
  });

  test('handover: the owner tab closes; the other tab and /v1 still answer, from one loaded copy', async () => {
    const context = await browser.newContext();
    try {
      const tabs = [await tab(context), await tab(context)];
      await greedy(tabs[1]!, 'llama-wasm');
      // Either tab may have won the election (a tab reloaded for isolation joins late): the
      // leader is the one whose page runs the engine worker; the other one survives.
      const leads = (p: Tab) => p.workers().some((w) => w.url().includes('engine-worker'));
      expect(tabs.filter(leads)).toHaveLength(1);
      const first = tabs.find(leads)!;
      const second = tabs.find((p) => p !== first)!;
      const before = await greedy(second, 'llama-wasm');
      expect(before.placement.engineWorker.generation).toBe(1);
      // A long stream from the other tab, running in the leader's worker when the leader closes.
      await second.evaluate(() => {
        const w = window as any;
        w.stream = (async () => {
          let tokens = 0;
          try {
            const s = await w.client.chat.completions.create({ model: 'llama-wasm', messages: [{ role: 'user', content: 'Go on.' }], max_tokens: 100000, ignore_eos: true, stream: true });
            for await (const chunk of s) {
              if (chunk.choices[0]?.delta?.content) tokens++;
              if (tokens === 1) w.streaming = true;
            }
            return { ok: true, tokens };
          } catch (e: any) {
            return { ok: false, tokens, error: { status: e?.status ?? null, code: e?.code ?? null, message: String(e?.message ?? e) } };
          }
        })();
      });
      await second.waitForFunction(() => (window as any).streaming);
      await first.close();
      const cut = await second.evaluate(() => (window as any).stream);
      expect(cut).toMatchObject({ ok: false, error: { status: 503, code: 'engine_worker_lost' } });
      expect(cut.tokens).toBeGreaterThan(0);

      const after = await greedy(second, 'llama-wasm');
      expect(after.ids).toEqual(before.ids);
      expect(after.placement.engineWorker).toMatchObject({ attached: true, generation: 2, handovers: 1 });
      expect(after.placement.models['llama-wasm']).toMatchObject({ where: 'engine-worker' });
      // One copy: the host loaded it once; the new worker reloaded it on demand for the same host model.
      expect(after.loads).toEqual({ 'llama-wasm': 1 });
      expect(await viaHttp(second, 'llama-wasm')).toMatchObject({ status: 200, text: before.text });
      expect(second.errors).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
