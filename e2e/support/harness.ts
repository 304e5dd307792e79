import type { Browser, Page } from 'playwright-core';
import { expect } from 'vitest';
import { openPage, type Device } from './browser.js';

/**
 * The client harness page (e2e/pages/client-harness.html) on one device, with a
 * dedicated-worker host and `tiny-chat` already loaded there.
 */
export async function openHarness(browser: Browser, device: Device): Promise<Page & { errors: string[] }> {
  const page = await openPage(browser, `/e2e/pages/client-harness.html?device=${device}&shared=0`);
  await page.waitForFunction(() => (window as any).ready);
  const loaded = await page.evaluate((d) => (window as any).harness.load('tiny-chat', { device: d }), device);
  expect(loaded.info.device).toBe(device);
  return page;
}
