import { readFileSync, statSync } from 'node:fs';
import type { Browser } from 'playwright-core';
import { build } from 'vite';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { launch, openPage } from './support/browser.js';

/**
 * What an app ships: `worker/sw.ts` bundled into one self-contained file (no imports,
 * no transformers.js), registered as a classic SW from another folder with scope `/`
 * (the server sends `Service-Worker-Allowed: /`). The SDK goes through it as in dev.
 */
const SENTENCE = 'Hello! I am a tiny model running in your browser.';
const OUT_DIR = 'test-results/gateway-sw';

let browser: Browser;
beforeAll(async () => {
  // The package's own SW build, written elsewhere so a test run never touches dist/.
  await build({ configFile: 'vite.sw.config.ts', logLevel: 'warn', build: { outDir: OUT_DIR } });
  browser = await launch();
}, 120_000);
afterAll(async () => { await browser?.close(); });

test('the bundled SW file is self-contained and small', () => {
  const code = readFileSync(`${OUT_DIR}/webinfer-sw.js`, 'utf8');
  expect(code).not.toMatch(/(^|[;}\s])import\s*[\w{*"'(]/);
  expect(code).not.toMatch(/(^|[;}\s])export\s*[{*]/);
  expect(code).not.toMatch(/onnxruntime|@huggingface|transformers\.js/);
  expect(statSync(`${OUT_DIR}/webinfer-sw.js`).size).toBeLessThan(40_000);
});

test('registered as a classic SW from another folder with scope /, it serves the SDK', async () => {
  const context = await browser.newContext();
  const page = await openPage(context, `/e2e/pages/gateway.html?device=wasm&swType=classic&sw=/${OUT_DIR}/webinfer-sw.js`);
  await page.waitForFunction(() => (window as any).ready);
  expect(await page.evaluate(() => (window as any).setupError ?? null)).toBeNull();
  const out = await page.evaluate(async () => {
    const w = window as any;
    const openai = w.makeOpenAI();
    let streamed = '';
    for await (const chunk of await openai.chat.completions.create({ model: 'tiny-chat', messages: [{ role: 'user', content: 'Hi' }], stream: true })) {
      streamed += chunk.choices[0]?.delta.content ?? '';
    }
    const legacy = await openai.completions.create({ model: 'tiny-chat', prompt: 'I am' });
    return {
      controller: navigator.serviceWorker.controller?.scriptURL,
      scope: w.gateway.registration.scope,
      streamed,
      legacy: legacy.choices[0].text,
    };
  });
  expect(out.controller).toContain(`/${OUT_DIR}/webinfer-sw.js?base=%2Fv1`);
  expect(new URL(out.scope).pathname).toBe('/');
  expect(out.streamed).toBe(SENTENCE);
  expect(out.legacy).toBe(' a tiny model running in your browser.');
  expect(page.errors).toEqual([]);
  await context.close();
});
