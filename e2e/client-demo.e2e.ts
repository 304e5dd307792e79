import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { DEVICES, launch, openPage, type Device } from './support/browser.js';

/**
 * The playground at /demo/: load the embedded tiny model with a visible progress bar,
 * chat, watch the answer stream into the conversation token by token, stop a generation.
 * (The rest of the playground: playground.e2e.ts, on WASM.)
 */

const SENTENCE = 'Hello! I am a tiny model running in your browser.';
const SCREENSHOT = process.env.DEMO_SCREENSHOT ?? '/tmp/demo.png';

let browser: Browser;
beforeAll(async () => { browser = await launch(); });
afterAll(async () => { await browser?.close(); });

/** Records every value the progress bar and every text the newest assistant bubble shows. */
function watchPage(): void {
  const w = window as any;
  w.seen = { progress: [] as Array<{ value: number; max: number }>, bubbles: [] as string[] };
  const bar = document.getElementById('load-progress') as HTMLProgressElement;
  new MutationObserver(() => w.seen.progress.push({ value: bar.value, max: bar.max }))
    .observe(bar, { attributes: true, attributeFilter: ['value', 'max'] });
  const transcript = document.getElementById('messages')!;
  new MutationObserver(() => {
    const text = transcript.querySelector('.turn.streaming .answer-text')?.textContent ?? null;
    if (text !== null && text !== w.seen.bubbles.at(-1)) w.seen.bubbles.push(text);
  }).observe(transcript, { childList: true, characterData: true, subtree: true });
}

describe.each(DEVICES)('demo playground on %s', (device: Device) => {
  test('loads the tiny model with a progress bar, streams the known sentence token by token, stops on demand', async () => {
    const page = await openPage(browser, '/demo/');
    await page.setViewportSize({ width: 1100, height: 760 });
    await page.waitForSelector('#load:not([disabled])');
    expect(await page.inputValue('#model')).toBe('tiny-chat');
    expect(await page.isDisabled('#send')).toBe(true);
    await page.evaluate(watchPage);

    // Load: the bar moves through byte counts to full, the status says ready.
    await page.selectOption('#device', device);
    await page.click('#load');
    await page.waitForFunction(() => document.getElementById('status')!.dataset.kind === 'ready', null, { timeout: 30_000 });
    expect(await page.textContent('#status')).toMatch(new RegExp(`^Ready: tiny-chat on ${device}`));
    const bar = await page.$eval('#load-progress', (el) => ({ value: (el as HTMLProgressElement).value, max: (el as HTMLProgressElement).max }));
    expect(bar.max).toBeGreaterThan(400_000); // bytes of the model's files
    expect(bar.value).toBe(bar.max);
    const progress: Array<{ value: number; max: number }> = await page.evaluate(() => (window as any).seen.progress);
    // It advanced in steps (one per progress event: bytes of each file as it arrives).
    const values = progress.map((p) => p.value).filter((v, i, all) => v !== all[i - 1]);
    expect(values.length, JSON.stringify(progress)).toBeGreaterThanOrEqual(4);
    values.forEach((v, i) => i && expect(v).toBeGreaterThan(values[i - 1]!));
    expect(values.at(-1)).toBe(bar.max);

    // Chat: the answer grows chunk by chunk and ends with the exact sentence.
    await page.fill('#prompt', 'Hi');
    await page.click('#send');
    await page.waitForFunction(() => document.querySelector('#messages .turn.assistant:not(.streaming) .figures-text')?.textContent?.includes('finish'));
    expect(await page.inputValue('#messages .turn.user textarea')).toBe('Hi');
    const bubbles: string[] = await page.evaluate(() => (window as any).seen.bubbles);
    const growing = bubbles.filter((t) => t !== '');
    expect(growing.at(-1)).toBe(SENTENCE);
    expect(growing.length, JSON.stringify(growing)).toBeGreaterThanOrEqual(5);
    growing.forEach((t, i) => {
      if (i === 0) return;
      expect(t.length).toBeGreaterThan(growing[i - 1]!.length);
      expect(t.startsWith(growing[i - 1]!)).toBe(true);
    });
    expect(await page.inputValue('#messages .turn.assistant textarea')).toBe(SENTENCE);
    expect(await page.textContent('#messages .turn.assistant .figures-text')).toMatch(/ \+ 13 completion tokens · finish: stop$/);
    expect(await page.isDisabled('#send')).toBe(false);
    expect(await page.isDisabled('#stop')).toBe(true);

    if (device === 'webgpu') await page.screenshot({ path: SCREENSHOT });

    // Stop: a long answer (EOS ignored, 2000 tokens), stopped after a few tokens, says so.
    await page.fill('#temperature-a', '1');
    await page.fill('#max-tokens-a', '2000');
    await page.fill('#seed-a', '5');
    await page.check('#ignore-eos-a');
    await page.fill('#prompt', 'Tell me more');
    // Stop is clicked from inside the page as soon as the first text shows: on a loaded
    // machine Playwright's own click (its actionability checks against a page busy
    // streaming) can land seconds later, after all 2000 tokens.
    const armed = page.evaluate(() => new Promise<{ shown: number; enabled: boolean }>((resolve) => {
      const transcript = document.getElementById('messages')!;
      const observer = new MutationObserver(() => {
        const shown = document.querySelector('#messages .turn.streaming .answer-text')?.textContent?.length ?? 0;
        if (shown === 0) return;
        observer.disconnect();
        const stop = document.getElementById('stop') as HTMLButtonElement;
        const enabled = !stop.disabled;
        stop.click();
        resolve({ shown, enabled });
      });
      observer.observe(transcript, { childList: true, characterData: true, subtree: true });
    }));
    await page.click('#send');
    const atStop = await armed;
    expect(atStop.enabled).toBe(true);
    await page.waitForFunction(() => document.getElementById('chat-status')!.textContent === 'Stopped.');
    expect(await page.isDisabled('#send')).toBe(false);

    // What was shown is kept as the answer.
    const stopped = await page.$$eval('#messages .turn.assistant textarea', (els) => (els[1] as HTMLTextAreaElement).value);
    expect(stopped.length).toBeGreaterThanOrEqual(atStop.shown);
    expect(stopped.length).toBeLessThan(2000); // far from 2000 tokens (~8000 characters): it really stopped

    // Then the chat goes on, greedy again, with the whole conversation as context.
    await page.fill('#temperature-a', '0');
    await page.uncheck('#ignore-eos-a');
    await page.fill('#max-tokens-a', '64');
    await page.fill('#prompt', 'Hi again');
    await page.press('#prompt', 'Enter');
    await page.waitForFunction(() => document.querySelectorAll('#messages .turn.assistant:not(.streaming) .figures-text')[2]?.textContent?.includes('finish'));
    expect(await page.$$eval('#messages .turn.assistant textarea', (els) => (els[2] as HTMLTextAreaElement).value)).toBe(SENTENCE);

    expect(page.errors).toEqual([]);
    await page.close();
  });
});
