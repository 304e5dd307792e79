import { describe, expect, it } from 'vitest';
import { resolveInput } from '../../src/core/endpoints/response-chain.js';
import { ResponseStore, listInputItems, type StoredItem, type StoredResponse } from '../../src/core/endpoints/response-store.js';
import { toChatRequest } from '../../src/core/endpoints/responses.js';
import type { APIError } from '../../src/protocol/errors.js';
import { ResponseCreateParams, type Response } from '../../src/protocol/responses.js';
import { parseRequest } from '../../src/protocol/validate.js';
import { collect, scriptedRuntime } from '../support/scripted-engine.js';

const signal = () => new AbortController().signal;

async function rejection(p: Promise<unknown>): Promise<APIError> {
  return p.then(() => { throw new Error('expected a rejection'); }, (e: unknown) => e as APIError);
}

function entry(id: string, text = 'x'): StoredResponse {
  const output = [{ type: 'message' as const, id: `msg_${id}`, status: 'completed' as const, role: 'assistant' as const, content: [{ type: 'output_text' as const, text, annotations: [], logprobs: [] }] }];
  return { response: { id, output } as unknown as Response, input: [{ type: 'message', id: `in_${id}`, role: 'user', content: text }], output };
}

describe('ResponseStore', () => {
  it('LRU by count: the least recently used goes first; get() counts as a use', () => {
    const store = new ResponseStore({ maxEntries: 2 });
    store.put(entry('a'));
    store.put(entry('b'));
    expect(store.get('a')).toBeDefined();
    store.put(entry('c'));
    expect(store.get('b')).toBeUndefined();
    expect(store.get('a')).toBeDefined();
    expect(store.get('c')).toBeDefined();
    expect(store.size).toBe(2);
  });

  it('LRU by estimated bytes: a big entry evicts old ones; one larger than the store is not kept', () => {
    const small = JSON.stringify(entry('a')).length;
    const store = new ResponseStore({ maxBytes: 10 * small });
    store.put(entry('a'));
    store.put(entry('b'));
    expect(store.bytes).toBe(2 * small);
    // The text is in the input and the output (and the Response's output): ~3x its length.
    expect(store.put(entry('big', 'y'.repeat(Math.round(2.5 * small))))).toBe(true);
    expect(store.bytes).toBeLessThanOrEqual(10 * small);
    expect(store.get('a')).toBeUndefined();
    expect(store.get('big')).toBeDefined();
    expect(store.put(entry('huge', 'z'.repeat(4 * small)))).toBe(false);
    expect(store.get('huge')).toBeUndefined();
    expect(store.get('big')).toBeDefined();
  });

  it('delete frees the bytes; findItem looks in outputs and inputs', () => {
    const store = new ResponseStore();
    store.put(entry('a'));
    expect(store.findItem('msg_a')).toMatchObject({ role: 'assistant' });
    expect(store.findItem('in_a')).toMatchObject({ role: 'user' });
    expect(store.delete('a')).toBe(true);
    expect(store.delete('a')).toBe(false);
    expect(store.bytes).toBe(0);
    expect(store.findItem('msg_a')).toBeUndefined();
  });
});

describe('input_items listing', () => {
  const items = ['a', 'b', 'c', 'd', 'e'].map((id) => ({ type: 'message', id, role: 'user', content: id }) as StoredItem);
  const ids = (q: Parameters<typeof listInputItems>[1]) => listInputItems(items, q).data.map((i) => i.id);

  it('desc by default, limit, after, asc, has_more, first_id/last_id', () => {
    expect(ids({})).toEqual(['e', 'd', 'c', 'b', 'a']);
    expect(listInputItems(items, { limit: 2 })).toMatchObject({ object: 'list', first_id: 'e', last_id: 'd', has_more: true });
    expect(ids({ limit: '2', after: 'd' })).toEqual(['c', 'b']);
    expect(listInputItems(items, { limit: 2, after: 'b' })).toMatchObject({ data: [{ id: 'a' }], has_more: false });
    expect(ids({ order: 'asc', after: 'b', limit: 2 })).toEqual(['c', 'd']);
    expect(listInputItems(items, { order: 'asc', after: 'e' })).toEqual({ object: 'list', data: [], first_id: null, last_id: null, has_more: false });
  });

  it('400s name limit, order, after', () => {
    for (const [q, param] of [[{ limit: 0 }, 'limit'], [{ limit: 101 }, 'limit'], [{ limit: 'x' }, 'limit'], [{ order: 'up' }, 'order'], [{ after: 'zz' }, 'after']] as const) {
      expect(() => listInputItems(items, q)).toThrow(expect.objectContaining({ status: 400, param }));
    }
  });
});

