import { afterEach, describe, expect, it } from 'vitest';
import { Runtime } from '../../src/core/runtime.js';
import type { ModelSpec } from '../../src/core/engine.js';
import { createRemoteEngine } from '../../src/engines/remote.js';
import { collectCompletion } from '../../src/core/endpoints/completions.js';
import { createHost } from '../../src/host/host.js';
import { createGateway } from '../../src/gateway/gateway.js';
import { hostBackend } from '../../src/gateway/port-backend.js';
import { ChatCompletionChunk } from '../../src/protocol/chat.js';
import { APIError, ServiceUnavailableError } from '../../src/protocol/errors.js';
import { ScriptedEngine, collect, type Script } from '../support/scripted-engine.js';
import { chunk, startFakeServer, streamOf, type FakeServer } from '../support/fake-openai-server.js';

const LOCAL = ['Lo', 'cal'];
const user = [{ role: 'user', content: 'hi' }];
let servers: FakeServer[] = [];
afterEach(async () => {
  await Promise.all(servers.map((s) => s.stop()));
  servers = [];
});

async function fake(reply: FakeServer['reply']): Promise<FakeServer> {
  const server = await startFakeServer(reply);
  servers.push(server);
  return server;
}

/** A runtime with a scripted local engine and the real remote engine (backoff waits skipped). */
function hybrid(specs: Array<Partial<ModelSpec> & { id: string }>, loadError?: Error, deviceMemory: number | null = null, more: { script?: Partial<Script>; cached?: (spec: ModelSpec) => Promise<boolean> } = {}) {
  const engine = new ScriptedEngine(Object.fromEntries(specs.map((s) => [s.id, { reply: LOCAL, ...(loadError ? { loadError } : {}), ...more.script }])));
  const waits: number[] = [];
  const runtime = new Runtime({
    engines: {
      scripted: async () => engine,
      remote: async () => createRemoteEngine({ sleep: async (ms) => void waits.push(ms) }),
    },
    models: specs.map((s) => ({ engine: 'scripted', source: { repo: s.id }, ...s })),
    routing: { deviceMemory: () => deviceMemory, ...(more.cached ? { cached: more.cached } : {}) },
  });
  return { runtime, engine, waits };
}

async function rejection(p: Promise<unknown>): Promise<APIError> {
  return p.then(() => { throw new Error('expected a rejection'); }, (e: unknown) => e as APIError);
}

const text = (chunks: ChatCompletionChunk[]) => chunks.flatMap((c) => c.choices.map((x) => x.delta.content ?? '')).join('');
const signal = () => new AbortController().signal;

