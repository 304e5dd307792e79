import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { baseURL, launch } from './support/browser.js';
import { openGatewayContext, openGatewayPage } from './support/ready-page.js';
import { LONG_REQUEST } from './support/long-request.js';

/**
 * Reliability in the browser, through the real Service Worker gateway and the shared
 * engine host on WASM: typed model-load failures that leave the host serving, limits
 * refused fast, aborts that leave the queue at once, an abort storm, three tabs of
 * concurrent seeded requests, and the Service Worker stopped under load. Figures are
 * printed with a `[reliability]` prefix.
 */
const SENTENCE = 'Hello! I am a tiny model running in your browser.';
const MODELS = 'public/models';

let browser: Browser;
let context: BrowserContext;
let page: Page;

/** Model folders that fail to load, each its own way (written next to the generated tiny-chat). */
function writeBrokenModels(): void {
  const good = `${MODELS}/tiny-chat`;
  const onnx = readFileSync(`${good}/onnx/model.onnx`);
  for (const [name, bytes] of [
    ['rel-missing', null],
    ['rel-corrupt', Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 251))],
    ['rel-truncated', onnx.subarray(0, Math.floor(onnx.length * 0.6))],
  ] as const) {
    const dir = `${MODELS}/${name}`;
    rmSync(dir, { recursive: true, force: true });
    cpSync(good, dir, { recursive: true });
    if (bytes) writeFileSync(`${dir}/onnx/model.onnx`, bytes);
    else rmSync(`${dir}/onnx`, { recursive: true });
  }
}

beforeAll(async () => {
  writeBrokenModels();
  browser = await launch();
  ({ context, page } = await openGatewayContext(browser));
});
afterAll(async () => {
  await browser?.close();
  for (const name of ['rel-missing', 'rel-corrupt', 'rel-truncated']) rmSync(`${MODELS}/${name}`, { recursive: true, force: true });
});

describe('model load failures are typed, and the host keeps serving', () => {
  test('missing file 404, unreachable server 503, corrupt and truncated ONNX 422; then a new model still loads', async () => {
    const out = await page.evaluate(async () => {
      const w = window as any;
      const models = [
        { id: 'rel-missing', baseUrl: '/models/rel-missing/' },
        { id: 'rel-corrupt', baseUrl: '/models/rel-corrupt/' },
        { id: 'rel-truncated', baseUrl: '/models/rel-truncated/' },
        // Nothing listens on port 9 (discard): the download fails as a network error.
        { id: 'rel-unreachable', baseUrl: 'http://127.0.0.1:9/models/x/' },
        { id: 'rel-good', baseUrl: '/models/tiny-chat/', contextLength: 2048 },
      ];
      for (const m of models) await w.client.models.register(m);
      const ask = async (model: string) => {
        const t0 = performance.now();
        const r = await fetch('/v1/chat/completions', {
          method: 'POST', headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ model, messages: [{ role: 'user', content: 'Hi' }] }),
        });
        return { status: r.status, body: await r.json(), ms: Math.round(performance.now() - t0) };
      };
      const results: Record<string, unknown> = {};
      for (const id of ['rel-missing', 'rel-unreachable', 'rel-corrupt', 'rel-truncated', 'rel-good', 'tiny-chat']) results[id] = await ask(id);
      return results as Record<string, { status: number; body: any; ms: number }>;
    });
    expect(out['rel-missing']!.status).toBe(404);
    expect(out['rel-missing']!.body.error).toMatchObject({ code: 'model_file_not_found', param: 'model', message: expect.stringContaining('/models/rel-missing/onnx/model') });
    expect(out['rel-unreachable']!.status).toBe(503);
    expect(out['rel-unreachable']!.body.error).toMatchObject({ code: 'model_download_failed', message: expect.stringContaining('http://127.0.0.1:9/models/x/') });
    for (const id of ['rel-corrupt', 'rel-truncated']) {
      expect(out[id]!.status, id).toBe(422);
      expect(out[id]!.body.error, id).toMatchObject({ code: 'model_file_corrupt', param: 'model', message: expect.stringContaining(`/models/${id}/onnx/model.onnx`) });
    }
    // A model loaded after the failures (onnxruntime's session chain is still healthy) and the loaded one answer.
    expect(out['rel-good']!.body.choices?.[0].message.content).toBe(SENTENCE);
    expect(out['tiny-chat']!.body.choices?.[0].message.content).toBe(SENTENCE);
    // With room to spare, the first load's files went into the cache, and it says so.
    expect(await page.evaluate(() => (window as any).loaded.storage)).toEqual({ cached: true, reason: null, uncached_files: [] });
    console.log(`[reliability] load failures (WASM): ${Object.entries(out).map(([id, r]) => `${id} ${r.status} in ${r.ms} ms`).join(', ')}`);
  }, 120_000);
});

