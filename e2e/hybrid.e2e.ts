import type { Browser, BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { openPage } from './support/browser.js';
import { launchGateway } from './support/ready-page.js';
import { freePort, qwenFixture, startTransformersServe, type TransformersServe } from './support/transformers-serve.js';
import { startFakeServer, streamOf, type FakeServer } from '../tests/support/fake-openai-server.js';

/**
 * Hybrid inference against a real OpenAI-compatible server: `transformers serve` serving
 * the tiny random Qwen2.5 fixture on CPU, called from the engine host worker in Chromium,
 * through the in-page client and through /v1 with the openai SDK. The same fixture runs
 * locally through transformers.js (WASM), so local and remote answers can be compared.
 * A scripted localhost server stands in only where exact failures are needed (a 400 with
 * a param, a slow stream to cancel); a closed port is the server that is down.
 * Last, the playground driven as a user would: the fixture by URL and the server through
 * the register form, compared side by side (local on A, remote on B).
 */
const HELLO = [{ role: 'user', content: 'Hello, how are you?' }];

let serve: TransformersServe;
let fake: FakeServer;
let browser: Browser;
let context: BrowserContext;
let page: Awaited<ReturnType<typeof openPage>>;

beforeAll(async () => {
  const fixture = qwenFixture();
  const downURL = `http://127.0.0.1:${await freePort()}/v1`;
  [serve, fake, { browser, context, page }] = await Promise.all([
    startTransformersServe(fixture.dir),
    startFakeServer((req) => {
      if (req.body?.messages?.[0]?.content === 'slow') return { sse: streamOf(Array.from({ length: 400 }, () => 'x')), eventDelayMs: 20 };
      // A server without the Responses API: webinfer translates to chat from then on.
      if (req.path === '/v1/responses') return { status: 404, body: { detail: 'Not Found' } };
      if (req.body?.messages?.[0]?.content?.[0]?.text === 'echo') {
        if (req.body.stream) return { sse: streamOf(['trans', 'lated']) };
        return { body: { id: 'c', object: 'chat.completion', created: 1, model: 'm', choices: [{ index: 0, message: { role: 'assistant', content: 'translated' }, finish_reason: 'stop' }], usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 } } };
      }
      return { status: 400, body: { error: { message: "'temperature' is too hot", type: 'invalid_request_error', param: 'temperature', code: 'invalid_value' } } };
    }),
    launchGateway('?device=none'),
  ]);
  console.log(`transformers serve healthy after ${serve.startupSeconds.toFixed(1)} s`);
  const remote = { baseURL: serve.baseURL, model: serve.model, apiKey: 'sk-remote-secret' };
  await page.evaluate(async ({ remote, fixture, fakeURL, downURL }) => {
    const models = (window as any).client.models;
    const local = { baseUrl: fixture.url, options: { dtype: 'fp32' }, contextLength: 512 };
    await models.register({ id: 'qwen-remote', engine: 'remote', ...remote });
    await models.register({ id: 'qwen', ...local, remote });
    await models.register({ id: 'scripted', engine: 'remote', baseURL: fakeURL, maxRetries: 0 });
    await models.register({ id: 'down', engine: 'remote', baseURL: downURL, maxRetries: 1 });
    await models.register({ id: 'qwen-down', ...local, remote: { baseURL: downURL, maxRetries: 0 }, routing: 'prefer_remote' });
    // On WASM: WebGPU on SwiftShader would only make the local side slow (the unit tests cover routing's own loads).
    for (const id of ['qwen', 'qwen-down']) await models.load(id, { device: 'wasm' });
  }, { remote, fixture, fakeURL: fake.baseURL, downURL });
}, 240_000);

afterAll(async () => {
  await Promise.all([browser?.close(), serve?.stop(), fake?.stop()]);
});

/** The same request straight to transformers serve, from Node: what the server itself answers. */
async function direct(body: Record<string, unknown>) {
  const r = await fetch(`${serve.baseURL}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ...body, model: serve.model }) });
  expect(r.status).toBe(200);
  return r.json();
}

/** The same streamed request straight to transformers serve: its text pieces, as it streams them. */
async function directStream(body: Record<string, unknown>): Promise<string> {
  const r = await fetch(`${serve.baseURL}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ...body, model: serve.model, stream: true }) });
  const text = await r.text();
  return text.split('\n').filter((l) => l.startsWith('data: {')).map((l) => JSON.parse(l.slice(6)).choices[0]?.delta.content ?? '').join('');
}

