import { describe, expect, it } from 'vitest';
import { Response as ResponseObject } from '../protocol/responses.js';
import { createGateway } from './gateway.js';
import { hostBackend } from './port-backend.js';
import { cancelAfterTwoChunks } from '../../tests/support/cancel-sse.js';
import { testHost, type ScriptOptions } from './test-support.js';

const ORIGIN = 'http://localhost:5173';
const REPLY = ['Hello', ' from', ' the', ' gateway', '.'];

function setup(script: ScriptOptions = {}) {
  const { host, log } = testHost([{ id: 'm', script: { reply: REPLY, ...script } }]);
  const gateway = createGateway({ backend: hostBackend(host.api) });
  const fetch = (path: string, init: RequestInit & { json?: unknown } = {}) => {
    const { json, ...rest } = init;
    return gateway.handle(new Request(ORIGIN + path, {
      method: json !== undefined ? 'POST' : 'GET',
      ...rest,
      headers: json !== undefined ? { 'content-type': 'application/json' } : {},
      ...(json !== undefined ? { body: JSON.stringify(json) } : {}),
    }));
  };
  return { host, log, fetch };
}

const body = (extra: Record<string, unknown> = {}) => ({ model: 'm', input: 'hi there', ...extra });

/** Splits a Responses SSE body into its events, asserting the exact framing (`event:` + `data:`, no `[DONE]`). */
function parseEvents(text: string): Array<{ type: string; sequence_number: number; [k: string]: unknown }> {
  expect(text.endsWith('\n\n')).toBe(true);
  return text.slice(0, -2).split('\n\n').map((frame) => {
    const match = /^event: ([a-z_.]+)\ndata: (.+)$/.exec(frame);
    if (!match) throw new Error(`bad SSE frame: ${JSON.stringify(frame)}`);
    const data = JSON.parse(match[2]!);
    expect(data.type).toBe(match[1]);
    return data;
  });
}

