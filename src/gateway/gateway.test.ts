import { describe, expect, it } from 'vitest';
import { ChatCompletion, ChatCompletionChunk } from '../protocol/chat.js';
import { Completion } from '../protocol/completions.js';
import { EngineUnavailableError, type BackendSource, type GatewayBackend } from './backend.js';
import { createGateway, type GatewayOptions } from './gateway.js';
import { hostBackend } from './port-backend.js';
import { cancelAfterTwoChunks } from '../../tests/support/cancel-sse.js';
import { parseSse, sleep, testHost, type ScriptOptions } from './test-support.js';

const ORIGIN = 'http://localhost:5173';
const REPLY = ['Hello', ' from', ' the', ' gateway', '.'];

function setup(opts: { script?: ScriptOptions; maxQueue?: number; gateway?: Partial<GatewayOptions> } = {}) {
  const { host, log } = testHost(
    [
      { id: 'm', script: { reply: REPLY, ...opts.script } },
      { id: 'org/model-b', script: { reply: ['B'] } },
    ],
    opts.maxQueue,
  );
  const gateway = createGateway({ backend: hostBackend(host.api), ...opts.gateway });
  const fetch = (path: string, init: RequestInit & { json?: unknown } = {}) => {
    const { json, ...rest } = init;
    const headers = new Headers(rest.headers);
    if (json !== undefined && !headers.has('content-type')) headers.set('content-type', 'application/json');
    return gateway.handle(new Request(ORIGIN + path, {
      method: json !== undefined ? 'POST' : 'GET',
      ...rest,
      headers,
      ...(json !== undefined ? { body: JSON.stringify(json) } : {}),
    }));
  };
  return { host, log, gateway, fetch };
}

const chatBody = (extra: Record<string, unknown> = {}) => ({ model: 'm', messages: [{ role: 'user', content: 'hi there' }], ...extra });

async function errorOf(res: Response) {
  expect(res.headers.get('content-type')).toBe('application/json');
  expect(res.headers.get('cache-control')).toBe('no-store');
  const body = await res.json();
  expect(Object.keys(body)).toEqual(['error']);
  expect(Object.keys(body.error).sort()).toEqual(['code', 'message', 'param', 'type']);
  return body.error as { message: string; type: string; param: string | null; code: string | null };
}

