import type { Browser, BrowserContext, CDPSession } from 'playwright-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { openPage } from './support/browser.js';
import { launchGateway } from './support/ready-page.js';
import { LONG_REQUEST, timeInPage } from './support/long-request.js';

/**
 * The browser stops Service Workers whenever it likes (idle ~30 s, memory pressure); a
 * stopped SW loses its globals, its port to the engine host included. Stopped here
 * through the DevTools protocol, the gateway must ask a page for a port again and serve
 * the next request from the same host: the model stays loaded.
 */
const SENTENCE = 'Hello! I am a tiny model running in your browser.';

let browser: Browser;
let context: BrowserContext;
let page: Awaited<ReturnType<typeof openPage>>;
let cdp: CDPSession;
/** The gateway SW's running status, as DevTools reports it, in order. */
const statuses: string[] = [];

beforeAll(async () => {
  ({ browser, context, page } = await launchGateway());
  cdp = await context.newCDPSession(page);
  cdp.on('ServiceWorker.workerVersionUpdated', (event: { versions: Array<{ scriptURL: string; runningStatus: string }> }) => {
    for (const v of event.versions) if (v.scriptURL.includes('/webinfer-sw.js')) statuses.push(v.runningStatus);
  });
  await cdp.send('ServiceWorker.enable');
});
afterAll(async () => {
  await browser?.close();
});

async function stopServiceWorker(): Promise<void> {
  const before = statuses.length;
  await cdp.send('ServiceWorker.stopAllWorkers');
  const t0 = Date.now();
  while (!statuses.slice(before).includes('stopped')) {
    if (Date.now() - t0 > 5000) throw new Error(`the SW did not stop: ${statuses.join(' ')}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** One chat through the SDK (streamed or not) plus the host's and the page's counters. */
function ask(stream: boolean) {
  return page.evaluate(async (stream) => {
    const w = window as any;
    const openai = w.makeOpenAI();
    const messages = [{ role: 'user', content: 'Hi' }];
    let text = '';
    if (stream) {
      for await (const chunk of await openai.chat.completions.create({ model: 'tiny-chat', messages, stream: true })) {
        text += chunk.choices[0]?.delta.content ?? '';
      }
    } else {
      text = (await openai.chat.completions.create({ model: 'tiny-chat', messages })).choices[0].message.content;
    }
    const stats = await w.client.stats();
    return { text, loads: stats.loads, loaded: stats.loaded, portsServed: w.gateway.portsServed };
  }, stream);
}

test('stopped between requests: the next request is served, the model not reloaded', async () => {
  const first = await ask(false);
  expect(first).toMatchObject({ text: SENTENCE, loads: { 'tiny-chat': 1 }, portsServed: 1 });
  expect(statuses.at(-1)).toBe('running');

  await stopServiceWorker();
  const second = await ask(true);
  expect(second.text).toBe(SENTENCE);
  // The restarted SW had no port and asked the page for one...
  expect(second.portsServed).toBe(2);
  expect(statuses.slice(statuses.lastIndexOf('stopped'))).toContain('running');
  // ...from the same engine host, which still had the model.
  expect(second.loads).toEqual({ 'tiny-chat': 1 });
  expect(second.loaded).toEqual(['tiny-chat']);

  await stopServiceWorker();
  const third = await page.evaluate(async () => {
    const w = window as any;
    const out = await w.makeOpenAI().completions.create({ model: 'tiny-chat', prompt: 'I am' });
    return { text: out.choices[0].text, loads: (await w.client.stats()).loads, portsServed: w.gateway.portsServed };
  });
  expect(third).toEqual({ text: ' a tiny model running in your browser.', loads: { 'tiny-chat': 1 }, portsServed: 3 });
  expect(page.errors).toEqual([]);
});

test('stopped in the middle of a stream: that stream breaks, the host stops at once, the next request is served', async () => {
  const fullMs = await timeInPage(page);

  await page.evaluate((long) => {
    const w = window as any;
    w.streamed = 0;
    w.interrupted = (async () => {
      try {
        const stream = await w.makeOpenAI().chat.completions.create({ ...long, stream: true });
        for await (const _chunk of stream) w.streamed++;
        return { chunks: w.streamed, error: null };
      } catch (e) {
        return { chunks: w.streamed, error: w.describeError(e) };
      }
    })();
  }, LONG_REQUEST);
  await page.waitForFunction(() => (window as any).streamed > 20);
  await stopServiceWorker();
  // Nobody reads that stream any more: the host learns it through the SW's lifeline lock
  // (no MessagePort close event exists to tell it) and frees the queue.
  const idleMs = await page.evaluate(() => (window as any).waitIdle(20_000));
  const interrupted = await page.evaluate(() => (window as any).interrupted);
  expect(interrupted.error).not.toBeNull();
  expect(interrupted.chunks).toBeLessThan(3 * 2000);
  expect(idleMs, `idle ${idleMs} ms after the SW stopped; the whole request takes ${fullMs} ms`).toBeLessThan(Math.min(1000, fullMs / 3));

  const next = await ask(true);
  expect(next.text).toBe(SENTENCE);
  expect(next.loads).toEqual({ 'tiny-chat': 1 });
});

test('a hard reload (which bypasses the SW) is taken back under control by registerGateway', async () => {
  await cdp.send('Page.reload', { ignoreCache: true });
  await page.waitForFunction(() => (window as any).ready);
  expect(await page.evaluate(() => (window as any).setupError ?? null)).toBeNull();
  const out = await page.evaluate(async () => {
    const w = window as any;
    const completion = await w.makeOpenAI().chat.completions.create({ model: 'tiny-chat', messages: [{ role: 'user', content: 'Hi' }] });
    return { controlled: w.gateway.controlled, text: completion.choices[0].message.content };
  });
  expect(out).toEqual({ controlled: true, text: SENTENCE });
});
