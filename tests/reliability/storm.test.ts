import { describe, expect, it } from 'vitest';
import { createGateway } from '../../src/gateway/gateway.js';
import { hostBackend } from '../../src/gateway/port-backend.js';
import { sleep, testHost, until } from '../../src/gateway/test-support.js';
import { createRng } from '../../src/core/rng.js';
import { percentile } from './malformed.js';

/**
 * Aborts through the gateway (Node, the real host and runtime, a scripted engine): a
 * storm of streams aborted at random moments leaves the host idle and answering, and a
 * request aborted while it waits leaves the queue at once.
 */
const ORIGIN = 'http://localhost:5173';
const REPLY = ['All', ' good', '.'];

function setup() {
  const th = testHost([
    { id: 'slow', script: { endless: true, delayMs: 2 } },
    { id: 'm', script: { reply: REPLY } },
  ]);
  const gateway = createGateway({ backend: hostBackend(th.host.api) });
  const post = (body: unknown, init: { signal?: AbortSignal; clientId?: string } = {}) => gateway.handle(
    new Request(`${ORIGIN}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal: init.signal }),
    { clientId: init.clientId },
  );
  return { ...th, post };
}

const slow = { model: 'slow', messages: [{ role: 'user', content: 'go' }], stream: true, max_tokens: 4000 };

describe('abort storm through the gateway', () => {
  it('200 streams aborted at random moments (queued, before the answer, mid-stream): then the host is idle and answers', async () => {
    const { host, log, post } = setup();
    const rng = createRng(7);
    const WAVE = 10;
    let aborted = 0;
    for (let wave = 0; wave < 200 / WAVE; wave++) {
      await Promise.all(Array.from({ length: WAVE }, async (_, i) => {
        const ctrl = new AbortController();
        const at = rng() * 40;
        setTimeout(() => ctrl.abort(), at);
        const res = await post(slow, { signal: ctrl.signal, clientId: `tab-${i % 3}` }).catch(() => null);
        // Past the answer's start: read until the abort lands, then drop the body.
        if (res?.body) {
          const reader = res.body.getReader();
          while (!ctrl.signal.aborted) if ((await reader.read()).done) break;
          await reader.cancel().catch(() => {});
        }
        aborted++;
      }));
    }
    expect(aborted).toBe(200);
    await until(() => log.generations === log.aborted + log.finished, 3000);
    expect((await host.api.stats()).queue).toEqual({ running: false, pending: 0 });
    expect(log.finished).toBe(0);
    expect(log.generations).toBeGreaterThan(20);
    const ok = await post({ model: 'm', messages: [{ role: 'user', content: 'hi' }] });
    expect((await ok.json()).choices[0].message.content).toBe(REPLY.join(''));
    console.log(`[reliability] abort storm (gateway, Node): 200 streams, ${log.generations} reached the engine, all aborted; host idle after`);
  }, 60_000);

  it('requests aborted while they wait leave the queue at once', async () => {
    const { host, post } = setup();
    const running = new AbortController();
    const first = await post(slow, { signal: running.signal });
    expect(first.status).toBe(200);
    const waiting = Array.from({ length: 10 }, (_, i) => {
      const ctrl = new AbortController();
      return { ctrl, res: post(slow, { signal: ctrl.signal, clientId: `tab-${i % 2}` }) };
    });
    await sleep(20);
    expect((await host.api.stats()).queue.pending).toBe(10);
    const t0 = performance.now();
    for (const w of waiting) w.ctrl.abort();
    const times: number[] = [];
    for (;;) {
      if ((await host.api.stats()).queue.pending === 0) break;
      if (performance.now() - t0 > 1000) break;
      await sleep(1);
    }
    times.push(performance.now() - t0);
    expect((await host.api.stats()).queue.pending).toBe(0);
    expect(times[0]).toBeLessThan(200);
    for (const w of waiting) expect((await w.res).status).toBe(499);
    running.abort();
    console.log(`[reliability] queued aborts (gateway, Node): 10 left the queue in ${percentile(times, 50).toFixed(1)} ms`);
  }, 30_000);

  it('a request tagged by its page (the abort bridge) leaves the queue when the page says it was aborted', async () => {
    const th = testHost([{ id: 'slow', script: { endless: true, delayMs: 2 } }]);
    const gateway = createGateway({ backend: hostBackend(th.host.api) });
    const post = (tag?: string) => gateway.handle(new Request(`${ORIGIN}/v1/chat/completions`, {
      method: 'POST', headers: { 'content-type': 'application/json', ...(tag ? { 'x-webinfer-abort-id': tag } : {}) }, body: JSON.stringify(slow),
    }));
    const first = await post();
    const queued = post('page-abort-1');
    await sleep(20);
    expect((await th.host.api.stats()).queue.pending).toBe(1);
    gateway.abort('page-abort-1');
    expect((await queued).status).toBe(499);
    let pending = 1;
    for (let i = 0; i < 100 && pending > 0; i++) { pending = (await th.host.api.stats()).queue.pending; await sleep(2); }
    expect(pending).toBe(0);
    gateway.abort('unknown-id');
    await first.body!.cancel();
  });

  it('the queue bounds are host config (first client wins): one tab past its share gets a 429 with retry-after, another tab still queues', async () => {
    const { host, post } = setup();
    await host.api.configure({ maxQueue: 4, maxQueuePerCaller: 1 });
    await host.api.configure({ maxQueue: 100, maxQueuePerCaller: 100 });
    const first = await post(slow, { clientId: 'tab-a' });
    const queued = post(slow, { clientId: 'tab-a' });
    await sleep(20);
    const over = await post(slow, { clientId: 'tab-a' });
    expect(over.status).toBe(429);
    expect(over.headers.get('retry-after')).toBe('1');
    expect((await over.json()).error).toMatchObject({ type: 'rate_limit_error', code: 'queue_full' });
    const other = post(slow, { clientId: 'tab-b' });
    await sleep(20);
    expect((await host.api.stats()).queue.pending).toBe(2);
    await expect(host.api.configure({ maxQueue: 0 })).resolves.toBeUndefined(); // already set: ignored
    // tab-a just ran: tab-b's request goes before tab-a's second.
    await first.body!.cancel();
    await (await other).body!.cancel();
    await (await queued).body!.cancel();
  });
});