describe('limits through /v1 and the in-page client', () => {
  test('JSON 2,000 deep in an ignored field, and stream: "true": 400s naming the field, at once', async () => {
    const out = await page.evaluate(async () => {
      const w = window as any;
      const deep = '['.repeat(2000) + ']'.repeat(2000);
      const post = async (body: string) => {
        const t0 = performance.now();
        const r = await fetch('/v1/chat/completions', { method: 'POST', headers: { 'content-type': 'application/json' }, body });
        return { status: r.status, error: (await r.json()).error, ms: performance.now() - t0 };
      };
      const base = '{"model":"tiny-chat","messages":[{"role":"user","content":"Hi"}]';
      const viaHttp = await post(`${base},"prediction":{"type":"content","content":${deep}}}`);
      const streams = [];
      for (const v of ['"true"', '1', '0', '[]', '{}', '""']) streams.push((await post(`${base},"stream":${v}}`)).error?.param);
      let inPage: unknown = null;
      const value = JSON.parse(deep);
      try {
        await w.client.chat.completions.create({ model: 'tiny-chat', messages: [{ role: 'user', content: 'Hi' }], prediction: { type: 'content', content: value } });
      } catch (e: any) {
        inPage = { name: e.constructor.name, status: e.status, code: e.code, param: e.param?.slice(0, 30) };
      }
      return { viaHttp, streams, inPage };
    });
    expect(out.viaHttp.status).toBe(400);
    expect(out.viaHttp.error).toMatchObject({ code: 'json_too_deep', param: expect.stringMatching(/^prediction\.content\[0\]/) });
    expect(out.viaHttp.ms).toBeLessThan(1000);
    expect(out.streams).toEqual(Array(6).fill('stream'));
    expect(out.inPage).toEqual({ name: 'BadRequestError', status: 400, code: 'json_too_deep', param: 'prediction.content[0][0][0][0]' });
  });
});

describe('aborts through /v1', () => {
  test('requests aborted while they wait leave the queue at once', async () => {
    const out = await page.evaluate(async (long) => {
      const w = window as any;
      const post = (body: unknown, signal: AbortSignal) => fetch('/v1/chat/completions', {
        method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal,
      });
      const stop = new AbortController();
      const running = await post({ ...long, stream: true }, stop.signal);
      const waiting = Array.from({ length: 10 }, () => {
        const c = new AbortController();
        return { c, done: post({ model: 'tiny-chat', messages: [{ role: 'user', content: 'Hi' }] }, c.signal).catch(() => null) };
      });
      const t = performance.now();
      while ((await w.client.stats()).queue.pending < 10 && performance.now() - t < 5000) await new Promise((r) => setTimeout(r, 5));
      const before = (await w.client.stats()).queue.pending;
      const t0 = performance.now();
      for (const q of waiting) q.c.abort();
      let leftMs = -1;
      while (performance.now() - t0 < 5000) {
        if ((await w.client.stats()).queue.pending === 0) { leftMs = performance.now() - t0; break; }
        await new Promise((r) => setTimeout(r, 2));
      }
      stop.abort();
      void running.body?.cancel().catch(() => {});
      await Promise.all(waiting.map((q) => q.done));
      const idleMs = await w.waitIdle(10_000);
      return { before, leftMs, idleMs };
    }, LONG_REQUEST);
    expect(out.before).toBe(10);
    expect(out.leftMs).toBeGreaterThanOrEqual(0);
    expect(out.leftMs).toBeLessThan(300);
    console.log(`[reliability] 10 queued /v1 requests aborted: the queue was empty ${out.leftMs.toFixed(1)} ms later (WASM, SharedWorker host)`);
  }, 60_000);

  test('abort storm: 200 streams aborted at random moments, then the host is idle and answers normally', async () => {
    const out = await page.evaluate(async () => {
      const w = window as any;
      const openai = w.makeOpenAI({ maxRetries: 5 });
      let seed = 12345;
      const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
      let chunks = 0;
      const errors: Record<string, number> = {};
      const finished: number[] = [];
      const t0 = performance.now();
      for (let wave = 0; wave < 20; wave++) {
        await Promise.all(Array.from({ length: 10 }, async () => {
          const c = new AbortController();
          // From before the request is queued to well into its stream.
          setTimeout(() => c.abort(), rand() * 300);
          try {
            const s = await openai.chat.completions.create(
              { model: 'tiny-chat', messages: [{ role: 'user', content: 'Hi' }], stream: true, max_tokens: 2000, ignore_eos: true },
              { signal: c.signal },
            );
            let mine = 0;
            for await (const _ of s) { chunks++; mine++; }
            finished.push(mine);
          } catch (e: any) {
            const name = e?.constructor?.name ?? 'Error';
            errors[name] = (errors[name] ?? 0) + 1;
          }
        }));
      }
      const stormMs = performance.now() - t0;
      const idleMs = await w.waitIdle(10_000);
      const after = await openai.chat.completions.create({ model: 'tiny-chat', messages: [{ role: 'user', content: 'Hi' }] });
      return { chunks, errors, finished, stormMs, idleMs, text: after.choices[0].message.content };
    });
    expect(out.text).toBe(SENTENCE);
    expect(out.idleMs).toBeLessThan(3000);
    // Each stream ended early: aborted before or while it was answered (APIUserAbortError), or
    // mid-iteration, where the openai SDK ends the loop quietly; none ran to its 2,000 tokens.
    expect(Object.keys(out.errors).filter((k) => k !== 'APIUserAbortError')).toEqual([]);
    expect((out.errors.APIUserAbortError ?? 0) + out.finished.length).toBe(200);
    // Under 2,000 chunks: it did not run to the end (the tiny model streams ~4,000 tokens/s
    // through /v1, so a stream aborted at 300 ms may well be past 1,000).
    expect(Math.max(0, ...out.finished)).toBeLessThan(2000);
    console.log(`[reliability] abort storm (/v1, WASM): 200 streams aborted in ${Math.round(out.stormMs)} ms (${out.chunks} chunks read, at most ${Math.max(0, ...out.finished)} by one stream), host idle ${Math.round(out.idleMs)} ms after, then a normal answer`);
  }, 120_000);
});

