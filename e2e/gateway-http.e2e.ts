import type { Browser, BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { launch, type openPage } from './support/browser.js';
import { openGatewayContext, openGatewayPage } from './support/ready-page.js';

/**
 * Plain `fetch` against the Service Worker gateway: every status code it answers, its
 * headers, and the exact SSE framing. The tiny model on WASM behind it.
 */
const SENTENCE = 'Hello! I am a tiny model running in your browser.';

type Page = Awaited<ReturnType<typeof openPage>>;
let browser: Browser;

beforeAll(async () => { browser = await launch(); });
afterAll(async () => { await browser?.close(); });

interface Raw {
  status: number;
  headers: Record<string, string>;
  text: string;
  json: any;
  ms: number;
}

/** One fetch from the page, everything about the response as plain data. */
function raw(page: Page, path: string, init: RequestInit & { json?: unknown } = {}): Promise<Raw> {
  return page.evaluate(async ({ path, init }) => {
    const { json, ...rest } = init as RequestInit & { json?: unknown };
    const headers = new Headers(rest.headers);
    if (json !== undefined && !headers.has('content-type')) headers.set('content-type', 'application/json');
    const t0 = performance.now();
    const res = await fetch(path, {
      method: json !== undefined ? 'POST' : 'GET',
      ...rest,
      headers,
      ...(json !== undefined ? { body: JSON.stringify(json) } : {}),
    });
    const text = await res.text();
    let parsed = null;
    try { parsed = JSON.parse(text); } catch { /* not JSON */ }
    return { status: res.status, headers: Object.fromEntries(res.headers), text, json: parsed, ms: performance.now() - t0 };
  }, { path, init });
}

const chat = (extra: Record<string, unknown> = {}) => ({ model: 'tiny-chat', messages: [{ role: 'user', content: 'Hi' }], ...extra });

/** The envelope exactly: {error:{message,type,param,code}} as JSON with the gateway's headers. */
function envelope(res: Raw) {
  expect(res.headers['content-type']).toBe('application/json');
  expect(res.headers['cache-control']).toBe('no-store');
  expect(res.headers['x-request-id']).toMatch(/^req_[0-9a-f]{32}$/);
  expect(res.text).not.toMatch(/<!doctype|<html/i);
  expect(Object.keys(res.json)).toEqual(['error']);
  expect(Object.keys(res.json.error).sort()).toEqual(['code', 'message', 'param', 'type']);
  return res.json.error as { message: string; type: string; param: string | null; code: string | null };
}

/** Splits an SSE body into its data payloads, failing on anything but `data: ...\n\n` frames. */
function frames(text: string): string[] {
  expect(text.endsWith('\n\n')).toBe(true);
  const out = text.slice(0, -2).split('\n\n');
  for (const f of out) expect(f).toMatch(/^data: [^\n]+$/);
  return out.map((f) => f.slice(6));
}

describe('gateway over fetch: a default registration', () => {
  let context: BrowserContext;
  let page: Page;
  beforeAll(async () => {
    ({ context, page } = await openGatewayContext(browser, '?device=wasm'));
  });
  afterAll(async () => { await context?.close(); });

  test('200 JSON with content-type, cache-control: no-store and x-request-id (echoed or generated)', async () => {
    const list = await raw(page, '/v1/models');
    expect(list.status).toBe(200);
    expect(list.headers['content-type']).toBe('application/json');
    expect(list.headers['cache-control']).toBe('no-store');
    expect(list.headers['x-request-id']).toMatch(/^req_[0-9a-f]{32}$/);
    expect(list.json.data.map((m: any) => m.id)).toContain('tiny-chat');
    const echoed = await raw(page, '/v1/models/tiny-chat', { headers: { 'x-request-id': 'trace-42' } });
    expect(echoed.headers['x-request-id']).toBe('trace-42');
    expect(echoed.json).toMatchObject({ id: 'tiny-chat', loaded: true });
  });

  test('chat SSE framing: data frames, one JSON chunk each, [DONE] last, text/event-stream', async () => {
    const res = await raw(page, '/v1/chat/completions', { json: chat({ stream: true, stream_options: { include_usage: true } }) });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/event-stream(;|$)/);
    expect(res.headers['cache-control']).toBe('no-store');
    const data = frames(res.text);
    expect(data.at(-1)).toBe('[DONE]');
    expect(data.filter((d) => d === '[DONE]')).toHaveLength(1);
    const chunks = data.slice(0, -1).map((d) => JSON.parse(d));
    expect(chunks.every((c) => c.object === 'chat.completion.chunk')).toBe(true);
    expect(chunks.map((c) => c.choices[0]?.delta.content ?? '').join('')).toBe(SENTENCE);
    expect(chunks.at(-1)).toMatchObject({ choices: [], usage: { prompt_tokens: 9, completion_tokens: 13 } });
  });

  test('legacy completions SSE framing', async () => {
    const res = await raw(page, '/v1/completions', { json: { model: 'tiny-chat', prompt: 'I can run in', stream: true } });
    expect(res.headers['content-type']).toMatch(/^text\/event-stream/);
    const data = frames(res.text);
    expect(data.at(-1)).toBe('[DONE]');
    const chunks = data.slice(0, -1).map((d) => JSON.parse(d));
    expect(chunks.every((c) => c.object === 'text_completion')).toBe(true);
    expect(chunks.map((c) => c.choices[0].text).join('')).toBe(' your browser.');
    expect(chunks.at(-1).choices[0].finish_reason).toBe('stop');
  });

  test('400: validation names the param; bad JSON', async () => {
    const missing = await raw(page, '/v1/chat/completions', { json: { model: 'tiny-chat' } });
    expect(missing.status).toBe(400);
    expect(envelope(missing)).toMatchObject({ type: 'invalid_request_error', param: 'messages', code: 'missing_required_parameter' });
    const temp = await raw(page, '/v1/chat/completions', { json: chat({ temperature: 5 }) });
    expect(temp.status).toBe(400);
    expect(envelope(temp).param).toBe('temperature');
    const suffix = await raw(page, '/v1/completions', { json: { model: 'tiny-chat', prompt: 'x', suffix: 'y' } });
    expect(suffix.status).toBe(400);
    expect(envelope(suffix).param).toBe('suffix');
    const bad = await raw(page, '/v1/chat/completions', { method: 'POST', body: '{"model": "tiny-chat",', headers: { 'content-type': 'application/json' } });
    expect(bad.status).toBe(400);
    expect(envelope(bad)).toMatchObject({ code: 'invalid_json' });
  });

  test('404: unknown model; unknown /v1 routes are JSON, not the app; other paths pass through', async () => {
    const model = await raw(page, '/v1/chat/completions', { json: chat({ model: 'ghost' }) });
    expect(model.status).toBe(404);
    expect(envelope(model)).toMatchObject({ param: 'model', code: 'model_not_found' });
    for (const path of ['/v1/nope', '/v1', '/v1/models/ghost', '/v1/chat/completions/x']) {
      const res = await raw(page, path);
      expect(res.status, path).toBe(404);
      envelope(res);
    }
    // Outside the base path the SW does not answer: the dev server does (HTML here).
    const app = await raw(page, '/e2e/pages/gateway.html');
    expect(app.status).toBe(200);
    expect(app.headers['content-type']).toMatch(/text\/html/);
    expect(app.headers['x-request-id']).toBeUndefined();
    const near = await raw(page, '/v1x/models');
    expect(near.headers['x-request-id']).toBeUndefined();
  });

  test('405 with Allow', async () => {
    const get = await raw(page, '/v1/chat/completions');
    expect(get.status).toBe(405);
    expect(get.headers.allow).toBe('POST');
    expect(envelope(get).code).toBe('method_not_allowed');
    const del = await raw(page, '/v1/models/tiny-chat', { method: 'DELETE' });
    expect(del.status).toBe(405);
    expect(del.headers.allow).toBe('GET');
  });

  test('415 unless the body is JSON', async () => {
    const res = await raw(page, '/v1/chat/completions', { method: 'POST', body: JSON.stringify(chat()), headers: { 'content-type': 'text/plain' } });
    expect(res.status).toBe(415);
    expect(envelope(res).code).toBe('unsupported_media_type');
  });

  test('429 past one tab\'s share of the shared queue (1 running + 16 of 32 waiting)', async () => {
    const out = await page.evaluate(async () => {
      const w = window as any;
      const post = (body: unknown, signal: AbortSignal) => fetch('/v1/chat/completions', {
        method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal,
      });
      const stop = new AbortController();
      // Runs for seconds (8 x 2000 tokens) unless stopped; its headers arrive when it starts.
      const long = await post({ model: 'tiny-chat', messages: [{ role: 'user', content: 'Hi' }], n: 8, max_tokens: 2000, ignore_eos: true }, stop.signal);
      const short = { model: 'tiny-chat', messages: [{ role: 'user', content: 'Hi' }], max_tokens: 1 };
      const queued = Array.from({ length: 17 }, () => post(short, stop.signal).then(
        async (r) => ({ status: r.status, retryAfter: r.headers.get('retry-after'), body: r.status === 429 ? await r.json() : null }),
        () => ({ status: 0, retryAfter: null, body: null }),
      ));
      // The 429 answers at once; the others wait their turn.
      const first = await Promise.race(queued);
      const stats = await w.client.stats();
      stop.abort();
      void long.body?.cancel().catch(() => {});
      await Promise.allSettled(queued);
      const idleMs = await w.waitIdle(10_000);
      return { first, pending: stats.queue.pending, idleMs };
    });
    expect(out.first.status).toBe(429);
    expect(out.first.retryAfter).toBe('1');
    expect(out.first.body.error).toMatchObject({ type: 'rate_limit_error', code: 'queue_full' });
    expect(out.pending).toBe(16);
    const after = await raw(page, '/v1/chat/completions', { json: chat() });
    expect(after.json.choices[0].message.content).toBe(SENTENCE);
  });
});

