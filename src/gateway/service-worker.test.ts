import * as Comlink from 'comlink';
import { describe, expect, it } from 'vitest';
import type { HostApi } from '../protocol/rpc.js';
import { createGateway } from './gateway.js';
import { PORT_REQUEST, type PortRequest } from './messages.js';
import { PagePortSource, type PortAsker } from './service-worker.js';
import { parseSse, sleep, testHost, until, type ScriptOptions } from './test-support.js';

/**
 * The SW's side in Node: real ports (MessageChannel), real Comlink, a real engine host.
 * A "page" answers port requests the way registerGateway does: a fresh port served by
 * the host (`host.serve`, which is what `client.createPort()` ends in).
 */
const ORIGIN = 'http://localhost:5173';

function world(script: ScriptOptions = { reply: ['Hi', '!'] }) {
  const { host, log } = testHost([{ id: 'm', script }]);
  let source!: PagePortSource;
  /** The host stops answering calls (as if its worker was gone; streams keep flowing here). */
  let hostDead = false;
  const api: HostApi = new Proxy(host.api, {
    get: (target, prop: keyof HostApi) => (...args: unknown[]) =>
      hostDead ? new Promise(() => {}) : (target[prop] as (...a: unknown[]) => unknown)(...args),
  });
  const watchers = new Map<string, () => void>();
  const pages: Array<PortAsker & { answered: number; served: MessagePort[]; closed: number; lock: string; close(): void }> = [];
  /** answers: true = at once; false = never (no registerGateway); or a slow/failing connect. */
  const openPage = (answers: boolean | { connectMs: number; fail?: string } = true) => {
    const page = {
      answered: 0,
      served: [] as MessagePort[],
      closed: 0,
      lock: `page-${pages.length}`,
      postMessage(message: PortRequest) {
        expect(message.type).toBe(PORT_REQUEST);
        if (!answers) return;
        if (typeof answers === 'object') {
          // registerGateway's way: "connecting" at once, then the port (or a failure).
          setTimeout(() => source.connecting(message.id), 1);
          if (answers.fail) {
            setTimeout(() => source.failed(message.id, answers.fail!), answers.connectMs);
            return;
          }
        }
        const delay = typeof answers === 'object' ? answers.connectMs : 1;
        const { port1, port2 } = new MessageChannel();
        Comlink.expose(api, port2);
        page.served.push(port2);
        port2.addEventListener('close', () => page.closed++);
        page.answered++;
        // The answer arrives asynchronously, as a postMessage would.
        setTimeout(() => source.accept(message.id, port1, page.lock), delay);
      },
      /** The tab closes: it stops answering, and its lock is released. */
      close() {
        pages.splice(pages.indexOf(page), 1);
        watchers.get(page.lock)?.();
      },
    };
    pages.push(page);
    return page;
  };
  /** A fresh SW global scope (the browser stopped and restarted the SW). */
  const startSw = (timeoutMs = 200, connectTimeoutMs = 1000) => {
    source = new PagePortSource({
      findPages: async () => [...pages],
      timeoutMs,
      connectTimeoutMs,
      pingTimeoutMs: 50,
      watchPage: (lock, onGone) => watchers.set(lock, onGone),
    });
    return { source, gateway: createGateway({ backend: source, callTimeoutMs: 500 }) };
  };
  return { host, log, pages, openPage, startSw, killHost: () => { hostDead = true; } };
}

