import type { Browser, BrowserContext } from 'playwright-core';
import { expect } from 'vitest';
import { launch, openPage } from './browser.js';

type ReadyPage = Awaited<ReturnType<typeof openPage>>;

/**
 * Opens a test page that reports its setup as `window.ready` / `window.setupError`
 * (e2e/pages/page-setup.ts), waits for it, and asserts the setup succeeded.
 */
export async function openReadyPage(target: Browser | BrowserContext, path: string, wait: { timeout?: number } = {}): Promise<ReadyPage> {
  const page = await openPage(target, path);
  await page.waitForFunction(() => (window as any).ready, null, wait);
  expect(await page.evaluate(() => (window as any).setupError ?? null)).toBeNull();
  return page;
}

/** The gateway test page (e2e/pages/gateway-page.ts, whose query string is documented there), set up. */
export function openGatewayPage(target: Browser | BrowserContext, query = '', wait: { timeout?: number } = {}): Promise<ReadyPage> {
  return openReadyPage(target, `/e2e/pages/gateway.html${query}`, wait);
}

/** A new context of `browser` with the gateway page open and set up (tiny-chat preloaded on WASM by default). */
export async function openGatewayContext(browser: Browser, query = '?device=wasm', wait: { timeout?: number } = {}) {
  const context = await browser.newContext();
  const page = await openGatewayPage(context, query, wait);
  return { context, page };
}

/** A fresh browser, and a context of it with the gateway page open and set up (see openGatewayContext). */
export async function launchGateway(query = '?device=wasm', wait: { timeout?: number } = {}) {
  const browser = await launch();
  return { browser, ...(await openGatewayContext(browser, query, wait)) };
}

/**
 * The multimodal test page (e2e/pages/multimodal-page.ts) on `device`, set up, with `model`
 * loaded there; returns the page and what the load reported.
 */
export async function openMultimodal(browser: Browser, device: string, model: string) {
  const page = await openReadyPage(browser, `/e2e/pages/multimodal.html?device=${device}`);
  const info = await page.evaluate(([m, d]) => (window as any).client.models.load(m, { device: d }), [model, device] as const);
  return { page, info };
}