describe('gateway: routing and scope', () => {
  it('answers only under its base path', () => {
    const { gateway } = setup({ gateway: { basePath: '/api/v1/' } });
    expect(gateway.basePath).toBe('/api/v1');
    expect(gateway.matches(new URL(`${ORIGIN}/api/v1/models`))).toBe(true);
    expect(gateway.matches(`${ORIGIN}/api/v1`)).toBe(true);
    expect(gateway.matches(`${ORIGIN}/api/v10/models`)).toBe(false);
    expect(gateway.matches(`${ORIGIN}/v1/models`)).toBe(false);
    expect(gateway.matches('/index.html')).toBe(false);
    expect(() => createGateway({ backend: hostBackend(setup().host.api), basePath: '/' })).toThrow(/basePath/);
  });

  it('GET /v1/models lists the registered models', async () => {
    const { fetch } = setup();
    const res = await fetch('/v1/models', { headers: { 'x-request-id': 'my-req-1' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('x-request-id')).toBe('my-req-1');
    const list = await res.json();
    expect(list.object).toBe('list');
    expect(list.data.map((m: { id: string }) => m.id)).toEqual(expect.arrayContaining(['m', 'org/model-b']));
  });

  it('GET /v1/models/{id}, also for ids with a slash (raw or encoded)', async () => {
    const { fetch } = setup();
    expect(await (await fetch('/v1/models/m')).json()).toMatchObject({ id: 'm', object: 'model', loaded: false });
    expect(await (await fetch('/v1/models/org/model-b')).json()).toMatchObject({ id: 'org/model-b' });
    expect(await (await fetch('/v1/models/org%2Fmodel-b')).json()).toMatchObject({ id: 'org/model-b' });
    const res = await fetch('/v1/models/nope');
    expect(res.status).toBe(404);
    expect(await errorOf(res)).toMatchObject({ code: 'model_not_found', param: 'model' });
  });

  it('unknown /v1 routes are a JSON 404; wrong methods a 405 with Allow', async () => {
    const { fetch } = setup();
    for (const path of ['/v1/nope', '/v1', '/v1/chat/completions/x', '/v1/images/generations']) {
      const res = await fetch(path);
      expect(res.status, path).toBe(404);
      const err = await errorOf(res);
      expect(err).toMatchObject({ type: 'invalid_request_error', code: 'unknown_url' });
      expect(err.message).toContain(path);
    }
    const get = await fetch('/v1/chat/completions');
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
    expect(await errorOf(get)).toMatchObject({ code: 'method_not_allowed' });
    const del = await fetch('/v1/models', { method: 'DELETE' });
    expect(del.status).toBe(405);
    expect(del.headers.get('allow')).toBe('GET');
  });

  it('HEAD and OPTIONS', async () => {
    const { fetch } = setup();
    const head = await fetch('/v1/models', { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-type')).toBe('application/json');
    expect(await head.text()).toBe('');
    const options = await fetch('/v1/chat/completions', { method: 'OPTIONS' });
    expect(options.status).toBe(204);
    expect(options.headers.get('allow')).toBe('POST, OPTIONS');
  });
});

describe('gateway: request checks', () => {
  it('401 when a key is configured and missing or wrong, before anything else', async () => {
    const { fetch } = setup({ gateway: { apiKey: 'sk-local-key' } });
    const missing = await fetch('/v1/models');
    expect(missing.status).toBe(401);
    expect(await errorOf(missing)).toMatchObject({ code: 'missing_api_key' });
    const wrong = await fetch('/v1/nope', { headers: { authorization: 'Bearer sk-other' } });
    expect(wrong.status).toBe(401);
    expect(await errorOf(wrong)).toMatchObject({ code: 'invalid_api_key' });
    const ok = await fetch('/v1/chat/completions', { json: chatBody(), headers: { authorization: 'Bearer sk-local-key' } });
    expect(ok.status).toBe(200);
  });

  it('413 over the body cap, 415 for non-JSON, 400 for bad JSON', async () => {
    const { fetch } = setup({ gateway: { maxBodyBytes: 256 } });
    const big = await fetch('/v1/chat/completions', { json: chatBody({ user: 'x'.repeat(300) }) });
    expect(big.status).toBe(413);
    expect(await errorOf(big)).toMatchObject({ code: 'request_too_large' });
    const text = await fetch('/v1/chat/completions', { method: 'POST', body: JSON.stringify(chatBody()), headers: { 'content-type': 'text/plain' } });
    expect(text.status).toBe(415);
    const bad = await fetch('/v1/completions', { method: 'POST', body: '{"model":', headers: { 'content-type': 'application/json' } });
    expect(bad.status).toBe(400);
    expect(await errorOf(bad)).toMatchObject({ code: 'invalid_json', param: null });
  });

  it('400 naming the param, validated by the host', async () => {
    const { fetch } = setup();
    const cases: Array<[unknown, string]> = [
      [{ model: 'm' }, 'messages'],
      [chatBody({ temperature: 3 }), 'temperature'],
      [chatBody({ messages: [{ role: 'wizard', content: 'x' }] }), 'messages[0].role'],
      [chatBody({ frobnicate: true }), 'frobnicate'],
    ];
    for (const [body, param] of cases) {
      const res = await fetch('/v1/chat/completions', { json: body });
      expect(res.status, param).toBe(400);
      expect((await errorOf(res)).param).toBe(param);
    }
  });

  it('404 for an unknown model on both generation routes', async () => {
    const { fetch } = setup();
    for (const [path, body] of [['/v1/chat/completions', chatBody({ model: 'ghost' })], ['/v1/completions', { model: 'ghost', prompt: 'x' }]] as const) {
      const res = await fetch(path, { json: body });
      expect(res.status).toBe(404);
      expect(await errorOf(res)).toMatchObject({ code: 'model_not_found', param: 'model' });
    }
  });

  it('429 when the shared queue is full, with retry-after', async () => {
    const { fetch } = setup({ maxQueue: 1, script: { endless: true, delayMs: 5 } });
    const aborts = [new AbortController(), new AbortController()];
    const running = fetch('/v1/chat/completions', { json: chatBody({ max_tokens: 1000 }), signal: aborts[0]!.signal });
    await sleep(20);
    const waiting = fetch('/v1/chat/completions', { json: chatBody({ max_tokens: 1000 }), signal: aborts[1]!.signal });
    await sleep(20);
    const third = await fetch('/v1/chat/completions', { json: chatBody() });
    expect(third.status).toBe(429);
    expect(third.headers.get('retry-after')).toBe('1');
    expect(await errorOf(third)).toMatchObject({ type: 'rate_limit_error', code: 'queue_full' });
    for (const a of aborts) a.abort();
    await Promise.all([running, waiting]);
  });

  it('500 only for real bugs (a backend that throws a plain error)', async () => {
    const broken = { listModels: async () => { throw new TypeError('cannot read x of undefined'); } } as unknown as GatewayBackend;
    const res = await createGateway({ backend: broken }).handle(new Request(`${ORIGIN}/v1/models`));
    expect(res.status).toBe(500);
    expect(await errorOf(res)).toMatchObject({ type: 'server_error', code: 'internal_error' });
  });
});

describe('gateway: 503 when no engine host is reachable', () => {
  it('a source with no host: 503 telling to open a page', async () => {
    const none: BackendSource = { get: async () => { throw new EngineUnavailableError('No page of this app is open.'); }, drop: () => {} };
    const res = await createGateway({ backend: none }).handle(new Request(`${ORIGIN}/v1/models`));
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('1');
    const err = await errorOf(res);
    expect(err).toMatchObject({ type: 'server_error', code: 'engine_unavailable' });
    expect(err.message).toMatch(/open a page of this app/i);
  });

  it('a host that stops answering is dropped and another one is tried', async () => {
    const { host } = setup();
    const dead = { listModels: () => new Promise(() => {}) } as unknown as GatewayBackend;
    const backends = [dead, hostBackend(host.api)];
    const dropped: unknown[] = [];
    const source: BackendSource = { get: async () => backends[0]!, drop: (b) => { dropped.push(b); backends.shift(); } };
    const res = await createGateway({ backend: source, callTimeoutMs: 50 }).handle(new Request(`${ORIGIN}/v1/models`));
    expect(res.status).toBe(200);
    expect(dropped).toEqual([dead]);
  });

  it('two dead hosts in a row: 503', async () => {
    const dead = { listModels: () => new Promise(() => {}) } as unknown as GatewayBackend;
    let drops = 0;
    const source: BackendSource = { get: async () => dead, drop: () => { drops++; } };
    const res = await createGateway({ backend: source, callTimeoutMs: 30 }).handle(new Request(`${ORIGIN}/v1/models`));
    expect(res.status).toBe(503);
    expect(drops).toBe(2);
    expect((await errorOf(res)).message).toMatch(/did not answer within 30 ms.*open a page/i);
  });
});

describe('gateway: chat completions', () => {
  it('JSON: the completion, with usage', async () => {
    const { fetch } = setup();
    const res = await fetch('/v1/chat/completions', { json: chatBody() });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(res.headers.get('x-request-id')).toMatch(/^req_/);
    const completion = ChatCompletion.parse(await res.json());
    expect(completion.choices[0]!.message.content).toBe(REPLY.join(''));
    expect(completion.choices[0]!.finish_reason).toBe('stop');
    expect(completion.usage).toMatchObject({ prompt_tokens: 2, completion_tokens: REPLY.length + 1 });
  });

  it('SSE: exact frames, one chunk per token, usage chunk, [DONE] last', async () => {
    const { fetch } = setup();
    const res = await fetch('/v1/chat/completions', { json: chatBody({ stream: true, stream_options: { include_usage: true } }) });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('no-store');
    const frames = parseSse(await res.text());
    expect(frames.at(-1)).toBe('[DONE]');
    const chunks = frames.slice(0, -1).map((f) => ChatCompletionChunk.parse(JSON.parse(f)));
    expect(chunks[0]!.choices[0]!.delta).toEqual({ role: 'assistant', content: '' });
    expect(chunks.slice(1, 1 + REPLY.length).map((c) => c.choices[0]!.delta.content)).toEqual(REPLY);
    expect(chunks.at(-2)!.choices[0]!.finish_reason).toBe('stop');
    expect(chunks.at(-1)!.choices).toEqual([]);
    expect(chunks.at(-1)!.usage).toMatchObject({ prompt_tokens: 2, completion_tokens: REPLY.length + 1 });
    for (const c of chunks.slice(0, -1)) expect(c.usage).toBeNull();
  });

  it('SSE without include_usage has no usage chunk', async () => {
    const { fetch } = setup();
    const frames = parseSse(await (await fetch('/v1/chat/completions', { json: chatBody({ stream: true }) })).text());
    const chunks = frames.slice(0, -1).map((f) => JSON.parse(f));
    expect(chunks.every((c) => !('usage' in c) && c.choices.length === 1)).toBe(true);
  });

  it('a streamed request that fails before starting is a real HTTP error, not SSE', async () => {
    const { fetch } = setup();
    const res = await fetch('/v1/chat/completions', { json: chatBody({ stream: true, model: 'ghost' }) });
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toBe('application/json');
  });
});

describe('gateway: legacy completions', () => {
  it('JSON: text_completion with usage; echo prepends the prompt', async () => {
    const { fetch } = setup();
    const plain = Completion.parse(await (await fetch('/v1/completions', { json: { model: 'm', prompt: 'Say hi' } })).json());
    expect(plain).toMatchObject({ object: 'text_completion', choices: [{ index: 0, text: REPLY.join(''), logprobs: null, finish_reason: 'stop' }] });
    expect(plain.id).toMatch(/^cmpl-/);
    expect(plain.usage).toMatchObject({ prompt_tokens: 2, completion_tokens: REPLY.length + 1, total_tokens: REPLY.length + 3 });
    const echo = Completion.parse(await (await fetch('/v1/completions', { json: { model: 'm', prompt: 'Say hi', echo: true } })).json());
    expect(echo.choices[0]!.text).toBe(`Say hi${REPLY.join('')}`);
  });

  it('max_tokens defaults to 16, as OpenAI', async () => {
    const { fetch } = setup({ script: { endless: true } });
    const out = await (await fetch('/v1/completions', { json: { model: 'm', prompt: 'go' } })).json();
    expect(out.usage.completion_tokens).toBe(16);
    expect(out.choices[0].finish_reason).toBe('length');
  });

  it('a batch of prompts times n: choices indexed prompt-major', async () => {
    const { fetch } = setup();
    const out = Completion.parse(await (await fetch('/v1/completions', { json: { model: 'm', prompt: ['one', 'two words', 'x y z'], n: 2, echo: true } })).json());
    expect(out.choices.map((c) => [c.index, c.text])).toEqual([
      [0, `one${REPLY.join('')}`],
      [1, `one${REPLY.join('')}`],
      [2, `two words${REPLY.join('')}`],
      [3, `two words${REPLY.join('')}`],
      [4, `x y z${REPLY.join('')}`],
      [5, `x y z${REPLY.join('')}`],
    ]);
    expect(out.usage).toMatchObject({ prompt_tokens: 1 + 2 + 3, completion_tokens: 6 * (REPLY.length + 1) });
  });

  it('logprobs in the legacy shape (integer 0-5)', async () => {
    const { fetch } = setup();
    const out = Completion.parse(await (await fetch('/v1/completions', { json: { model: 'm', prompt: 'hi', logprobs: 1 } })).json());
    const lp = out.choices[0]!.logprobs!;
    expect(lp.tokens).toEqual(REPLY);
    expect(lp.token_logprobs).toEqual(REPLY.map(() => -0.25));
    expect(lp.text_offset).toEqual([0, 5, 10, 14, 22]);
    expect(lp.top_logprobs[0]).toEqual({ Hello: -0.25 });
    const two = Completion.parse(await (await fetch('/v1/completions', { json: { model: 'm', prompt: 'hi', logprobs: 2 } })).json());
    expect(two.choices[0]!.logprobs!.top_logprobs[1]).toEqual({ ' from': -0.25, alt: -2 });
    const bad = await fetch('/v1/completions', { json: { model: 'm', prompt: 'hi', logprobs: 6 } });
    expect(bad.status).toBe(400);
    expect((await errorOf(bad)).param).toBe('logprobs');
  });

  it('suffix, token prompts, best_of and echo+logprobs are clear 400s', async () => {
    const { fetch } = setup();
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ suffix: ' world' }, 'suffix'],
      [{ prompt: [1, 2, 3] }, 'prompt'],
      [{ prompt: [[1, 2]] }, 'prompt'],
      [{ best_of: 3 }, 'best_of'],
      [{ echo: true, logprobs: 0 }, 'logprobs'],
      [{ prompt: '' }, 'prompt'],
      [{ prompt: ['ok', ''] }, 'prompt[1]'],
      [{ prompt: [] }, 'prompt'],
      [{ messages: [] }, 'messages'],
    ];
    for (const [extra, param] of cases) {
      const res = await fetch('/v1/completions', { json: { model: 'm', prompt: 'hi', ...extra } });
      expect(res.status, JSON.stringify(extra)).toBe(400);
      expect((await errorOf(res)).param, JSON.stringify(extra)).toBe(param);
    }
    const suffix = await fetch('/v1/completions', { json: { model: 'm', prompt: 'hi', suffix: 'x' } });
    expect((await errorOf(suffix)).message).toMatch(/suffix.*not supported/);
  });

  it('SSE: text_completion chunks, finish chunk, usage, [DONE]', async () => {
    const { fetch } = setup();
    const res = await fetch('/v1/completions', { json: { model: 'm', prompt: 'hi', stream: true, echo: true, stream_options: { include_usage: true } } });
    expect(res.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    const frames = parseSse(await res.text());
    expect(frames.at(-1)).toBe('[DONE]');
    const chunks = frames.slice(0, -1).map((f) => Completion.parse(JSON.parse(f)));
    expect(chunks.every((c) => c.object === 'text_completion')).toBe(true);
    expect(chunks.slice(0, -2).map((c) => c.choices[0]!.text)).toEqual(['hi', ...REPLY]);
    expect(chunks.at(-2)!.choices[0]).toMatchObject({ text: '', finish_reason: 'stop' });
    expect(chunks.at(-1)).toMatchObject({ choices: [], usage: { prompt_tokens: 1, completion_tokens: REPLY.length + 1 } });
  });
});

describe('gateway: failures after the start', () => {
  it('streaming: an SSE error frame (500), then the end', async () => {
    const { fetch } = setup({ script: { failAt: 2 } });
    const res = await fetch('/v1/chat/completions', { json: chatBody({ stream: true }) });
    expect(res.status).toBe(200);
    const frames = parseSse(await res.text());
    expect(frames).not.toContain('[DONE]');
    const last = JSON.parse(frames.at(-1)!);
    expect(last).toEqual({ error: { message: 'engine crashed', type: 'server_error', param: null, code: 'internal_error' } });
    expect(frames.slice(0, -1).map((f) => JSON.parse(f).choices[0].delta.content)).toEqual(['', 'Hello', ' from']);
  });

  it('non-streaming: the 200 is already sent, so the body breaks (never a 200 with an error inside)', async () => {
    const { fetch } = setup({ script: { failAt: 2 } });
    const res = await fetch('/v1/completions', { json: { model: 'm', prompt: 'x' } });
    expect(res.status).toBe(200);
    await expect(res.text()).rejects.toThrow(/engine crashed \(500\)/);
  });
});

describe('gateway: the client going away frees the engine', () => {
  it('cancelling an SSE body aborts the generation and frees the queue', async () => {
    const { fetch, log, host } = setup({ script: { endless: true, delayMs: 2 } });
    const res = await fetch('/v1/chat/completions', { json: chatBody({ stream: true, max_tokens: 2000 }) });
    const { ended, queue } = await cancelAfterTwoChunks(res, { host, log });
    expect(ended).toBe('aborted');
    expect(queue).toEqual({ running: false, pending: 0 });
    const next = await (await fetch('/v1/chat/completions', { json: chatBody({ max_tokens: 3 }) })).json();
    expect(next.choices[0].finish_reason).toBe('length');
  });

  it('a non-streaming body cancelled before the result (how a SW sees an aborted fetch) aborts it in the host', async () => {
    const { fetch, log, host } = setup({ script: { endless: true, delayMs: 2 } });
    const ended = log.nextEnd();
    // Headers come once generation started; the JSON when it is done.
    const res = await fetch('/v1/chat/completions', { json: chatBody({ max_tokens: 2000 }) });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    await sleep(20);
    await res.body!.cancel();
    expect(await ended).toBe('aborted');
    await sleep(5);
    expect((await host.api.stats()).queue.running).toBe(false);
  });

  it('aborting a non-streaming request (request signal) aborts it in the host', async () => {
    const { fetch, log, host } = setup({ script: { endless: true, delayMs: 2 } });
    const abort = new AbortController();
    const ended = log.nextEnd();
    const pending = fetch('/v1/completions', { json: { model: 'm', prompt: 'x', max_tokens: 2000 }, signal: abort.signal });
    await sleep(30);
    abort.abort();
    expect(await ended).toBe('aborted');
    await pending;
    await sleep(5);
    expect((await host.api.stats()).queue.running).toBe(false);
  });

  it('a request aborted while waiting in the queue leaves it', async () => {
    const { fetch, host } = setup({ maxQueue: 4, script: { endless: true, delayMs: 2 } });
    const first = new AbortController();
    const second = new AbortController();
    const a = fetch('/v1/chat/completions', { json: chatBody({ max_tokens: 2000 }), signal: first.signal });
    await sleep(20);
    const b = fetch('/v1/chat/completions', { json: chatBody({ max_tokens: 2000 }), signal: second.signal });
    await sleep(20);
    expect((await host.api.stats()).queue.pending).toBe(1);
    second.abort();
    await b;
    await sleep(5);
    expect((await host.api.stats()).queue.pending).toBe(0);
    first.abort();
    await a;
  });
});
