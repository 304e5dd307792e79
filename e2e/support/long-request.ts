import type { Page } from 'playwright-core';

/** A request long enough that "ran to the end anyway" and "stopped at once" cannot be confused. */
export const LONG_REQUEST = { model: 'tiny-chat', messages: [{ role: 'user', content: 'Hi' }], max_tokens: 2000, ignore_eos: true, n: 3 };

/** How long the page's in-page client (`window.client`) takes to answer `body` in full. */
export function timeInPage(page: Page, body: object = LONG_REQUEST): Promise<number> {
  return page.evaluate(async (b) => {
    const t0 = performance.now();
    await (window as any).client.chat.completions.create(b);
    return performance.now() - t0;
  }, body);
}
