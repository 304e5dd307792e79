import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { launch, openPage } from './support/browser.js';

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
