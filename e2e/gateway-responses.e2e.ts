import Ajv from 'ajv';
import type { Browser, BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { openPage } from './support/browser.js';
import { launchGateway } from './support/ready-page.js';

/**
 * The Responses API (`POST /v1/responses`, with the host's in-memory response store) through the Service Worker gateway,
 * with the unmodified `openai` npm SDK (bundled by Vite into the page), and the in-page
 * client's `responses.create`; the tiny model on WASM behind it answers 'Hi' greedily
 * with the known sentence (chat prompt 9 tokens, completion 13).
 */
const SENTENCE = 'Hello! I am a tiny model running in your browser.';
const ajv = new Ajv({ strict: false });

let browser: Browser;
let context: BrowserContext;
let page: Awaited<ReturnType<typeof openPage>>;

beforeAll(async () => {
  ({ browser, context, page } = await launchGateway('?device=wasm', { timeout: 60_000 }));
  expect(await page.evaluate(() => (window as any).gateway.controlled)).toBe(true);
});
afterAll(async () => {
  await browser?.close();
});

const TEXT_EVENTS_HEAD = ['response.created', 'response.in_progress', 'response.output_item.added', 'response.content_part.added'];
const TEXT_EVENTS_TAIL = ['response.output_text.done', 'response.content_part.done', 'response.output_item.done', 'response.completed'];

describe('openai SDK: responses via the gateway', () => {
  test('responses.create, non-streamed: output_text is the sentence, usage exact', async () => {
    const out = await page.evaluate(async () => {
      const openai = (window as any).makeOpenAI();
      const r = await openai.responses.create({ model: 'tiny-chat', input: 'Hi', temperature: 0 });
      return { ...r, output_text: r.output_text };
    });
    expect(out.output_text).toBe(SENTENCE);
    expect(out).toMatchObject({ object: 'response', status: 'completed', model: 'tiny-chat', error: null, incomplete_details: null, temperature: 0 });
    expect(out.id).toMatch(/^resp_/);
    expect(out.output).toHaveLength(1);
    expect(out.output[0]).toMatchObject({ type: 'message', role: 'assistant', status: 'completed', content: [{ type: 'output_text', text: SENTENCE, annotations: [] }] });
    expect(out.usage).toEqual({
      input_tokens: 9, input_tokens_details: { cached_tokens: 0 }, output_tokens: 13, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 22,
    });
    expect(page.errors).toEqual([]);
  });

  test('streamed: OpenAI event order, increasing sequence numbers, deltas make the sentence', async () => {
    const events = await page.evaluate(async () => {
      const openai = (window as any).makeOpenAI();
      const stream = await openai.responses.create({ model: 'tiny-chat', input: 'Hi', temperature: 0, stream: true });
      const out = [];
      for await (const event of stream) out.push(event);
      return out;
    });
    const types = events.map((e: any) => e.type);
    expect(types.slice(0, 4)).toEqual(TEXT_EVENTS_HEAD);
    expect(types.slice(-4)).toEqual(TEXT_EVENTS_TAIL);
    expect(new Set(types.slice(4, -4))).toEqual(new Set(['response.output_text.delta']));
    const seq = events.map((e: any) => e.sequence_number);
    expect(seq).toEqual(seq.map((_: unknown, i: number) => i));
    expect(events.filter((e: any) => e.type === 'response.output_text.delta').map((e: any) => e.delta).join('')).toBe(SENTENCE);
    const completed = events.at(-1);
    expect(completed.response.output[0].content[0].text).toBe(SENTENCE);
    expect(completed.response.usage).toMatchObject({ input_tokens: 9, output_tokens: 13, total_tokens: 22 });
  });

  test('responses.stream() helper: text deltas and finalResponse()', async () => {
    const out = await page.evaluate(async () => {
      const openai = (window as any).makeOpenAI();
      const runner = openai.responses.stream({ model: 'tiny-chat', input: 'Hi', temperature: 0 });
      const deltas: string[] = [];
      runner.on('response.output_text.delta', (e: any) => deltas.push(e.delta));
      const final = await runner.finalResponse();
      return { deltas, outputText: final.output_text, status: final.status, usage: final.usage };
    });
    expect(out.deltas.join('')).toBe(SENTENCE);
    expect(out.outputText).toBe(SENTENCE);
    expect(out.status).toBe('completed');
    expect(out.usage).toMatchObject({ input_tokens: 9, output_tokens: 13 });
  });

  test('instructions become the system message (echoed; more input tokens)', async () => {
    const out = await page.evaluate(async () => {
      const openai = (window as any).makeOpenAI();
      return openai.responses.create({ model: 'tiny-chat', instructions: 'You are terse.', input: 'Hi', temperature: 0, max_output_tokens: 8 });
    });
    expect(out.instructions).toBe('You are terse.');
    expect(out.max_output_tokens).toBe(8);
    expect(out.usage.input_tokens).toBeGreaterThan(9);
    expect(out.usage.output_tokens).toBeLessThanOrEqual(8);
    expect(['completed', 'incomplete']).toContain(out.status);
  });

  test('text.format json_schema: the output text is an object that passes the schema', async () => {
    const schema = { type: 'object', properties: { city: { type: 'string', maxLength: 10 }, temp: { type: 'number', minimum: -50, maximum: 50 }, sky: { enum: ['clear', 'cloudy'] } }, required: ['city', 'temp', 'sky'], additionalProperties: false };
    const out = await page.evaluate(async (schema) => {
      const openai = (window as any).makeOpenAI();
      const r = await openai.responses.create({
        model: 'tiny-chat', input: 'Weather as JSON.', temperature: 1, seed: 4, text: { format: { type: 'json_schema', name: 'weather', schema, strict: true } },
      });
      return { text: r.output_text, format: r.text.format, status: r.status };
    }, schema);
    expect(out.status).toBe('completed');
    expect(out.format).toMatchObject({ type: 'json_schema', name: 'weather' });
    expect(ajv.validate(schema, JSON.parse(out.text))).toBe(true);
  });

  test('a forced function tool, then a round trip with function_call_output', async () => {
    const out = await page.evaluate(async () => {
      const openai = (window as any).makeOpenAI();
      const tools = [{
        type: 'function', name: 'get_weather', description: 'Weather in a city', strict: true,
        parameters: { type: 'object', properties: { city: { type: 'string', maxLength: 12 } }, required: ['city'], additionalProperties: false },
      }];
      const input: any[] = [{ role: 'user', content: 'Weather in Paris?' }];
      const first = await openai.responses.create({ model: 'tiny-chat', input, tools, tool_choice: { type: 'function', name: 'get_weather' }, temperature: 0 });
      const call = first.output.find((o: any) => o.type === 'function_call');
      const second = await openai.responses.create({
        model: 'tiny-chat', tools, tool_choice: 'none', temperature: 0, max_output_tokens: 20,
        input: [...input, ...first.output, { type: 'function_call_output', call_id: call.call_id, output: JSON.stringify({ temperature: 18 }) }],
      });
      return { first, second: { output: second.output, text: second.output_text, usage: second.usage } };
    });
    const calls = out.first.output.filter((o: any) => o.type === 'function_call');
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({ type: 'function_call', name: 'get_weather', status: 'completed' });
    expect(calls[0].id).toMatch(/^fc_/);
    expect(typeof JSON.parse(calls[0].arguments).city).toBe('string');
    expect(out.first.tool_choice).toEqual({ type: 'function', name: 'get_weather' });
    expect(out.second.output.map((o: any) => o.type)).toEqual(['message']);
    expect(out.second.text.length).toBeGreaterThan(0);
    expect(out.second.usage.output_tokens).toBeLessThanOrEqual(20);
  });

  test('abort mid-stream frees the engine; the next request succeeds', async () => {
    const out = await page.evaluate(async () => {
      const w = window as any;
      const openai = w.makeOpenAI();
      const controller = new AbortController();
      const stream = await openai.responses.create(
        { model: 'tiny-chat', input: 'Hi', temperature: 0, stream: true, max_output_tokens: 2000, ignore_eos: true },
        { signal: controller.signal },
      );
      let deltas = 0;
      let error = null;
      let last = null;
      try {
        for await (const event of stream) {
          last = event.type;
          if (event.type === 'response.output_text.delta' && ++deltas === 3) controller.abort();
        }
      } catch (e) {
        error = w.describeError(e);
      }
      const idleMs = await w.waitIdle(5000);
      const next = await openai.responses.create({ model: 'tiny-chat', input: 'Hi', temperature: 0 });
      return { deltas, error, last, idleMs, next: next.output_text, stats: await w.client.stats() };
    });
    // openai-node ends a stream's for-await quietly when its signal aborts.
    expect(out.error).toBeNull();
    expect(out.deltas).toBe(3);
    expect(out.last).toBe('response.output_text.delta');
    // 2,000 tokens would take seconds; stopped, the host is idle almost at once.
    expect(out.idleMs).toBeLessThan(1000);
    expect(out.next).toBe(SENTENCE);
    expect(out.stats.queue).toEqual({ running: false, pending: 0 });
  });

  test('400s name the Responses param; unknown previous_response_id and retrieve are 404s', async () => {
    const out = await page.evaluate(async () => {
      const w = window as any;
      const openai = w.makeOpenAI();
      const attempt = async (body: any) => {
        try {
          await openai.responses.create({ model: 'tiny-chat', ...body });
          return null;
        } catch (e) {
          return w.describeError(e);
        }
      };
      return {
        image: await attempt({ input: [{ role: 'user', content: [{ type: 'input_text', text: 'see' }, { type: 'input_image', image_url: 'data:,' }] }] }),
        fileId: await attempt({ input: [{ role: 'user', content: [{ type: 'input_image', file_id: 'file-abc' }] }] }),
        previous: await attempt({ input: 'Hi', previous_response_id: 'resp_123' }),
        background: await attempt({ input: 'Hi', background: true }),
        retrieve: await openai.responses.retrieve('resp_123').then(() => null, w.describeError),
      };
    });
    expect(out.image).toMatchObject({ name: 'BadRequestError', status: 400, param: 'input[0].content[1]' });
    expect(out.fileId).toMatchObject({ name: 'BadRequestError', status: 400, param: 'input[0].content[0].file_id' });
    expect(out.previous).toMatchObject({ name: 'NotFoundError', status: 404, param: 'previous_response_id' });
    expect(out.previous.message).toMatch(/evicted/);
    expect(out.background).toMatchObject({ name: 'BadRequestError', status: 400, param: 'background' });
    expect(out.retrieve).toMatchObject({ name: 'NotFoundError', status: 404 });
    expect(out.retrieve.message).toContain('resp_123');
  });

  test('stored responses: previous_response_id second turn, retrieve, inputItems.list, delete, store: false', async () => {
    const out = await page.evaluate(async () => {
      const w = window as any;
      const openai = w.makeOpenAI();
      const first = await openai.responses.create({ model: 'tiny-chat', input: 'Hi', temperature: 0 });
      const second = await openai.responses.create({ model: 'tiny-chat', input: 'Hi', temperature: 0, previous_response_id: first.id });
      // The same conversation sent statelessly: the same prompt, so the same input_tokens.
      const explicit = await openai.responses.create({
        model: 'tiny-chat', temperature: 0, store: false,
        input: [{ role: 'user', content: 'Hi' }, { role: 'assistant', content: first.output_text }, { role: 'user', content: 'Hi' }],
      });
      const retrieved = await openai.responses.retrieve(second.id);
      const items: any[] = [];
      for await (const item of openai.responses.inputItems.list(second.id, { order: 'asc', limit: 2 })) items.push(item);
      const firstPage = await openai.responses.inputItems.list(second.id, { limit: 2 });
      await openai.responses.delete(first.id);
      const afterDelete = await openai.responses.retrieve(first.id).then(() => null, w.describeError);
      const chainedOnDeleted = await openai.responses.create({ model: 'tiny-chat', input: 'Hi', previous_response_id: first.id }).then(() => null, w.describeError);
      const stillThere = (await openai.responses.retrieve(second.id)).id;
      const unstored = await openai.responses.create({ model: 'tiny-chat', input: 'Hi', temperature: 0, store: false });
      const unstoredRetrieve = await openai.responses.retrieve(unstored.id).then(() => null, w.describeError);
      const cancel = await openai.responses.cancel(second.id).then(() => null, w.describeError);
      return {
        first, second, explicit: { usage: explicit.usage, text: explicit.output_text }, secondText: second.output_text, retrieved, items,
        firstPage: { ids: firstPage.data.map((i: any) => i.id), hasMore: firstPage.has_more },
        afterDelete, chainedOnDeleted, stillThere, unstoredStore: unstored.store, unstoredRetrieve, cancel,
      };
    });
    expect(out.first.store).toBe(true);
    expect(out.secondText).toBe(SENTENCE);
    expect(out.second.previous_response_id).toBe(out.first.id);
    // The second prompt holds the first turn: its 9 tokens, the 13-token answer and its framing, then the new 'Hi'.
    expect(out.second.usage.input_tokens).toBe(out.explicit.usage.input_tokens);
    expect(out.second.usage.input_tokens).toBeGreaterThan(9 + 13);
    expect(out.explicit.text).toBe(SENTENCE);
    expect(out.retrieved).toEqual(out.second);
    // Auto-paginated (limit 2, order asc): the whole conversation the second response answered.
    expect(out.items.map((i: any) => i.role)).toEqual(['user', 'assistant', 'user']);
    expect(out.items[0].content).toEqual([{ type: 'input_text', text: 'Hi' }]);
    expect(out.items[1]).toMatchObject({ id: out.first.output[0].id, content: [{ type: 'output_text', text: SENTENCE }] });
    expect(out.firstPage.ids).toEqual([out.items[2].id, out.items[1].id]);
    expect(out.firstPage.hasMore).toBe(true);
    expect(out.afterDelete).toMatchObject({ name: 'NotFoundError', status: 404 });
    expect(out.chainedOnDeleted).toMatchObject({ name: 'NotFoundError', status: 404, param: 'previous_response_id' });
    expect(out.stillThere).toBe(out.second.id);
    expect(out.unstoredStore).toBe(false);
    expect(out.unstoredRetrieve).toMatchObject({ name: 'NotFoundError', status: 404 });
    expect(out.cancel).toMatchObject({ name: 'BadRequestError', status: 400 });
    expect(out.cancel.message).toMatch(/only background responses/);
    expect(page.errors).toEqual([]);
  });
});

describe('in-page client: client.responses.create', () => {
  test('non-streamed and streamed', async () => {
    const out = await page.evaluate(async () => {
      const client = (window as any).client;
      const plain = await client.responses.create({ model: 'tiny-chat', input: 'Hi', temperature: 0 });
      const stream = await client.responses.create({ model: 'tiny-chat', input: 'Hi', temperature: 0, stream: true });
      const types: string[] = [];
      let text = '';
      for await (const event of stream) {
        types.push(event.type);
        if (event.type === 'response.output_text.delta') text += event.delta;
      }
      const retrieved = await client.responses.retrieve(plain.id);
      const next = await client.responses.create({ model: 'tiny-chat', input: 'Hi', temperature: 0, previous_response_id: plain.id });
      const items = await client.responses.inputItems.list(next.id, { order: 'asc' });
      const deleted = await client.responses.delete(plain.id);
      const gone = await client.responses.retrieve(plain.id).then(() => null, (e: any) => ({ name: e.name, status: e.status }));
      return { plain, types, text, retrieved, next: { text: next.output[0].content[0].text, previous: next.previous_response_id }, items, deleted, gone };
    });
    expect(out.retrieved).toEqual(out.plain);
    expect(out.next).toEqual({ text: SENTENCE, previous: out.plain.id });
    expect(out.items.data.map((i: any) => i.role)).toEqual(['user', 'assistant', 'user']);
    expect(out.deleted).toEqual({ id: out.plain.id, object: 'response.deleted', deleted: true });
    expect(out.gone).toEqual({ name: 'NotFoundError', status: 404 });
    expect(out.plain.output[0].content[0].text).toBe(SENTENCE);
    expect(out.plain.usage).toMatchObject({ input_tokens: 9, output_tokens: 13, total_tokens: 22 });
    expect(out.text).toBe(SENTENCE);
    expect(out.types.slice(0, 4)).toEqual(TEXT_EVENTS_HEAD);
    expect(out.types.slice(-4)).toEqual(TEXT_EVENTS_TAIL);
  });
});
