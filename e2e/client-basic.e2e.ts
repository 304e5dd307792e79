import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { DEVICES, launch, openPage } from './support/browser.js';

const SENTENCE = 'Hello! I am a tiny model running in your browser.';
let browser: Browser;

beforeAll(async () => { browser = await launch(); });
afterAll(async () => { await browser?.close(); });

describe.each(DEVICES)('in-page client on %s', (device) => {
  test('loads the tiny model and answers with the known sentence', async () => {
    const page = await openPage(browser, `/e2e/pages/client.html?device=${device}&shared=0`);
    await page.waitForFunction(() => (window as any).ready);
    const result = await page.evaluate(async (device) => {
      const client = (window as any).client;
      const info = await client.models.load('tiny-chat', { device });
      const completion = await client.chat.completions.create({
        model: 'tiny-chat',
        messages: [{ role: 'user', content: 'Hi' }],
      });
      return { info, completion };
    }, device);
    expect(result.info.device).toBe(device);
    expect(result.completion.choices[0].message.content).toBe(SENTENCE);
    expect(result.completion.choices[0].finish_reason).toBe('stop');
    expect(page.errors).toEqual([]);
  });
});