describe('gateway: POST /v1/responses', () => {
  it('non-streamed: a Response with the text and usage', async () => {
    const { fetch } = setup();
    const res = await fetch('/v1/responses', { json: body({ instructions: 'Be brief.' }) });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    const out = await res.json();
    expect(ResponseObject.parse(out)).toEqual(out);
    expect(out).toMatchObject({ object: 'response', status: 'completed', model: 'm', instructions: 'Be brief.' });
    expect(out.output).toHaveLength(1);
    expect(out.output[0].content[0].text).toBe(REPLY.join(''));
    expect(out.usage.output_tokens).toBe(REPLY.length + 1);
    expect(out.usage.total_tokens).toBe(out.usage.input_tokens + out.usage.output_tokens);
  });

  it('streamed: `event:`/`data:` frames in OpenAI order, no [DONE]', async () => {
    const { fetch } = setup();
    const res = await fetch('/v1/responses', { json: body({ stream: true }) });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const text = await res.text();
    expect(text).not.toContain('[DONE]');
    const events = parseEvents(text);
    expect(events.map((e) => e.sequence_number)).toEqual(events.map((_, i) => i));
    expect(events.map((e) => e.type)).toEqual([
      'response.created', 'response.in_progress', 'response.output_item.added', 'response.content_part.added',
      ...REPLY.map(() => 'response.output_text.delta'),
      'response.output_text.done', 'response.content_part.done', 'response.output_item.done', 'response.completed',
    ]);
    expect(events.filter((e) => e.type === 'response.output_text.delta').map((e) => e.delta).join('')).toBe(REPLY.join(''));
  });

  it('400s name the Responses param, as JSON errors before any stream', async () => {
    const { fetch } = setup();
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ input: [{ role: 'user', content: [{ type: 'input_image', file_id: 'file-1' }] }], stream: true }, 'input[0].content[0].file_id'],
      [{ background: true }, 'background'],
      [{ tools: [{ type: 'file_search', vector_store_ids: [] }] }, 'tools[0].type'],
      [{ bogus: true }, 'bogus'],
    ];
    for (const [extra, param] of cases) {
      const res = await fetch('/v1/responses', { json: body(extra) });
      expect(res.status).toBe(400);
      expect(res.headers.get('content-type')).toBe('application/json');
      const { error } = await res.json();
      expect(error).toMatchObject({ type: 'invalid_request_error', param });
    }
  });

  it('GET/DELETE /v1/responses/{id}, input_items, cancel: the in-memory store', async () => {
    const { fetch } = setup();
    const created = await (await fetch('/v1/responses', { json: body({ instructions: 'Be brief.' }) })).json();
    expect(created.store).toBe(true);
    const got = await fetch(`/v1/responses/${created.id}`);
    expect(got.status).toBe(200);
    expect(await got.json()).toEqual(created);

    const items = await (await fetch(`/v1/responses/${created.id}/input_items`)).json();
    expect(items).toMatchObject({ object: 'list', has_more: false, data: [{ type: 'message', role: 'user', content: [{ type: 'input_text', text: 'hi there' }] }] });
    expect(items.first_id).toBe(items.data[0].id);
    expect(items.last_id).toBe(items.data[0].id);

    // A second turn on it: its input_items are the whole conversation, newest first by default.
    const second = await (await fetch('/v1/responses', { json: body({ input: 'more', previous_response_id: created.id }) })).json();
    expect(second.previous_response_id).toBe(created.id);
    const page1 = await (await fetch(`/v1/responses/${second.id}/input_items?limit=2`)).json();
    expect(page1.data.map((i: any) => i.role)).toEqual(['user', 'assistant']);
    expect(page1.data[0].content[0].text).toBe('more');
    expect(page1.has_more).toBe(true);
    const page2 = await (await fetch(`/v1/responses/${second.id}/input_items?limit=2&after=${page1.last_id}`)).json();
    expect(page2).toMatchObject({ has_more: false, data: [{ role: 'user', content: [{ text: 'hi there' }] }] });
    const asc = await (await fetch(`/v1/responses/${second.id}/input_items?order=asc`)).json();
    expect(asc.data.map((i: any) => i.id)).toEqual([page2.data[0].id, ...page1.data.map((i: any) => i.id).reverse()]);
    expect(asc.data[1].id).toBe(created.output[0].id);
    const badLimit = await fetch(`/v1/responses/${second.id}/input_items?limit=0`);
    expect(badLimit.status).toBe(400);
    expect((await badLimit.json()).error.param).toBe('limit');

    const cancel = await fetch(`/v1/responses/${created.id}/cancel`, { method: 'POST' });
    expect(cancel.status).toBe(400);
    expect((await cancel.json()).error.message).toMatch(/only background responses/);

    const deleted = await fetch(`/v1/responses/${created.id}`, { method: 'DELETE' });
    expect(deleted.status).toBe(200);
    expect(await deleted.json()).toEqual({ id: created.id, object: 'response.deleted', deleted: true });
    for (const [path, method] of [[`/v1/responses/${created.id}`, 'GET'], [`/v1/responses/${created.id}`, 'DELETE'], [`/v1/responses/${created.id}/input_items`, 'GET']] as const) {
      const res = await fetch(path, { method });
      expect(res.status).toBe(404);
      const { error } = await res.json();
      expect(error).toMatchObject({ type: 'invalid_request_error', code: 'not_found', param: 'response_id' });
      expect(error.message).toContain(created.id);
      expect(error.message).toMatch(/evicted/);
    }
    const chained = await fetch('/v1/responses', { json: body({ previous_response_id: created.id }) });
    expect(chained.status).toBe(404);
    expect((await chained.json()).error).toMatchObject({ param: 'previous_response_id', code: 'not_found' });
  });

  it('store: false stores nothing, and the Response says so', async () => {
    const { fetch } = setup();
    const created = await (await fetch('/v1/responses', { json: body({ store: false, stream: true }) })).text();
    const done = parseEvents(created).at(-1) as any;
    expect(done.response.store).toBe(false);
    expect((await fetch(`/v1/responses/${done.response.id}`)).status).toBe(404);
  });

  it('a streamed response is stored by the time its last event arrives', async () => {
    const { fetch } = setup();
    const done = parseEvents(await (await fetch('/v1/responses', { json: body({ stream: true }) })).text()).at(-1) as any;
    expect(done.type).toBe('response.completed');
    expect(await (await fetch(`/v1/responses/${done.response.id}`)).json()).toEqual(done.response);
  });

  it('an engine failure mid-stream: response.failed, then an error event; no [DONE]', async () => {
    const { fetch } = setup({ failAt: 2 });
    const res = await fetch('/v1/responses', { json: body({ stream: true }) });
    expect(res.status).toBe(200);
    const events = parseEvents(await res.text());
    expect(events.slice(-2).map((e) => e.type)).toEqual(['response.failed', 'error']);
    expect(events.at(-2)).toMatchObject({ response: { status: 'failed', error: { code: 'server_error', message: 'engine crashed' } } });
    expect(events.at(-1)).toMatchObject({ message: 'engine crashed', sequence_number: events.length - 1 });
  });

  it('cancelling the SSE body aborts the generation and frees the queue', async () => {
    const { fetch, log, host } = setup({ endless: true, delayMs: 2 });
    const res = await fetch('/v1/responses', { json: body({ stream: true, max_output_tokens: 2000 }) });
    const { ended, queue } = await cancelAfterTwoChunks(res, { host, log });
    expect(ended).toBe('aborted');
    expect(queue).toEqual({ running: false, pending: 0 });
    const next = await (await fetch('/v1/responses', { json: body({ max_output_tokens: 3 }) })).json();
    expect(next).toMatchObject({ status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' } });
  });
});
