import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { LoadProgress } from '../src/protocol/models.js';
import { DEVICES, baseURL, launch, openPage, type Device } from './support/browser.js';

/**
 * The engine host: model loading with byte-level progress, and one SharedWorker host per
 * origin shared by every page and client (one copy of the weights). Each test starts a
 * fresh browser context, so nothing is cached or already running.
 */

const SENTENCE = 'Hello! I am a tiny model running in your browser.';
const BASE = { model: 'tiny-chat', messages: [{ role: 'user', content: 'Hi' }] };
const MODEL_FILES = ['config.json', 'generation_config.json', 'tokenizer.json', 'tokenizer_config.json', 'onnx/model.onnx'];

let browser: Browser;
beforeAll(async () => { browser = await launch(); });
afterAll(async () => { await browser?.close(); });

async function modelBytes(): Promise<number> {
  let total = 0;
  for (const f of MODEL_FILES) total += (await (await fetch(`${baseURL()}/models/tiny-chat/${f}`)).arrayBuffer()).byteLength;
  return total;
}

describe.each(DEVICES)('engine host on %s', (device: Device) => {
  test('models.load reports byte progress (loaded/total) and ends with phase ready', async () => {
    const context = await browser.newContext();
    try {
      const page = await openPage(context, `/e2e/pages/client-harness.html?device=${device}&shared=0`);
      await page.waitForFunction(() => (window as any).ready);
      const r = await page.evaluate(async (d) => {
        const { harness, client } = window as any;
        const before = await client.models.retrieve('tiny-chat');
        const first = await harness.load('tiny-chat', { device: d });
        const again = await harness.load('tiny-chat', { device: d });
        const after = await client.models.retrieve('tiny-chat');
        const answer = await harness.run({ model: 'tiny-chat', messages: [{ role: 'user', content: 'Hi' }] });
        return { before, first, again, after, answer, stats: await client.stats() };
      }, device);

      const events: LoadProgress[] = r.first.progress;
      expect(r.first.info).toMatchObject({ id: 'tiny-chat', engine: 'transformers', device, context_length: 2048 });
      const downloads = events.filter((e) => e.phase === 'download');
      expect(downloads.length).toBeGreaterThanOrEqual(MODEL_FILES.length);
      for (const e of downloads) {
        expect(e.model).toBe('tiny-chat');
        expect(e.loaded).toEqual(expect.any(Number));
        expect(e.total).toEqual(expect.any(Number));
        expect(e.loaded!).toBeGreaterThan(0);
        expect(e.loaded!).toBeLessThanOrEqual(e.total!);
        expect(e.progress).toBeCloseTo(e.loaded! / e.total!, 9);
      }
      // Bytes only grow, file after file (whether a file shows up mid-way depends on how
      // the local server's response is chunked, so that is not asserted).
      downloads.forEach((e, i) => i && expect(e.loaded!).toBeGreaterThanOrEqual(downloads[i - 1]!.loaded!));
      // The total is the whole model's from the first event on (file sizes are asked for
      // before the downloads start), so the bar never jumps back.
      const bytes = await modelBytes();
      expect(downloads.map((e) => e.total)).toEqual(downloads.map(() => bytes));
      downloads.forEach((e, i) => i && expect(e.progress!).toBeGreaterThanOrEqual(downloads[i - 1]!.progress!));
      expect(new Set(downloads.map((e) => e.loaded)).size).toBeGreaterThanOrEqual(MODEL_FILES.length);
      expect(new Set(downloads.map((e) => e.file))).toEqual(new Set(MODEL_FILES));
      // The last byte event is complete and counts every byte of the model's files.
      const lastDownload = downloads.at(-1)!;
      expect(lastDownload.loaded).toBe(lastDownload.total);
      expect(lastDownload.total).toBe(await modelBytes());
      // Then init, then ready, which is the very last event.
      const phases = events.map((e) => e.phase).filter((p, i, all) => p !== all[i - 1]);
      expect(phases).toEqual(['download', 'init', 'ready']);
      expect(events.at(-1)).toMatchObject({ phase: 'ready', progress: 1 });

      // A second load is a no-op that says ready at once; the model is counted once.
      expect(r.again.progress.map((e: LoadProgress) => e.phase)).toEqual(['ready']);
      expect(r.again.info).toEqual(r.first.info);
      expect(r.before.loaded).toBe(false);
      expect(r.after.loaded).toBe(true);
      expect(r.stats.loads).toEqual({ 'tiny-chat': 1 });
      expect(r.answer.completion.choices[0].message.content).toBe(SENTENCE);
      expect(page.errors).toEqual([]);
    } finally {
      await context.close();
    }
  });

  test('SharedWorker: two pages and two clients share one host, the model loads once', async () => {
    const context = await browser.newContext();
    try {
      const url = `/e2e/pages/client-harness.html?device=${device}&shared=1`;
      const pageA = await openPage(context, url);
      const pageB = await openPage(context, url);
      await pageA.waitForFunction(() => (window as any).ready);
      await pageB.waitForFunction(() => (window as any).ready);

      const a = await pageA.evaluate((d) => (window as any).harness.load('tiny-chat', { device: d }), device);
      expect(a.info.device).toBe(device);
      expect(a.progress.some((e: LoadProgress) => e.phase === 'download')).toBe(true);

      // Page B finds the model already resident in the shared host: no download at all.
      const b = await pageB.evaluate((d) => (window as any).harness.load('tiny-chat', { device: d }), device);
      expect(b.progress.map((e: LoadProgress) => e.phase)).toEqual(['ready']);
      expect(b.info).toEqual(a.info);

      // Both pages, and a second client in page A, ask at the same time; all are answered.
      const ask = (page: typeof pageA) =>
        page.evaluate(async (base) => {
          const { harness, makeClient } = window as any;
          const second = makeClient();
          const [one, two] = await Promise.all([harness.run(base), harness.run({ ...base, stream: true }, { client: second })]);
          return {
            one: one.completion.choices[0].message.content,
            two: two.chunks.map((c: any) => c.choices[0]?.delta.content ?? '').join(''),
            stats: await second.stats(),
          };
        }, BASE);
      const [fromA, fromB] = await Promise.all([ask(pageA), ask(pageB)]);
      for (const r of [fromA, fromB]) {
        expect(r.one).toBe(SENTENCE);
        expect(r.two).toBe(SENTENCE);
      }
      const stats = await pageB.evaluate(() => (window as any).client.stats());
      expect(stats.loads['tiny-chat']).toBe(1);
      expect(stats.loaded).toEqual(['tiny-chat']);
      // Pages A and B, plus one extra client in each: four ports on one host.
      expect(stats.connections).toBe(4);

      // Contrast: a dedicated-worker client in the same page has its own host and nothing loaded.
      const dedicated = await pageA.evaluate(async () => {
        const own = (window as any).makeClient({ shared: false });
        return own.stats();
      });
      expect(dedicated.loads).toEqual({});
      expect(dedicated.connections).toBe(1);

      expect(pageA.errors).toEqual([]);
      expect(pageB.errors).toEqual([]);
    } finally {
      await context.close();
    }
  });
});

test('closing a client ends the dedicated host it started, with its models', async () => {
  const context = await browser.newContext();
  try {
    const page = await openPage(context, '/e2e/pages/client-harness.html?device=wasm&shared=0');
    await page.waitForFunction(() => (window as any).ready);
    const host = page.workers().find((w) => w.url().includes('worker/host'));
    expect(host).toBeDefined();
    const ended = new Promise((resolve) => host!.once('close', resolve));
    await page.evaluate(() => (window as any).client.close());
    await ended;
    expect(page.workers().some((w) => w.url().includes('worker/host'))).toBe(false);
  } finally {
    await context.close();
  }
}, 60_000);
