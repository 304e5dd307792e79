import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { launch, openPage } from './support/browser.js';
import { LONG_REQUEST, timeInPage } from './support/long-request.js';

/**
 * One engine host per origin: two tabs, each with its own client and the gateway, send
 * requests at the same time (through /v1 with the openai SDK and through the in-page
 * client). All are answered in full, never interleaved, and the model is loaded once.
 */
const SENTENCE = 'Hello! I am a tiny model running in your browser.';

let browser: Browser;
beforeAll(async () => { browser = await launch(); });
afterAll(async () => { await browser?.close(); });

test('two tabs at once: every answer complete, one shared host, the model loaded once', async () => {
  const context = await browser.newContext();
  // Nothing preloaded: the first requests to arrive load the model.
  const tabs = [];
  for (let i = 0; i < 2; i++) {
    const tab = await openPage(context, '/e2e/pages/gateway.html?device=none');
    await tab.waitForFunction(() => (window as any).ready);
    expect(await tab.evaluate(() => (window as any).setupError ?? null)).toBeNull();
    expect(await tab.evaluate(() => (window as any).gateway.controlled)).toBe(true);
    tabs.push(tab);
  }
  expect(await tabs[0]!.evaluate(async () => (await (window as any).client.stats()).loads)).toEqual({});

  // Both tabs wait for one go signal, then fire at the same time.
  await Promise.all(tabs.map((tab) => tab.evaluate(() => {
    const w = window as any;
    w.go = new Promise((resolve) => { w.fire = resolve; });
    w.results = (async () => {
      await w.go;
      const openai = w.makeOpenAI();
      const t0 = performance.now();
      const settle = async (label: string, p: Promise<string>) => {
        try {
          return { label, ok: true, text: await p, ms: performance.now() - t0 };
        } catch (e) {
          return { label, ok: false, error: w.describeError(e), ms: performance.now() - t0 };
        }
      };
      const hi = [{ role: 'user', content: 'Hi' }];
      return Promise.all([
        settle('sdk-chat', openai.chat.completions.create({ model: 'tiny-chat', messages: hi }).then((c: any) => c.choices[0].message.content)),
        settle('sdk-stream', (async () => {
          let text = '';
          const stream = await openai.chat.completions.create({ model: 'tiny-chat', messages: hi, stream: true });
          for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
          return text;
        })()),
        settle('sdk-legacy', openai.completions.create({ model: 'tiny-chat', prompt: 'I am' }).then((c: any) => c.choices[0].text)),
        settle('in-page', w.client.chat.completions.create({ model: 'tiny-chat', messages: hi }).then((c: any) => c.choices[0].message.content)),
      ]);
    })();
  })));
  await Promise.all(tabs.map((tab) => tab.evaluate(() => (window as any).fire())));
  const results = await Promise.all(tabs.map((tab) => tab.evaluate(() => (window as any).results)));

  for (const [i, tab] of results.entries()) {
    for (const r of tab) {
      expect(r, `tab ${i} ${r.label}`).toMatchObject({ ok: true });
      expect(r.text, `tab ${i} ${r.label}`).toBe(r.label === 'sdk-legacy' ? ' a tiny model running in your browser.' : SENTENCE);
    }
  }
  const stats = await Promise.all(tabs.map((tab) => tab.evaluate(() => (window as any).client.stats())));
  // The same host answers both tabs: loaded once, for everyone.
  expect(stats[0].loads).toEqual({ 'tiny-chat': 1 });
  expect(stats[1].loads).toEqual({ 'tiny-chat': 1 });
  // Both tabs' clients plus the Service Worker's port(s): one host served them all.
  expect(stats[1].connections).toBeGreaterThanOrEqual(3);
  expect(stats[0].connections).toBe(stats[1].connections);
  expect(stats[1].queue).toEqual({ running: false, pending: 0 });
  for (const tab of tabs) expect(tab.errors).toEqual([]);
  await context.close();
});

test('a tab closed mid-stream: the shared host stops its request at once and serves the other tab', async () => {
  const context = await browser.newContext();
  try {
    const tabs = [];
    for (let i = 0; i < 2; i++) {
      const tab = await openPage(context, '/e2e/pages/gateway.html?device=wasm');
      await tab.waitForFunction(() => (window as any).ready);
      expect(await tab.evaluate(() => (window as any).setupError ?? null)).toBeNull();
      tabs.push(tab);
    }
    const [closing, staying] = tabs as [typeof tabs[0], typeof tabs[0]];
    const fullMs = await timeInPage(staying);

    await closing.evaluate((long) => {
      const w = window as any;
      w.streamed = 0;
      void (async () => {
        for await (const _chunk of await w.client.chat.completions.create({ ...long, stream: true })) w.streamed++;
      })();
    }, LONG_REQUEST);
    await closing.waitForFunction(() => (window as any).streamed > 20);
    expect(await staying.evaluate(async () => (await (window as any).client.stats()).queue.running)).toBe(true);
    await closing.close();
    // Nobody reads that stream any more: the host learns it through the tab's lifeline
    // lock (no MessagePort close event exists to tell it) and frees the queue.
    const idleMs = await staying.evaluate(() => (window as any).waitIdle(20_000));
    expect(idleMs, `idle ${idleMs} ms after the tab closed; the whole request takes ${fullMs} ms`).toBeLessThan(Math.min(1000, fullMs / 3));

    const answer = await staying.evaluate(async () => {
      const completion = await (window as any).client.chat.completions.create({ model: 'tiny-chat', messages: [{ role: 'user', content: 'Hi' }] });
      return { text: completion.choices[0].message.content, loads: (await (window as any).client.stats()).loads };
    });
    expect(answer).toEqual({ text: SENTENCE, loads: { 'tiny-chat': 1 } });
    expect(staying.errors).toEqual([]);
  } finally {
    await context.close();
  }
});
