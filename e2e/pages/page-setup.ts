/**
 * What the gateway test pages share: the tiny model's registration, waiting for the
 * engine host to be idle, describing a thrown error as plain data, and reporting setup
 * as `window.ready` / `window.setupError`.
 */
import type { WebInfer } from '../../src/client/index.js';

export const TINY_CHAT = { id: 'tiny-chat', baseUrl: '/models/tiny-chat/', contextLength: 2048 };

/** Resolves once the engine host has nothing running or waiting; returns how long it took. */
export async function waitIdle(client: Pick<WebInfer, 'stats'>, timeoutMs = 10_000): Promise<number> {
  const t0 = performance.now();
  for (;;) {
    const { queue } = await client.stats();
    if (!queue.running && queue.pending === 0) return performance.now() - t0;
    if (performance.now() - t0 > timeoutMs) throw new Error(`host still busy after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Everything a test may assert about a thrown value (openai SDK or webinfer error), as plain data. */
export function describeError(e: any) {
  return {
    name: e?.constructor?.name ?? e?.name ?? null,
    message: e?.message ?? String(e),
    status: e?.status ?? null,
    type: e?.type ?? e?.error?.type ?? null,
    param: e?.param ?? null,
    code: e?.code ?? null,
  };
}

/** Runs the page's setup; the test waits for `window.ready`, then checks `window.setupError`. */
export function reportSetup(setup: () => Promise<void>): void {
  const w = window as unknown as Record<string, unknown>;
  setup().then(
    () => { w.ready = true; },
    (err: unknown) => { w.setupError = String((err as Error)?.stack ?? err); w.ready = true; },
  );
}