describe('remote engine', () => {
  it('streams the server chunks in OpenAI shape: registered id, remote fingerprint, usage last; only what the server should see is sent', async () => {
    const server = await fake(() => ({ sse: streamOf(['Re', 'mote']) }));
    const { runtime } = hybrid([{ id: 'm', engine: 'remote', remote: { baseURL: server.baseURL, apiKey: 'sk-test', model: 'served-name' } }]);
    const started = await runtime.startChatCompletion(
      { model: 'm', messages: user, stream: true, stream_options: { include_usage: true }, routing: 'only_remote', reasoning_format: 'inline', top_k: 5, temperature: 0 },
      signal(),
    );
    expect(started.served).toBe('remote');
    const chunks = await collect(started);
    for (const c of chunks) {
      expect(ChatCompletionChunk.parse(c)).toEqual(c);
      expect(c.model).toBe('m');
      expect(c.system_fingerprint).toBe('webinfer-remote');
    }
    expect(text(chunks)).toBe('Remote');
    expect(chunks.at(-1)!.usage).toEqual({ prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 });
    expect(chunks.at(-2)!.choices[0]!.finish_reason).toBe('stop');
    const sent = server.requests[0]!;
    expect(sent.path).toBe('/v1/chat/completions');
    expect(sent.headers.authorization).toBe('Bearer sk-test');
    expect(sent.body).toEqual({ model: 'served-name', messages: user, stream: true, stream_options: { include_usage: true }, top_k: 5, temperature: 0 });
  });

  it("folds a non-streaming answer; transformers serve's dialect (usage on the finish chunk, no [DONE], no logprobs) streams in OpenAI's shape", async () => {
    const server = await fake((req) => req.body.stream
      ? { sse: [chunk({ role: 'assistant' }), chunk({ content: 'a' }), { ...chunk({}, 'length'), usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 } }].map((c: any) => ({ ...c, choices: c.choices.map(({ finish_reason, ...x }: any) => (finish_reason ? { ...x, finish_reason } : x)) })) }
      : { body: { id: 'x', object: 'chat.completion', created: 2, model: 'served', choices: [{ index: 0, message: { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'f', arguments: '{"a":1}' } }] }, finish_reason: 'tool_calls' }], usage: { prompt_tokens: 4, completion_tokens: 5, total_tokens: 9 } } });
    const { runtime } = hybrid([{ id: 'm', engine: 'remote', remote: { baseURL: server.baseURL } }]);
    const done = await runtime.createChatCompletion({ model: 'm', messages: user }, signal());
    expect(done.choices[0]).toEqual({ index: 0, message: { role: 'assistant', content: null, refusal: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'f', arguments: '{"a":1}' } }] }, logprobs: null, finish_reason: 'tool_calls' });
    expect(done.usage).toEqual({ prompt_tokens: 4, completion_tokens: 5, total_tokens: 9 });
    expect(server.requests[0]!.body.stream).toBe(false);
    const streamed = await collect(await runtime.startChatCompletion({ model: 'm', messages: user, stream: true, stream_options: { include_usage: true } }, signal()));
    expect(streamed.map((c) => [c.choices[0]?.delta.content ?? null, c.choices[0]?.finish_reason ?? null, c.usage ?? null])).toEqual([
      [null, null, null], ['a', null, null], [null, 'length', null], [null, null, { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 }],
    ]);
  });

  it("maps the server's errors to typed errors with its status, code and param (OpenAI, FastAPI and TGI bodies)", async () => {
    const bodies = [
      { status: 400, body: { error: { message: 'bad temperature', type: 'invalid_request_error', param: 'temperature', code: 'invalid_value' } } },
      { status: 422, body: { detail: [{ loc: ['body', 'messages', 0], msg: 'field required', type: 'missing' }] } },
      { status: 404, body: { error: 'Model not found', error_type: 'not_found' } },
      { status: 401, body: 'Unauthorized' },
    ];
    const server = await fake((_r, i) => bodies[i]!);
    const { runtime } = hybrid([{ id: 'm', engine: 'remote', remote: { baseURL: server.baseURL } }]);
    const errors = [];
    for (let i = 0; i < bodies.length; i++) errors.push(await rejection(runtime.startChatCompletion({ model: 'm', messages: user }, signal())));
    expect(errors.map((e) => [e.constructor.name, e.status, e.code, e.param])).toEqual([
      ['BadRequestError', 400, 'invalid_value', 'temperature'],
      ['UnprocessableEntityError', 422, null, 'messages.0'],
      ['NotFoundError', 404, 'not_found', null],
      ['AuthenticationError', 401, null, null],
    ]);
    expect(errors[0]!.message).toMatch(/^Remote server 127\.0\.0\.1:\d+: bad temperature$/);
    expect(server.requests).toHaveLength(4); // 4xx are not retried
  });

  it('retries 429 and 5xx with backoff (Retry-After honoured), then answers; gives up with the typed error', async () => {
    const replies = [
      { status: 429, headers: { 'retry-after': '2' }, body: { error: { message: 'slow down', type: 'rate_limit_error', code: 'rate_limited' } } },
      { status: 503, body: { error: { message: 'loading' } } },
      { sse: streamOf(['ok']) },
    ];
    const server = await fake((_r, i) => replies[i]!);
    const { runtime, waits } = hybrid([{ id: 'm', engine: 'remote', remote: { baseURL: server.baseURL } }]);
    expect(text(await collect(await runtime.startChatCompletion({ model: 'm', messages: user, stream: true }, signal())))).toBe('ok');
    expect(waits[0]).toBe(2000);
    expect(waits[1]).toBeGreaterThanOrEqual(750); // attempt 1: 1 s +-25%
    expect(waits[1]).toBeLessThanOrEqual(1250);

    const down = await fake(() => ({ status: 500, body: { error: { message: 'boom' } } }));
    const { runtime: r2 } = hybrid([{ id: 'm', engine: 'remote', remote: { baseURL: down.baseURL, maxRetries: 1 } }]);
    const err = await rejection(r2.startChatCompletion({ model: 'm', messages: user }, signal()));
    expect([err.status, err.type]).toEqual([500, 'server_error']);
    expect(down.requests).toHaveLength(2);
  });

  it('a server that cannot be reached is a 503 remote_unavailable; one that does not answer in time a 504 remote_timeout', async () => {
    const gone = await fake(() => ({ body: {} }));
    const url = gone.baseURL;
    await gone.stop();
    servers = [];
    const { runtime } = hybrid([{ id: 'm', engine: 'remote', remote: { baseURL: url } }]);
    const err = await rejection(runtime.startChatCompletion({ model: 'm', messages: user }, signal()));
    expect(err).toBeInstanceOf(ServiceUnavailableError);
    expect(err.code).toBe('remote_unavailable');

    const slow = await fake(() => ({ hang: true }));
    const { runtime: r2 } = hybrid([{ id: 'm', engine: 'remote', remote: { baseURL: slow.baseURL, timeoutMs: 150, maxRetries: 0 } }]);
    const stream = await r2.startChatCompletion({ model: 'm', messages: user, stream: true }, signal());
    const timeout = await rejection(collect(stream));
    expect([timeout.status, timeout.code]).toEqual([504, 'remote_timeout']);
  });

  it('an abort mid-stream closes the connection to the server', async () => {
    const server = await fake(() => ({ sse: streamOf(Array.from({ length: 200 }, () => 'x')), eventDelayMs: 10 }));
    const { runtime } = hybrid([{ id: 'm', engine: 'remote', remote: { baseURL: server.baseURL } }]);
    const controller = new AbortController();
    const stream = await runtime.startChatCompletion({ model: 'm', messages: user, stream: true }, controller.signal);
    let seen = 0;
    await expect((async () => {
      for await (const _ of stream) if (++seen === 3) controller.abort();
    })()).rejects.toThrow(/abort/i);
    expect(await server.requests[0]!.closedEarly).toBe(true);
  });

  it('an error event inside the stream is a typed error', async () => {
    const server = await fake(() => ({ sse: [chunk({ content: 'a' }), { error: { message: 'engine died', type: 'server_error', code: 500 } }] }));
    const { runtime } = hybrid([{ id: 'm', engine: 'remote', remote: { baseURL: server.baseURL } }]);
    const err = await rejection(collect(await runtime.startChatCompletion({ model: 'm', messages: user, stream: true }, signal())));
    expect([err.status, err.message]).toEqual([500, expect.stringContaining('engine died')]);
  });

  it('legacy completions go to the server too: streamed and folded, in OpenAI\'s shape', async () => {
    const piece = (text: string, finish: string | null = null) => ({ id: 'cmpl-x', object: 'text_completion', created: 1, model: 'served', choices: [{ index: 0, text, finish_reason: finish }] });
    const server = await fake((req) => req.body.stream
      ? { sse: [piece('Once'), piece(' upon'), piece('', 'length'), { ...piece(''), choices: [], usage: { prompt_tokens: 2, completion_tokens: 2, total_tokens: 4 } }, 'data: [DONE]\n\n'] }
      : { body: { ...piece('Once upon', 'length'), usage: { prompt_tokens: 2, completion_tokens: 2, total_tokens: 4 } } });
    const { runtime } = hybrid([{ id: 'h', remote: { baseURL: server.baseURL, model: 'served' }, routing: 'prefer_remote' }]);
    const streamed = await runtime.startCompletion({ model: 'h', prompt: 'Tell', max_tokens: 2, stream: true, stream_options: { include_usage: true } }, signal());
    expect(streamed.served).toBe('remote');
    const chunks = await collect(streamed);
    expect(chunks.map((c) => c.choices[0]?.text ?? null)).toEqual(['Once', ' upon', '', null]);
    expect(chunks.every((c) => c.model === 'h' && c.system_fingerprint === 'webinfer-remote' && c.object === 'text_completion')).toBe(true);
    expect(chunks.at(-1)!.usage).toEqual({ prompt_tokens: 2, completion_tokens: 2, total_tokens: 4 });
    const whole = await collectCompletion(await runtime.startCompletion({ model: 'h', prompt: 'Tell', max_tokens: 2 }, signal()));
    expect(whole.choices).toEqual([{ index: 0, text: 'Once upon', logprobs: null, finish_reason: 'length' }]);
    expect(server.requests.map((r) => r.body)).toEqual([
      { model: 'served', prompt: 'Tell', max_tokens: 2, stream: true, stream_options: { include_usage: true } },
      { model: 'served', prompt: 'Tell', max_tokens: 2 },
    ]);
  });

  it("an answer that is not OpenAI's shape is a 502 remote_bad_response, not a 500", async () => {
    const server = await fake((req) => (req.body.stream ? { sse: [chunk({ content: 'a' }), 'data: {not json\n\n'] } : { body: '<html>proxy error</html>' }));
    const { runtime } = hybrid([{ id: 'm', engine: 'remote', remote: { baseURL: server.baseURL } }]);
    const streamed = await rejection(collect(await runtime.startChatCompletion({ model: 'm', messages: user, stream: true }, signal())));
    const whole = await rejection(runtime.startChatCompletion({ model: 'm', messages: user }, signal()).then(collect));
    expect([streamed, whole].map((e) => [e.status, e.code])).toEqual([[502, 'remote_bad_response'], [502, 'remote_bad_response']]);
  });
});