const chat = (gateway: ReturnType<typeof createGateway>) =>
  gateway.handle(new Request(`${ORIGIN}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'hi' }] }),
  }));

describe('SW gateway over a port from a page', () => {
  it('asks a page once, then reuses the port', async () => {
    const w = world();
    const page = w.openPage();
    const { gateway, source } = w.startSw();
    for (let i = 0; i < 3; i++) {
      const res = await chat(gateway);
      expect(res.status).toBe(200);
      expect((await res.json()).choices[0].message.content).toBe('Hi!');
    }
    expect(source.asked).toBe(1);
    expect(page.answered).toBe(1);
  });

  it('typed host errors cross the port with their status', async () => {
    const w = world();
    w.openPage();
    const { gateway } = w.startSw();
    const res = await gateway.handle(new Request(`${ORIGIN}/v1/models/ghost`));
    expect(res.status).toBe(404);
    expect((await res.json()).error.code).toBe('model_not_found');
  });

  it('streams SSE through the transferred stream', async () => {
    const w = world();
    w.openPage();
    const { gateway } = w.startSw();
    const res = await gateway.handle(new Request(`${ORIGIN}/v1/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'm', prompt: 'x', stream: true }),
    }));
    const text = await res.text();
    expect(text.endsWith('data: [DONE]\n\n')).toBe(true);
    expect(text).toContain('"text":"Hi"');
  });

  it('a restarted SW (fresh globals) asks again; the host keeps the model loaded', async () => {
    const w = world();
    const page = w.openPage();
    expect((await chat(w.startSw().gateway)).status).toBe(200);
    const { gateway, source } = w.startSw();
    expect((await chat(gateway)).status).toBe(200);
    expect(source.asked).toBe(1);
    expect(page.answered).toBe(2);
    expect(w.log.loads).toBe(1);
    expect((await w.host.api.stats()).loads).toEqual({ m: 1 });
  });

  it('when the host end of the port closes, the next request gets a new port', async () => {
    const w = world();
    const page = w.openPage();
    const { gateway, source } = w.startSw();
    expect((await chat(gateway)).status).toBe(200);
    page.served[0]!.close();
    // The close event crosses to the SW's end of the port; on a loaded machine that takes a while.
    await until(() => (source as unknown as { backend: { lost: AbortSignal } | null }).backend?.lost.aborted !== false);
    expect((await chat(gateway)).status).toBe(200);
    expect(source.asked).toBe(2);
  });

  it('the page behind the port closes, its host lives on: new requests ask another page, a running stream goes on', async () => {
    const w = world({ reply: ['a', 'b'], endless: true, delayMs: 2 });
    const a = w.openPage();
    const b = w.openPage();
    const { gateway, source } = w.startSw();
    const res = await gateway.handle(new Request(`${ORIGIN}/v1/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'm', prompt: 'x', stream: true, max_tokens: 60 }),
    }));
    const winner = a.answered ? a : b;
    winner.close();
    await sleep(20);
    const frames = parseSse(await res.text());
    expect(frames.at(-1)).toBe('[DONE]');
    expect(frames).toHaveLength(60 + 2);
    expect((await chat(gateway)).status).toBe(200);
    expect(source.asked).toBe(2);
    // The retired port was released.
    expect(winner.closed).toBe(1);
  });

  it('the page behind the port closes and its host does not answer: the running stream ends with a 503 frame', async () => {
    const w = world({ reply: ['a'], endless: true, delayMs: 2 });
    const page = w.openPage();
    const { gateway } = w.startSw();
    const res = await gateway.handle(new Request(`${ORIGIN}/v1/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'm', prompt: 'x', stream: true, max_tokens: 2000 }),
    }));
    w.killHost();
    page.close();
    const frames = parseSse(await res.text());
    const last = JSON.parse(frames.at(-1)!);
    expect(last.error).toMatchObject({ code: 'engine_unavailable', message: expect.stringMatching(/went away.*Open a page/) });
    // No page left: 503 at once.
    expect((await chat(gateway)).status).toBe(503);
  });

  it('several pages: the first answer wins, the other ports are released', async () => {
    const w = world();
    const a = w.openPage();
    const b = w.openPage();
    const { gateway, source } = w.startSw();
    expect((await chat(gateway)).status).toBe(200);
    expect(source.asked).toBe(1);
    expect(a.answered + b.answered).toBe(2);
    await sleep(300);
    // The loser's port is released (closed); the winner's still serves.
    expect(a.closed + b.closed).toBe(1);
    expect((await chat(gateway)).status).toBe(200);
    expect(source.asked).toBe(1);
  });

  it('no page open: 503 at once, saying to open a page', async () => {
    const w = world();
    const { gateway } = w.startSw(5000);
    const started = Date.now();
    const res = await chat(gateway);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(res.status).toBe(503);
    const err = (await res.json()).error;
    expect(err.code).toBe('engine_unavailable');
    expect(err.message).toMatch(/No page of this app is open.*Open a page of this app/);
  });

  it('pages that do not answer: 503 after the port timeout, then recovers when one does', async () => {
    const w = world();
    w.openPage(false);
    const { gateway, source } = w.startSw(100);
    const res = await chat(gateway);
    expect(res.status).toBe(503);
    expect((await res.json()).error.message).toMatch(/within 100 ms/);
    w.openPage(true);
    expect((await chat(gateway)).status).toBe(200);
    expect(source.asked).toBe(2);
  });

  it('a page whose engine host is still starting says so, and gets longer than the port timeout', async () => {
    const w = world();
    w.openPage({ connectMs: 300 });
    const { gateway } = w.startSw(100, 1000);
    const res = await chat(gateway);
    expect(res.status).toBe(200);
  });

  it('a connecting page that never delivers: 503 after the connect timeout', async () => {
    const w = world();
    w.openPage({ connectMs: 10_000 });
    const { gateway } = w.startSw(50, 200);
    const started = Date.now();
    const res = await chat(gateway);
    expect(res.status).toBe(503);
    expect((await res.json()).error.message).toMatch(/did not start within 200 ms/);
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
  });

  it('a page that cannot connect: 503 at once with its reason', async () => {
    const w = world();
    w.openPage({ connectMs: 5, fail: 'SharedWorker script failed to load' });
    const { gateway } = w.startSw(1000, 5000);
    const started = Date.now();
    const res = await chat(gateway);
    expect(Date.now() - started).toBeLessThan(500);
    expect(res.status).toBe(503);
    expect((await res.json()).error.message).toMatch(/could not connect.*SharedWorker script failed to load.*Open a page/);
  });
});