describe('gateway over fetch: an API key and a body cap configured', () => {
  let context: BrowserContext;
  let page: Page;
  beforeAll(async () => {
    ({ context, page } = await openGatewayContext(browser, '?device=wasm&apiKey=sk-local-test&maxBodyBytes=4096'));
  });
  afterAll(async () => { await context?.close(); });

  test('401 without the key or with a wrong one; 200 with it', async () => {
    const none = await raw(page, '/v1/models');
    expect(none.status).toBe(401);
    expect(envelope(none)).toMatchObject({ code: 'missing_api_key' });
    const wrong = await raw(page, '/v1/chat/completions', { json: chat(), headers: { authorization: 'Bearer sk-local-nope' } });
    expect(wrong.status).toBe(401);
    expect(envelope(wrong)).toMatchObject({ code: 'invalid_api_key' });
    const ok = await raw(page, '/v1/chat/completions', { json: chat(), headers: { authorization: 'Bearer sk-local-test' } });
    expect(ok.status).toBe(200);
    expect(ok.json.choices[0].message.content).toBe(SENTENCE);
  });

  test('413 over the configured body cap', async () => {
    const big = await raw(page, '/v1/chat/completions', {
      json: chat({ messages: [{ role: 'user', content: 'x'.repeat(5000) }] }),
      headers: { authorization: 'Bearer sk-local-test' },
    });
    expect(big.status).toBe(413);
    expect(envelope(big)).toMatchObject({ code: 'request_too_large' });
    expect(envelope(big).message).toContain('4096');
  });
});