describe('three tabs, twenty concurrent seeded requests each', () => {
  test('all complete (with the SDK\'s retries on 429) and each equals the same request sent alone', async () => {
    const tabs = [page, await openGatewayPage(context), await openGatewayPage(context)];
    const burst = (tab: number) => tabs[tab]!.evaluate(async (tab) => {
      const w = window as any;
      let retries = 0;
      const counting = async (url: any, init: any) => {
        const r = await fetch(url, init);
        if (r.status === 429) retries++;
        return r;
      };
      const openai = w.makeOpenAI({ maxRetries: 20, fetch: counting });
      const t0 = performance.now();
      const texts = await Promise.all(Array.from({ length: 20 }, async (_, i) => {
        const r = await openai.chat.completions.create({
          model: 'tiny-chat', messages: [{ role: 'user', content: `Hi ${i}` }], seed: tab * 100 + i, temperature: 1.5, max_tokens: 12,
        });
        return r.choices[0].message.content as string;
      }));
      return { texts, retries, ms: performance.now() - t0 };
    }, tab);
    const results = await Promise.all([0, 1, 2].map(burst));
    const alone = await page.evaluate(async () => {
      const openai = (window as any).makeOpenAI();
      const out: string[][] = [];
      for (let tab = 0; tab < 3; tab++) {
        out.push([]);
        for (let i = 0; i < 20; i++) {
          const r = await openai.chat.completions.create({
            model: 'tiny-chat', messages: [{ role: 'user', content: `Hi ${i}` }], seed: tab * 100 + i, temperature: 1.5, max_tokens: 12,
          });
          out[tab]!.push(r.choices[0].message.content);
        }
      }
      return out;
    });
    expect(results.map((r) => r.texts)).toEqual(alone);
    // Seeds matter: the answers are not all the same.
    expect(new Set(alone.flat()).size).toBeGreaterThan(10);
    console.log(`[reliability] 3 tabs x 20 concurrent seeded requests (WASM): ${results.map((r, i) => `tab ${i} ${Math.round(r.ms)} ms, ${r.retries} retried 429s`).join('; ')}; all 60 equal the request sent alone`);
    for (const tab of tabs.slice(1)) await tab.close();
  }, 180_000);
});