describe('in-page client, remote model (transformers serve)', () => {
  test('non-streaming and streaming answers are the server\'s, in OpenAI\'s shape; stats say remote', async () => {
    const request = { model: 'qwen-remote', messages: HELLO, max_tokens: 12, temperature: 0 };
    const out = await page.evaluate(async (request) => {
      const client = (window as any).client;
      const done = await client.chat.completions.create(request);
      const stream = await client.chat.completions.create({ ...request, stream: true, stream_options: { include_usage: true } });
      const chunks = [];
      for await (const c of stream) chunks.push(c);
      return { done, chunks, stats: (await client.stats()).routing['qwen-remote'] };
    }, request);
    const server = await direct(request);
    expect(out.done.model).toBe('qwen-remote');
    expect(out.done.system_fingerprint).toBe('webinfer-remote');
    expect(out.done.choices[0].message.content).toBe(server.choices[0].message.content);
    expect(out.done.choices[0].finish_reason).toBe(server.choices[0].finish_reason);
    expect(out.done.usage).toEqual(server.usage);
    // transformers serve's streamed text can differ from its non-streamed text (its streamer
    // decodes piece by piece): compare each with the server's own answer of the same kind.
    const streamed = out.chunks.map((c: any) => c.choices[0]?.delta.content ?? '').join('');
    expect(streamed).toBe(await directStream(request));
    expect(out.chunks.at(-1).usage).toEqual(server.usage);
    expect(out.stats).toMatchObject({ remote: 2, local: 0, last: 'remote' });
  });

  test('abort mid-stream: the caller gets APIUserAbortError, the server connection is closed, the next request answers', async () => {
    const out = await page.evaluate(async () => {
      const client = (window as any).client;
      const controller = new AbortController();
      let seen = 0;
      let error = null;
      try {
        const stream = await client.chat.completions.create({ model: 'scripted', messages: [{ role: 'user', content: 'slow' }], stream: true }, { signal: controller.signal });
        for await (const _ of stream) if (++seen === 3) controller.abort();
      } catch (e: any) {
        error = e.name;
      }
      // The same against transformers serve: a long answer dropped after two chunks.
      let real = 0;
      const long = await client.chat.completions.create({ model: 'qwen-remote', messages: [{ role: 'user', content: 'Hi' }], max_tokens: 100, temperature: 0, stream: true });
      for await (const _ of long) if (++real === 2) break;
      const next = await client.chat.completions.create({ model: 'qwen-remote', messages: [{ role: 'user', content: 'Hi' }], max_tokens: 3, temperature: 0 });
      return { seen, error, real, next: next.choices[0].finish_reason };
    });
    expect(out.error).toBe('APIUserAbortError');
    expect(out.seen).toBe(3);
    expect(out.real).toBe(2);
    expect(await fake.requests.at(-1)!.closedEarly).toBe(true);
    expect(out.next).toBeTruthy();
  });
});