describe('routing', () => {
  it('prefer_on_device (default) serves locally; a local load failure falls back to the server; stats say which side served', async () => {
    const server = await fake(() => ({ sse: streamOf(['Re', 'mote']) }));
    const { runtime } = hybrid([{ id: 'h', remote: { baseURL: server.baseURL } }]);
    const local = await runtime.startChatCompletion({ model: 'h', messages: user, stream: true }, signal());
    expect([local.served, text(await collect(local))]).toEqual(['local', 'Local']);
    const remote = await runtime.startChatCompletion({ model: 'h', messages: user, stream: true, routing: 'prefer_remote' }, signal());
    expect([remote.served, text(await collect(remote))]).toEqual(['remote', 'Remote']);
    expect(runtime.stats().routing.h).toMatchObject({ local: 1, remote: 1, fallbacks: 0, last: 'remote' });

    const failing = hybrid([{ id: 'h', remote: { baseURL: server.baseURL } }], new ServiceUnavailableError('no adapter', { code: 'webgpu_unavailable' }));
    const fell = await failing.runtime.startChatCompletion({ model: 'h', messages: user, stream: true }, signal());
    expect([fell.served, text(await collect(fell))]).toEqual(['remote', 'Remote']);
    expect(failing.runtime.stats().routing.h).toMatchObject({ remote: 1, fallbacks: 1, lastFallbackReason: 'webgpu_unavailable' });
    // The device is not asked again at once (no second load attempt).
    const again = await failing.runtime.startChatCompletion({ model: 'h', messages: user, stream: true }, signal());
    expect(again.served).toBe('remote');
    expect(failing.engine.loads).toBe(0); // the scripted engine counts successful loads only
    expect(failing.runtime.stats().routing.h!.lastFallbackReason).toBe('local skipped: webgpu_unavailable');
    // only_on_device gets the local error itself.
    const err = await rejection(failing.runtime.startChatCompletion({ model: 'h', messages: user, routing: 'only_on_device' }, signal()));
    expect(err.code).toBe('webgpu_unavailable');
  });

  it('a request too long for the local context goes to the server; a bad request does not', async () => {
    const server = await fake(() => ({ sse: streamOf(['long']) }));
    const { runtime } = hybrid([{ id: 'h', remote: { baseURL: server.baseURL }, contextLength: 4 }]);
    const routed = await runtime.startChatCompletion({ model: 'h', messages: [{ role: 'user', content: 'x '.repeat(2000) }], stream: true }, signal());
    expect(routed.served).toBe('remote');
    const bad = await rejection(runtime.startChatCompletion({ model: 'h', messages: user, top_logprobs: 2 }, signal()));
    expect([bad.status, bad.param]).toEqual([400, 'top_logprobs']);
    expect(server.requests).toHaveLength(1);
  });

  it('prefer_on_device does not try a model larger than half the device memory when a remote exists', async () => {
    const server = await fake(() => ({ sse: streamOf(['big']) }));
    const GiB = 2 ** 30;
    const { runtime, engine } = hybrid([{ id: 'big', sizeBytes: 3 * GiB, remote: { baseURL: server.baseURL } }, { id: 'small', sizeBytes: GiB, remote: { baseURL: server.baseURL } }], undefined, 4 * GiB);
    const big = await runtime.startChatCompletion({ model: 'big', messages: user, stream: true }, signal());
    const small = await runtime.startChatCompletion({ model: 'small', messages: user, stream: true }, signal());
    expect([big.served, small.served]).toEqual(['remote', 'local']);
    await Promise.all([collect(big), collect(small)]);
    expect(engine.loads).toBe(1);
    expect(runtime.stats().routing.big!.lastFallbackReason).toBe('local skipped: insufficient_memory');
    // Asked for explicitly, the device still tries.
    const forced = await runtime.startChatCompletion({ model: 'big', messages: user, stream: true, routing: 'only_on_device' }, signal());
    expect(forced.served).toBe('local');
    await collect(forced);
  });

  it('a model whose files are already cached is tried on the device even when memory looks tight', async () => {
    const server = await fake(() => ({ sse: streamOf(['big']) }));
    const GiB = 2 ** 30;
    const asked: string[] = [];
    const { runtime } = hybrid([{ id: 'cached', sizeBytes: 3 * GiB, remote: { baseURL: server.baseURL } }, { id: 'fresh', sizeBytes: 3 * GiB, remote: { baseURL: server.baseURL } }, { id: 'small', sizeBytes: GiB, remote: { baseURL: server.baseURL } }], undefined, 4 * GiB, {
      cached: async (spec) => (asked.push(spec.id), spec.id === 'cached'),
    });
    const served = [];
    for (const model of ['cached', 'fresh', 'small']) {
      const started = await runtime.startChatCompletion({ model, messages: user, stream: true }, signal());
      served.push(started.served);
      await collect(started);
    }
    expect(served).toEqual(['local', 'remote', 'local']);
    expect(asked).toEqual(['cached', 'fresh']); // only asked when memory is tight
  });

  it('a device lost before any output moves the request to the server; after output went out, a typed 503', async () => {
    const server = await fake(() => ({ sse: streamOf(['Re', 'mote']) }));
    const lost = () => new ServiceUnavailableError('The GPU device was lost.', { code: 'gpu_device_lost' });
    const early = hybrid([{ id: 'h', remote: { baseURL: server.baseURL } }], undefined, null, { script: { failAt: { step: 0, error: lost() } } });
    const moved = await early.runtime.startChatCompletion({ model: 'h', messages: user, stream: true }, signal());
    expect(moved.served).toBe('local');
    const chunks = await collect(moved);
    expect([moved.served, text(chunks)]).toEqual(['remote', 'Remote']);
    expect(chunks.filter((c) => c.choices[0]?.delta.role)).toHaveLength(1); // the local role chunk was held back
    expect(early.runtime.stats().routing.h).toMatchObject({ local: 0, remote: 1, fallbacks: 1, lastFallbackReason: 'gpu_device_lost (mid-generation)' });
    const next = await early.runtime.startChatCompletion({ model: 'h', messages: user, stream: true }, signal()); // the device is skipped for a while
    expect([next.served, text(await collect(next))]).toEqual(['remote', 'Remote']);

    const late = hybrid([{ id: 'h', remote: { baseURL: server.baseURL } }], undefined, null, { script: { failAt: { step: 1, error: lost() } } });
    const partial = await late.runtime.startChatCompletion({ model: 'h', messages: user, stream: true }, signal());
    const got: string[] = [];
    const err = await rejection((async () => { for await (const c of partial) got.push(c.choices[0]?.delta.content ?? ''); })());
    expect(got.join('')).toBe('Lo');
    expect([err.status, err.code, err.message]).toEqual([503, 'gpu_device_lost', expect.stringContaining('already been sent')]);
    const only = hybrid([{ id: 'h', remote: { baseURL: server.baseURL }, routing: 'only_on_device' }], undefined, null, { script: { failAt: { step: 0, error: lost() } } });
    const kept = await only.runtime.startChatCompletion({ model: 'h', messages: user, stream: true }, signal());
    expect((await rejection(collect(kept))).code).toBe('gpu_device_lost');
    expect(server.requests).toHaveLength(2);
  });

  it('prefer_remote falls back to the device when the server is down; only_remote gets the typed 503', async () => {
    const down = await fake(() => ({ status: 503, body: { error: { message: 'overloaded' } } }));
    const { runtime } = hybrid([{ id: 'h', remote: { baseURL: down.baseURL, maxRetries: 0 }, routing: 'prefer_remote' }]);
    const fell = await runtime.startChatCompletion({ model: 'h', messages: user, stream: true }, signal());
    expect([fell.served, text(await collect(fell))]).toEqual(['local', 'Local']);
    const err = await rejection(runtime.startChatCompletion({ model: 'h', messages: user, routing: 'only_remote' }, signal()));
    expect([err.status, err.message]).toEqual([503, expect.stringContaining('overloaded')]);
  });

  it('a mode the model cannot honour is a 400 naming routing; an unknown mode too', async () => {
    const server = await fake(() => ({ sse: streamOf(['x']) }));
    const { runtime } = hybrid([{ id: 'l' }, { id: 'r', engine: 'remote', remote: { baseURL: server.baseURL } }]);
    const a = await rejection(runtime.startChatCompletion({ model: 'l', messages: user, routing: 'only_remote' }, signal()));
    const b = await rejection(runtime.startChatCompletion({ model: 'r', messages: user, routing: 'only_on_device' }, signal()));
    const c = await rejection(runtime.startChatCompletion({ model: 'r', messages: user, routing: 'cloud' }, signal()));
    expect([a, b, c].map((e) => [e.status, e.param, e.code])).toEqual([
      [400, 'routing', 'routing_unavailable'], [400, 'routing', 'routing_unavailable'], [400, 'routing', 'invalid_value'],
    ]);
    expect(server.requests).toHaveLength(0);
  });

  it("the Responses API goes to the server's own /v1/responses; the chain stays in this runtime's store and the server gets the whole conversation", async () => {
    const answer = (id: string, text: string) => ({ id, object: 'response', created_at: 1, status: 'completed', model: 'served', output: [{ type: 'message', id: `msg_${id}`, role: 'assistant', status: 'completed', content: [{ type: 'output_text', text, annotations: [] }] }], usage: { input_tokens: 2, output_tokens: 1, total_tokens: 3 } });
    const server = await fake((req, i) => req.body.stream
      ? { sse: [{ type: 'response.created', sequence_number: 0, response: { ...answer(`r${i}`, ''), status: 'in_progress', output: [] } }, { type: 'response.output_text.delta', sequence_number: 1, item_id: `msg_r${i}`, output_index: 0, content_index: 0, delta: 'Again' }, { type: 'response.completed', sequence_number: 2, response: answer(`r${i}`, 'Again') }] }
      : { body: answer(`r${i}`, 'Native') });
    const { runtime } = hybrid([{ id: 'r', engine: 'remote', remote: { baseURL: server.baseURL, model: 'served', responses: 'native' } }]);
    const first = await runtime.createResponse({ model: 'r', input: 'hello', instructions: 'be brief' }, signal());
    expect([first.id, first.model, (first.output[0] as any).content[0].text]).toEqual(['r0', 'r', 'Native']);
    expect(server.requests[0]!.path).toBe('/v1/responses');
    expect(server.requests[0]!.body).toEqual({ model: 'served', input: 'hello', instructions: 'be brief', stream: false, store: false });

    const events = await runtime.startResponse({ model: 'r', input: 'more', previous_response_id: first.id, stream: true }, signal());
    expect(events.served).toBe('remote');
    const all = await collect(events);
    expect(all.map((e) => e.type)).toEqual(['response.created', 'response.output_text.delta', 'response.completed']);
    const sent = server.requests[1]!.body;
    expect(sent.previous_response_id).toBeUndefined();
    expect(sent.input.map((item: any) => [item.role, item.content[0].text])).toEqual([['user', 'hello'], ['assistant', 'Native'], ['user', 'more']]);
    // Both are in this runtime's store: retrievable, and their items listed.
    expect(runtime.retrieveResponse('r1').model).toBe('r');
    expect(runtime.listResponseInputItems('r1').data).toHaveLength(3);
    // An invalid request is core's 400, before the server sees anything.
    const bad = await rejection(runtime.startResponse({ model: 'r', input: 'x', previous_response_id: 'resp_unknown' }, signal()));
    expect([bad.status, bad.param]).toEqual([404, 'previous_response_id']);
    expect(server.requests).toHaveLength(2);
  });

  it('prefer_remote: a Responses request whose server is down is translated for the device, counted once', async () => {
    const down = await fake(() => ({ status: 503, body: { error: { message: 'overloaded' } } }));
    const { runtime } = hybrid([{ id: 'h', remote: { baseURL: down.baseURL, maxRetries: 0 }, routing: 'prefer_remote' }]);
    const events = await runtime.startResponse({ model: 'h', input: 'hello' }, signal());
    expect(events.served).toBe('local');
    expect(((await collect(events)).at(-1) as any).response.output[0].content[0].text).toBe('Local');
    expect(down.requests.map((r) => r.path)).toEqual(['/v1/responses']);
    expect(runtime.stats().routing.h).toMatchObject({ local: 1, remote: 0, fallbacks: 1 });
  });

  it("a server without /v1/responses (404) gets chat from then on ('auto'); 'native' gets the typed 404; the remote model is listed, without its key", async () => {
    const server = await fake((req) => (req.path === '/v1/responses' ? { status: 404, body: { detail: 'Not Found' } } : { sse: streamOf(['Hi']) }));
    const { runtime } = hybrid([{ id: 'r', engine: 'remote', remote: { baseURL: server.baseURL, apiKey: 'sk-secret' } }, { id: 'n', engine: 'remote', remote: { baseURL: server.baseURL, responses: 'native' } }]);
    for (let i = 0; i < 2; i++) {
      const events = await runtime.startResponse({ model: 'r', input: 'hello', instructions: 'be brief' }, signal());
      expect(events.served).toBe('remote');
      const done = (await collect(events)).at(-1) as any;
      expect(done.response.output[0].content[0].text).toBe('Hi');
    }
    expect(server.requests.map((r) => r.path)).toEqual(['/v1/responses', '/v1/chat/completions', '/v1/chat/completions']);
    expect(server.requests[1]!.body.messages).toEqual([{ role: 'system', content: 'be brief' }, { role: 'user', content: [{ type: 'text', text: 'hello' }] }]);
    const err = await rejection(runtime.startResponse({ model: 'n', input: 'hello' }, signal()));
    expect([err.status, err.message]).toEqual([404, expect.stringContaining('Not Found')]);
    const listed = runtime.listModels().data.find((m) => m.id === 'r')!;
    expect(listed.engine).toBe('remote');
    expect(JSON.stringify(runtime.listModels())).not.toContain('sk-secret');
    expect(JSON.stringify(runtime.stats())).not.toContain('sk-secret');
  });
});