describe('previous_response_id and item_reference', () => {
  const REPLY = ['Hello', ' world'];

  it('a 3-turn chain: each turn renders exactly the conversation; earlier instructions are not carried', async () => {
    const { runtime, engine } = scriptedRuntime({ m: { reply: REPLY } });
    const first = await runtime.createResponse({ model: 'm', instructions: 'Be brief.', input: 'one' }, signal());
    const second = await runtime.createResponse({ model: 'm', instructions: 'Be kind.', input: 'two', previous_response_id: first.id }, signal());
    expect(second.previous_response_id).toBe(first.id);
    expect(second.instructions).toBe('Be kind.');
    const third = await runtime.createResponse({ model: 'm', input: [{ role: 'user', content: 'three' }], previous_response_id: second.id }, signal());

    // What the chat request is: the store resolves the chain (checked on the converter itself).
    const params = parseRequest(ResponseCreateParams, { model: 'm', input: 'four', previous_response_id: third.id });
    expect(toChatRequest(params, resolveInput(params, runtime.responses)).chat.messages).toEqual([
      { role: 'user', content: [{ type: 'text', text: 'one' }] },
      { role: 'assistant', content: 'Hello world' },
      { role: 'user', content: [{ type: 'text', text: 'two' }] },
      { role: 'assistant', content: 'Hello world' },
      { role: 'user', content: 'three' },
      { role: 'assistant', content: 'Hello world' },
      { role: 'user', content: [{ type: 'text', text: 'four' }] },
    ]);
    // What the engine was given (the scripted engine joins message texts with newlines).
    const prompts = engine.calls.map((c) => c.prompt.text);
    expect(prompts).toEqual([
      'Be brief.\none',
      'Be kind.\none\nHello world\ntwo',
      'one\nHello world\ntwo\nHello world\nthree',
    ]);
    expect(third.usage!.input_tokens).toBeGreaterThan(second.usage!.input_tokens);
    // input_items: the whole conversation it answered, oldest first with order=asc.
    const items = runtime.listResponseInputItems(third.id, { order: 'asc' }).data;
    expect(items.map((i) => ('role' in i ? i.role : i.type))).toEqual(['user', 'assistant', 'user', 'assistant', 'user']);
    expect(items[1]!.id).toBe(first.output[0]!.id);
    expect(new Set(items.map((i) => i.id)).size).toBe(5);
  });

  it('the same conversation sent statelessly renders the same prompt', async () => {
    const { runtime, engine } = scriptedRuntime({ m: { reply: REPLY } });
    const first = await runtime.createResponse({ model: 'm', input: 'one' }, signal());
    const chained = await runtime.createResponse({ model: 'm', input: 'two', previous_response_id: first.id }, signal());
    const explicit = await runtime.createResponse({ model: 'm', store: false, input: [{ role: 'user', content: 'one' }, ...first.output, { role: 'user', content: 'two' }] as never }, signal());
    expect(engine.calls[2]!.prompt.text).toBe(engine.calls[1]!.prompt.text);
    expect(explicit.usage!.input_tokens).toBe(chained.usage!.input_tokens);
  });

  it('item_reference resolves outputs and inputs of stored responses; items may carry ids', async () => {
    const { runtime, engine } = scriptedRuntime({ m: { reply: REPLY } });
    const first = await runtime.createResponse({ model: 'm', input: [{ type: 'message', id: 'msg_client_1', role: 'user', content: 'one' }] }, signal());
    await runtime.createResponse({
      model: 'm',
      input: [
        { type: 'item_reference', id: 'msg_client_1' },
        { type: 'item_reference', id: first.output[0]!.id },
        { type: 'message', id: 'msg_client_2', role: 'user', content: [{ type: 'input_text', text: 'two' }] },
      ],
    }, signal());
    expect(engine.calls[1]!.prompt.text).toBe('one\nHello world\ntwo');
  });

  it('a function_call item referenced back keeps the tool round trip', async () => {
    const { runtime } = scriptedRuntime({ m: { reply: REPLY } });
    const first = await runtime.createResponse({ model: 'm', input: [{ role: 'user', content: 'weather?' }, { type: 'function_call', id: 'fc_1', call_id: 'call_1', name: 'get', arguments: '{}' }] }, signal());
    const params = parseRequest(ResponseCreateParams, {
      model: 'm', input: [{ type: 'item_reference', id: 'fc_1' }, { type: 'function_call_output', call_id: 'call_1', output: '18C' }],
    });
    expect(toChatRequest(params, resolveInput(params, runtime.responses)).chat.messages).toEqual([
      { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get', arguments: '{}' } }] },
      { role: 'tool', tool_call_id: 'call_1', content: '18C', name: 'get' },
    ]);
    expect(first.store).toBe(true);
  });

  it('404s: unknown previous_response_id, unknown item_reference (param input[i]), store: false', async () => {
    const { runtime, engine } = scriptedRuntime({ m: { reply: REPLY } });
    const prev = await rejection(runtime.createResponse({ model: 'm', input: 'x', previous_response_id: 'resp_gone' }, signal()));
    expect(prev).toMatchObject({ status: 404, param: 'previous_response_id', code: 'not_found' });
    expect(prev.message).toMatch(/resp_gone.*evicted.*restarted/s);
    const ref = await rejection(runtime.createResponse({ model: 'm', input: [{ role: 'user', content: 'a' }, { type: 'item_reference', id: 'msg_gone' }] }, signal()));
    expect(ref).toMatchObject({ status: 404, param: 'input[1]', code: 'not_found' });
    expect(ref.message).toContain('msg_gone');

    const unstored = await runtime.createResponse({ model: 'm', input: 'x', store: false }, signal());
    expect(unstored.store).toBe(false);
    expect(runtime.responses.size).toBe(0);
    expect(() => runtime.retrieveResponse(unstored.id)).toThrow(expect.objectContaining({ status: 404, param: 'response_id' }));
    const refOut = await rejection(runtime.createResponse({ model: 'm', input: [{ type: 'item_reference', id: unstored.output[0]!.id }] }, signal()));
    expect(refOut).toMatchObject({ status: 404, param: 'input[0]' });
    // No request that failed on the store reached the engine.
    expect(engine.calls).toHaveLength(1);
  });

  it('a chat-level 400 in the new input keeps its input[i] param after a chain', async () => {
    const { runtime } = scriptedRuntime({ m: { reply: REPLY } });
    const first = await runtime.createResponse({ model: 'm', input: 'one' }, signal());
    const err = await rejection(runtime.createResponse({
      model: 'm', previous_response_id: first.id,
      input: [{ role: 'user', content: [{ type: 'input_text', text: 'see' }, { type: 'input_image', image_url: 'data:,' }] }],
    }, signal()));
    expect(err).toMatchObject({ status: 400, param: 'input[0].content[1]' });
  });

  it('streamed: stored when the last event is handed out; retrieve equals it; delete', async () => {
    const { runtime } = scriptedRuntime({ m: { reply: REPLY } });
    const events = await collect(await runtime.startResponse({ model: 'm', input: 'hi', stream: true }, signal()));
    const done = events.at(-1)!;
    if (done.type !== 'response.completed') throw new Error(done.type);
    expect(runtime.retrieveResponse(done.response.id)).toEqual(done.response);
    expect(runtime.deleteResponse(done.response.id)).toEqual({ id: done.response.id, object: 'response.deleted', deleted: true });
    expect(() => runtime.deleteResponse(done.response.id)).toThrow(expect.objectContaining({ status: 404 }));
  });
});