describe('openai SDK through /v1, remote and hybrid', () => {
  test('/v1/models lists the remote model, never its key; chat answers carry x-webinfer-served', async () => {
    const out = await page.evaluate(async () => {
      const openai = (window as any).makeOpenAI();
      const list = [];
      for await (const m of openai.models.list()) list.push(m);
      const { data, response } = await openai.chat.completions
        .create({ model: 'qwen-remote', messages: [{ role: 'user', content: 'Hello' }], max_tokens: 8, temperature: 0 })
        .withResponse();
      const streamed = await openai.chat.completions
        .create({ model: 'qwen-remote', messages: [{ role: 'user', content: 'Hello' }], max_tokens: 8, temperature: 0, stream: true })
        .withResponse();
      let text = '';
      for await (const c of streamed.data) text += c.choices[0]?.delta.content ?? '';
      const raw = await (await fetch('/v1/models')).text();
      // The Responses API: transformers serve has its own, so it is passed through; the chain stays in webinfer's store.
      const responded = await openai.responses.create({ model: 'qwen-remote', input: 'Hello', max_output_tokens: 8, temperature: 0 }).withResponse();
      const chained = await openai.responses.create({ model: 'qwen-remote', input: 'And you?', previous_response_id: responded.data.id, max_output_tokens: 4, temperature: 0 });
      const items = await (await fetch(`/v1/responses/${chained.id}/input_items`)).json();
      // A server without it (404): translated to chat, then remembered.
      const translated = [];
      for (let i = 0; i < 2; i++) translated.push((await openai.responses.create({ model: 'scripted', input: 'echo' })).output_text);
      const responses = { text: responded.data.output_text, status: responded.data.status, served: responded.response.headers.get('x-webinfer-served'), model: responded.data.model, chained: chained.output_text, items: items.data.length, translated };
      // Legacy completions: the server's own /v1/completions.
      const legacy = await openai.completions.create({ model: 'qwen-remote', prompt: 'Hello', max_tokens: 5, temperature: 0 }).withResponse();
      const completions = { text: legacy.data.choices[0].text, usage: legacy.data.usage, served: legacy.response.headers.get('x-webinfer-served'), fingerprint: legacy.data.system_fingerprint };
      return { list, data, responses, completions, served: response.headers.get('x-webinfer-served'), streamedServed: streamed.response.headers.get('x-webinfer-served'), text, raw };
    });
    expect(out.list.find((m: any) => m.id === 'qwen-remote')).toMatchObject({ engine: 'remote', loaded: false });
    expect(out.list.find((m: any) => m.id === 'qwen')).toMatchObject({ engine: 'transformers', routing: 'prefer_on_device' });
    expect(out.raw).not.toContain('sk-remote-secret');
    expect(out.raw).not.toContain(serve.baseURL);
    expect([out.served, out.streamedServed]).toEqual(['remote', 'remote']);
    expect(out.text).toBe(out.data.choices[0].message.content);
    const own = await fetch(`${serve.baseURL}/responses`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: serve.model, input: 'Hello', max_output_tokens: 8, temperature: 0, stream: false }) }).then((r) => r.json());
    expect(out.responses).toMatchObject({ text: own.output[0].content[0].text, status: own.status, served: 'remote', model: 'qwen-remote', items: 3, translated: ['translated', 'translated'] });
    expect(out.responses.text.length).toBeGreaterThan(0);
    expect(out.responses.chained.length).toBeGreaterThan(0);
    expect(fake.requests.filter((r) => r.path === '/v1/responses')).toHaveLength(1);
    const server = await fetch(`${serve.baseURL}/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: serve.model, prompt: 'Hello', max_tokens: 5, temperature: 0 }) }).then((r) => r.json());
    expect(out.completions).toMatchObject({ text: server.choices[0].text, served: 'remote', fingerprint: 'webinfer-remote' });
    expect(out.completions.usage.completion_tokens).toBe(server.usage.completion_tokens);
  });

  test("an error from the server arrives as the openai SDK's typed error, with its param and code", async () => {
    const out = await page.evaluate(async () => {
      const openai = (window as any).makeOpenAI();
      try {
        await openai.chat.completions.create({ model: 'scripted', messages: [{ role: 'user', content: 'x' }], temperature: 1.5 });
        return null;
      } catch (e) {
        return (window as any).describeError(e);
      }
    });
    expect(out).toMatchObject({ name: 'BadRequestError', status: 400, param: 'temperature', code: 'invalid_value', isAPIError: true });
    expect(out.message).toContain("'temperature' is too hot");
  });

  test('server down: only_remote is a typed 503; prefer_remote falls back to the device', async () => {
    const out = await page.evaluate(async () => {
      const openai = (window as any).makeOpenAI();
      let down = null;
      try {
        await openai.chat.completions.create({ model: 'down', messages: [{ role: 'user', content: 'x' }] });
      } catch (e) {
        down = (window as any).describeError(e);
      }
      const { data, response } = await openai.chat.completions
        .create({ model: 'qwen-down', messages: [{ role: 'user', content: 'Hello' }], max_tokens: 4, temperature: 0 })
        .withResponse();
      const stats = (await (window as any).client.stats()).routing['qwen-down'];
      return { down, fingerprint: data.system_fingerprint, served: response.headers.get('x-webinfer-served'), stats };
    });
    expect(out.down).toMatchObject({ name: 'InternalServerError', status: 503, code: 'remote_unavailable' });
    expect(out.served).toBe('local');
    expect(out.fingerprint).toBe('webinfer-transformers-wasm');
    expect(out.stats).toMatchObject({ local: 1, fallbacks: 1, lastFallbackReason: 'remote_unavailable' });
  });

  test('each routing mode on the hybrid model; local (transformers.js, WASM) and remote (transformers serve) agree at temperature 0', async () => {
    // Streamed on both sides: transformers serve's non-streamed text is decoded differently
    // (whitespace at the end), its streamed text piece by piece as webinfer's is.
    const out = await page.evaluate(async () => {
      const openai = (window as any).makeOpenAI();
      const results: Record<string, { served: string | null; text: string; fingerprint: string; tokens: number }> = {};
      for (const routing of ['prefer_on_device', 'only_on_device', 'prefer_remote', 'only_remote']) {
        const { data, response } = await openai.chat.completions
          .create({ model: 'qwen', messages: [{ role: 'user', content: 'Hello, how are you?' }], max_tokens: 12, temperature: 0, stream: true, stream_options: { include_usage: true }, routing } as any)
          .withResponse();
        let text = '';
        let fingerprint = '';
        let tokens = -1;
        for await (const c of data as any) {
          text += c.choices[0]?.delta.content ?? '';
          fingerprint = c.system_fingerprint;
          if (c.usage) tokens = c.usage.completion_tokens;
        }
        results[routing] = { served: response.headers.get('x-webinfer-served'), text, fingerprint, tokens };
      }
      let bad = null;
      try {
        await openai.chat.completions.create({ model: 'qwen', messages: [{ role: 'user', content: 'x' }], routing: 'cloud' } as any);
      } catch (e) {
        bad = (window as any).describeError(e);
      }
      return { results, bad };
    });
    const { results } = out;
    expect(Object.fromEntries(Object.entries(results).map(([k, v]) => [k, v.served]))).toEqual({
      prefer_on_device: 'local', only_on_device: 'local', prefer_remote: 'remote', only_remote: 'remote',
    });
    expect(results.prefer_on_device!.fingerprint).toBe('webinfer-transformers-wasm');
    expect(results.only_remote!.fingerprint).toBe('webinfer-remote');
    expect(results.only_on_device!.tokens).toBe(12);
    expect(results.only_remote!.tokens).toBe(12);
    expect(results.only_remote!.text).toBe(results.only_on_device!.text);
    expect(results.prefer_remote!.text).toBe(results.prefer_on_device!.text);
    expect(out.bad).toMatchObject({ status: 400, param: 'routing' });
  });
});

describe('the playground, local against remote', () => {
  test('registers the fixture by URL and transformers serve through the form; compare: both answer the same at temperature 0, each with its figures', async () => {
    // A context of its own: a fresh playground (its own storage and engine host).
    const own = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const p = await openPage(own, '/demo/');
    const register = async (id: string, fields: Record<string, string>) => {
      await p.click('#register summary');
      for (const [id, value] of Object.entries(fields)) {
        if (id === 'register-engine') await p.selectOption(`#${id}`, value);
        else await p.fill(`#${id}`, value);
      }
      await p.click('#register-submit');
      // The status of this registration (the last one's may still be shown until it answers).
      await p.waitForFunction((id) => { const s = document.getElementById('register-status')!; return s.dataset.kind === 'error' || s.textContent!.startsWith(`Registered ${id}:`); }, id, { timeout: 20_000 });
      expect(await p.getAttribute('#register-status', 'data-kind'), (await p.textContent('#register-status'))!).toBe('ready');
      await p.click('#register summary');
    };
    try {
      await p.waitForSelector('#load:not([disabled])', { timeout: 20_000 });
      await register('tiny-random-qwen2.5', { 'register-engine': 'transformers', 'register-source': qwenFixture().url, 'register-id': '' });
      await register('served', { 'register-engine': 'remote', 'register-source': serve.baseURL, 'register-id': 'served', 'register-remote-model': serve.model });
      await p.selectOption('#model', 'tiny-random-qwen2.5');
      await p.selectOption('#device', 'wasm');
      await p.click('#load');
      await p.waitForFunction(() => document.getElementById('status')!.textContent!.startsWith('Ready: tiny-random-qwen2.5 on wasm'), null, { timeout: 60_000 });
      await p.check('#compare');
      await p.selectOption('#model-b', 'served');
      for (const side of ['a', 'b']) {
        await p.fill(`#temperature-${side}`, '0');
        await p.fill(`#max-tokens-${side}`, '12');
      }
      await p.fill('#prompt', 'Hello, how are you?');
      await p.click('#send');
      await p.waitForFunction(() => document.querySelectorAll('#answers .pane').length === 2 && [...document.querySelectorAll('#answers .pane')].every((e) => (e as HTMLElement).dataset.state), null, { timeout: 60_000 });
      const panes = await p.$$eval('#answers .pane', (els) => els.map((e) => ({
        state: (e as HTMLElement).dataset.state,
        title: e.querySelector('h3')!.textContent,
        text: e.querySelector('.answer-text')?.textContent ?? '',
        figures: e.querySelector('.figures-text')?.textContent ?? '',
      })));
      const all = JSON.stringify(panes);
      expect(panes.map((x) => x.state), all).toEqual(['done', 'done']);
      expect(panes[0]!.title, all).toMatch(/^A: tiny-random-qwen2\.5 · /);
      expect(panes[1]!.title, all).toMatch(/^B: served · /);
      expect(panes[0]!.text.length, all).toBeGreaterThan(0);
      expect(panes[1]!.text, all).toBe(panes[0]!.text);
      for (const pane of panes) expect(pane.figures, all).toMatch(/^TTFT \d+ ms · [\d.]+ tok\/s( \(whole request: one batch\))? · \d+ prompt \+ 12 completion tokens · finish: length$/);
      expect(p.errors).toEqual([]);
    } finally {
      await own.close();
    }
  }, 120_000);
});