describe('registration', () => {
  it("register({ id, engine: 'remote', baseURL, apiKey?, model? }) and a local model's remote; bad fields are 400s naming them", async () => {
    const { api, runtime } = createHost();
    await api.registerModel({ id: 'r', engine: 'remote', baseURL: 'http://127.0.0.1:9/v1', apiKey: 'k', model: 'served' });
    await api.registerModel({ id: 'h', repo: 'x/y', remote: { baseURL: '/proxy/v1' }, routing: 'prefer_remote' });
    const models = (await api.listModels()).data;
    expect(models.find((m) => m.id === 'r')).toMatchObject({ engine: 'remote', owned_by: 'remote' });
    expect(models.find((m) => m.id === 'h')).toMatchObject({ engine: 'transformers', routing: 'prefer_remote' });
    const errs = await Promise.all([
      rejection(api.registerModel({ id: 'x', engine: 'remote', baseURL: 'ftp://host/v1' })),
      rejection(api.registerModel({ id: 'x', engine: 'remote' })),
      rejection(api.registerModel({ id: 'x', remote: { baseURL: 'http://h/v1', timeoutMs: -1 } })),
      rejection(api.registerModel({ id: 'x', routing: 'cloud' as never })),
    ]);
    expect(errs.map((e) => [e.status, e.param])).toEqual([[400, 'baseURL'], [400, 'baseURL'], [400, 'remote.timeoutMs'], [400, 'routing']]);
  });
});

