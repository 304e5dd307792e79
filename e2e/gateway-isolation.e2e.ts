import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { launch, openPage } from './support/browser.js';

/**
 * `registerGateway({ isolate: true })`: the Service Worker serves the app's documents and
 * worker scripts with COOP/COEP, so from the next load on the page is cross-origin isolated
 * without any server header, and its dedicated-worker host runs onnxruntime-web with
 * threads (its pool workers appear next to the host). /v1 keeps working.
 */
let browser: Browser;
beforeAll(async () => { browser = await launch(); });
afterAll(async () => { await browser?.close(); });

test('the gateway SW makes the page cross-origin isolated and WASM runs with threads', async () => {
  const page = await openPage(browser, '/e2e/pages/isolation.html');
  await page.waitForFunction(() => (window as any).ready);
  // The first visit is not served by the SW yet.
  expect(await page.evaluate(() => crossOriginIsolated)).toBe(false);
  await page.reload();
  await page.waitForFunction(() => (window as any).ready);
  expect(await page.evaluate(() => [crossOriginIsolated, (window as any).gateway.isolated])).toEqual([true, true]);
  const before = page.workers().length;
  const out = await page.evaluate(async () => {
    const w = window as any;
    await w.client.models.load('tiny-chat', { device: 'wasm' });
    const c = await w.client.chat.completions.create({ model: 'tiny-chat', messages: [{ role: 'user', content: 'Hi' }], temperature: 0 });
    const http = await fetch('/v1/models').then((r) => r.status);
    return { text: c.choices[0].message.content, http, cores: navigator.hardwareConcurrency };
  });
  expect(out.text).toBe('Hello! I am a tiny model running in your browser.');
  expect(out.http).toBe(200);
  // onnxruntime-web's thread pool: one worker per extra thread (all cores by default).
  if (out.cores > 1) expect(page.workers().length).toBeGreaterThan(before);
  expect(page.errors).toEqual([]);
});
