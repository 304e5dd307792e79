import { describe, expect, it } from 'vitest';
import { createGateway } from './gateway.js';
import { PORT_REQUEST, type PortRequest } from './messages.js';
import { PagePortSource, type PortAsker } from './service-worker.js';
import { sleep, testHost } from './test-support.js';

/**
 * The SW's side in Node: real ports (MessageChannel), real Comlink, a real engine host.
 * A "page" answers port requests the way registerGateway does: a fresh port served by
 * the host (`host.serve`, which is what `client.createPort()` ends in).
 */
const ORIGIN = 'http://localhost:5173';

function world() {
  const { host, log } = testHost([{ id: 'm', script: { reply: ['Hi', '!'] } }]);
  let source!: PagePortSource;
  const pages: Array<PortAsker & { answered: number; served: MessagePort[]; closed: number }> = [];
  const openPage = (answers = true) => {
    const page = {
      answered: 0,
      served: [] as MessagePort[],
      closed: 0,
      postMessage(message: PortRequest) {
        expect(message.type).toBe(PORT_REQUEST);
        if (!answers) return;
        const { port1, port2 } = new MessageChannel();
        host.serve(port2);
        page.served.push(port2);
        port2.addEventListener('close', () => page.closed++);
        page.answered++;
        // The answer arrives asynchronously, as a postMessage would.
        setTimeout(() => source.accept(message.id, port1), 1);
      },
    };
    pages.push(page);
    return page;
  };
  /** A fresh SW global scope (the browser stopped and restarted the SW). */
  const startSw = (timeoutMs = 200) => {
    source = new PagePortSource(async () => [...pages], timeoutMs);
    return { source, gateway: createGateway({ backend: source, callTimeoutMs: 500 }) };
  };
  return { host, log, pages, openPage, startSw };
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
    await sleep(20);
    expect((await chat(gateway)).status).toBe(200);
    expect(source.asked).toBe(2);
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
});