describe('through the gateway', () => {
  it('x-webinfer-served says remote; /v1/models lists the remote model without its key; a remote model loads as device remote', async () => {
    const server = await fake(() => ({ sse: streamOf(['Hi']) }));
    const { api, runtime } = createHost();
    await api.registerModel({ id: 'r', engine: 'remote', baseURL: server.baseURL, apiKey: 'sk-secret' });
    const gateway = createGateway({ backend: hostBackend(api) });
    const post = (body: object) => gateway.handle(new Request('http://app.test/v1/chat/completions', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }));
    const streamed = await post({ model: 'r', messages: user, stream: true });
    expect(streamed.headers.get('x-webinfer-served')).toBe('remote');
    expect(await streamed.text()).toContain('"content":"Hi"');
    const models = await (await gateway.handle(new Request('http://app.test/v1/models'))).text();
    expect(models).toContain('"id":"r"');
    expect(models).not.toContain('sk-secret');
    const bad = await post({ model: 'r', messages: user, routing: 'only_on_device' });
    expect(bad.status).toBe(400);
    expect(bad.headers.get('x-webinfer-served')).toBeNull();
    expect(server.requests).toHaveLength(1);
    expect(server.requests[0]!.headers.authorization).toBe('Bearer sk-secret');
    expect(await runtime.loadModel('r')).toMatchObject({ id: 'r', engine: 'remote', device: 'remote' });
  });
});