describe('the Service Worker stopped under load', () => {
  test('the stream being answered fails, the queued ones are served in full, then the host is idle and answers', async () => {
    const cdp = await context.newCDPSession(page);
    await cdp.send('ServiceWorker.enable');
    const started = page.evaluate(async (body) => {
      return Promise.all(Array.from({ length: 6 }, async () => {
        let text = '';
        try {
          const r = await fetch('/v1/chat/completions', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ...body, stream: true }) });
          const reader = r.body!.getReader();
          const decoder = new TextDecoder();
          for (;;) {
            const { value, done } = await reader.read();
            if (done) break;
            text += decoder.decode(value, { stream: true });
          }
          return { status: r.status, done: text.includes('data: [DONE]'), frames: text.split('\n\n').length - 1, error: null };
        } catch (e: any) {
          return { status: 0, done: false, frames: text.split('\n\n').length - 1, error: e?.name ?? 'Error' };
        }
      }));
    }, { ...LONG_REQUEST, n: 1, max_tokens: 600 });
    // Once the first stream runs and others wait, stop the SW.
    await page.waitForFunction(async () => {
      const { queue } = await (window as any).client.stats();
      return queue.running && queue.pending >= 3;
    }, null, { timeout: 30_000, polling: 50 });
    const t0 = Date.now();
    await cdp.send('ServiceWorker.stopAllWorkers');
    const ends = await started;
    const out = await page.evaluate(async () => {
      const w = window as any;
      const idleMs = await w.waitIdle(10_000);
      const r = await w.makeOpenAI().chat.completions.create({ model: 'tiny-chat', messages: [{ role: 'user', content: 'Hi' }] });
      return { idleMs, text: r.choices[0].message.content };
    });
    console.log(`[reliability] SW stopped with 1 stream running + queued ones: ${JSON.stringify(ends)}; host idle ${Date.now() - t0} ms after the stop; next request answered`);
    // The stream being answered when the SW stopped fails; requests still waiting are
    // served in full by the restarted SW (Chromium hands them over), none hangs or is cut.
    expect(ends.filter((e) => !e.done).length).toBeGreaterThanOrEqual(1);
    for (const e of ends) if (e.done) expect(e.frames).toBe(603);
    expect(out.idleMs).toBeLessThan(10_000);
    expect(out.text).toBe(SENTENCE);
  }, 120_000);
});

describe('the storage quota exhausted while a model downloads', () => {
  test('the load still serves, and no file is left half-cached', async () => {
    const quotaContext = await browser.newContext();
    const probe = await quotaContext.newPage();
    const origin = baseURL();
    await probe.goto(`${origin}/e2e/pages/gateway.html?gateway=0`);
    const cdp = await quotaContext.newCDPSession(probe);
    // Room for the small JSON files, not for the ONNX weights.
    await cdp.send('Storage.overrideQuotaForOrigin', { origin, quotaSize: 64 * 1024 });
    const tab = await openGatewayPage(quotaContext);
    const out = await tab.evaluate(async () => {
      const w = window as any;
      const r = await w.makeOpenAI().chat.completions.create({ model: 'tiny-chat', messages: [{ role: 'user', content: 'Hi' }] });
      const cache = await caches.open('transformers-cache');
      const files = [];
      for (const request of await cache.keys()) {
        const cached = (await (await cache.match(request))!.arrayBuffer()).byteLength;
        const served = (await (await fetch(request.url, { cache: 'no-store' })).arrayBuffer()).byteLength;
        files.push({ url: request.url.replace(location.origin, ''), cached, served });
      }
      return { text: r.choices[0].message.content, files, storage: w.loaded.storage, estimate: await navigator.storage.estimate() };
    });
    await quotaContext.close();
    expect(out.text).toBe(SENTENCE);
    // Whatever was cached is whole; the weights did not fit and are absent, not truncated.
    for (const f of out.files) expect(f.cached, f.url).toBe(f.served);
    expect(out.files.some((f) => f.url.endsWith('.onnx'))).toBe(false);
    // ...and the load said so: not cached, the quota the reason, the weights named.
    expect(out.storage).toMatchObject({ cached: false, reason: 'storage_quota_exceeded' });
    expect(out.storage.uncached_files.some((f: string) => /^onnx\/model.*\.onnx$/.test(f)), out.storage.uncached_files.join(', ')).toBe(true);
    console.log(`[reliability] quota 64 KiB: the model served uncached; cached whole: ${out.files.map((f) => f.url.split('/').pop()).join(', ') || 'nothing'}; reported uncached (${out.storage.reason}): ${out.storage.uncached_files.join(', ')}`);
  }, 120_000);
});