describe('gateway over fetch: no engine host reachable', () => {
  test('503 saying to open a page, then served again once one is open', async () => {
    const context = await browser.newContext();
    const first = await openGatewayPage(context, '?device=none&portTimeoutMs=500');
    expect((await raw(first, '/v1/models')).status).toBe(200);
    // A page of the app that cannot serve the gateway (no client, no registerGateway).
    const bare = await openGatewayPage(context, '?gateway=0');
    expect(await bare.evaluate(() => !!navigator.serviceWorker.controller)).toBe(true);
    // Its last page closed, the SharedWorker host ends; the SW's port to it closes.
    await first.close();
    // The SW learns that the page is gone (its Web Lock is released): the next request
    // asks the open pages again, and none can answer. (Poll: the close is asynchronous.)
    const closedAt = Date.now();
    let down = await raw(bare, '/v1/models');
    while (down.status === 200 && Date.now() - closedAt < 5000) down = await raw(bare, '/v1/models');
    const detectMs = Date.now() - closedAt;
    expect(down.status).toBe(503);
    // Without that signal the SW would only find out when a call to the dead host times out (10 s).
    expect(detectMs).toBeLessThan(3000);
    expect(down.headers['retry-after']).toBe('1');
    const err = envelope(down);
    expect(err).toMatchObject({ type: 'server_error', code: 'engine_unavailable' });
    expect(err.message).toMatch(/Open a page of this app/);
    expect(down.ms).toBeGreaterThanOrEqual(450);
    expect(down.ms).toBeLessThan(5000);

    await openGatewayPage(context, '?device=wasm&portTimeoutMs=500');
    const up = await raw(bare, '/v1/chat/completions', { json: chat() });
    expect(up.status).toBe(200);
    expect(up.json.choices[0].message.content).toBe(SENTENCE);
    await context.close();
  });
});
