import type { Browser, Request } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { launch, openPage } from './support/browser.js';

/**
 * The frameworks apps build on, unmodified and bundled by Vite into the page, against the
 * Service Worker gateway at location.origin + '/v1': the Vercel AI SDK (`ai` with
 * @ai-sdk/openai-compatible, @ai-sdk/openai's Chat Completions model and its default
 * Responses API model) and LangChain
 * (@langchain/openai ChatOpenAI). The tiny model on WASM answers 'Hi' greedily with the
 * known sentence; under a JSON schema or a forced tool it is grammar-constrained.
 * The calls live in e2e/pages/gateway-frameworks-page.ts; every request body they send
 * to /v1 is recorded here, so a test can also assert what the framework asked for.
 */
const SENTENCE = 'Hello! I am a tiny model running in your browser.';
const PET_KEYS = ['age', 'name', 'species', 'toys', 'vaccinated'];

let browser: Browser;
let page: Awaited<ReturnType<typeof openPage>>;
/** Bodies POSTed to /v1/* (with their path) since the current test began. */
let sent: Array<Record<string, any>> = [];

beforeAll(async () => {
  browser = await launch();
  const context = await browser.newContext();
  page = await openPage(context, '/e2e/pages/gateway-frameworks.html');
  page.on('request', (req: Request) => {
    if (req.method() === 'POST' && new URL(req.url()).pathname.startsWith('/v1/')) sent.push({ path: new URL(req.url()).pathname, ...req.postDataJSON() });
  });
  await page.waitForFunction(() => (window as any).ready, null, { timeout: 60_000 });
  expect(await page.evaluate(() => (window as any).setupError ?? null)).toBeNull();
  expect(await page.evaluate(() => (window as any).gateway.controlled)).toBe(true);
});
beforeEach(() => { sent = []; });
afterAll(async () => { await browser?.close(); });

const call = <T = any>(name: string, ...args: unknown[]): Promise<T> =>
  page.evaluate(([n, a]) => (window as any).fw[n as string](...(a as unknown[])), [name, args] as const);

describe.each(['compatible', 'openai'] as const)('Vercel AI SDK (%s provider) via /v1', (provider) => {
  test('generateText: the known sentence, finish reason and usage', async () => {
    const out = await call('aiGenerateText', provider);
    expect(out.text).toBe(SENTENCE);
    expect(out.finishReason).toBe('stop');
    expect(out.usage).toMatchObject({ inputTokens: 9, outputTokens: 13, totalTokens: 22 });
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ path: '/v1/chat/completions', model: 'tiny-chat', temperature: 0, messages: [{ role: 'user', content: 'Hi' }] });
    expect(page.errors).toEqual([]);
  });

  test('streamText: the deltas make the sentence; finish reason and usage come from the stream (include_usage)', async () => {
    const out = await call('aiStreamText', provider);
    expect(out.deltas.join('')).toBe(SENTENCE);
    expect(out.deltas.length).toBeGreaterThanOrEqual(12);
    expect(out.text).toBe(SENTENCE);
    expect(out.finishReason).toBe('stop');
    expect(out.usage).toMatchObject({ inputTokens: 9, outputTokens: 13, totalTokens: 22 });
    expect(out.finish).toMatchObject({ finishReason: 'stop', totalUsage: { inputTokens: 9, outputTokens: 13, totalTokens: 22 } });
    expect(out.parts.at(-1)).toBe('finish');
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ stream: true, stream_options: { include_usage: true } });
  });

  test('generateText with Output.object (zod): an object that passes the schema, sent as a json_schema response_format', async () => {
    const out = await call('aiOutputObject', provider);
    expect(out.safe, out.text).toBe(true);
    expect(Object.keys(out.output).sort()).toEqual(PET_KEYS);
    expect(JSON.parse(out.text)).toEqual(out.output);
    expect(out.finishReason).toBe('stop');
    expect(sent[0]!.response_format).toMatchObject({ type: 'json_schema', json_schema: { name: 'pet', schema: { type: 'object' } } });
  });

  test('generateObject (zod): an object that passes the schema', async () => {
    const out = await call('aiGenerateObject', provider);
    expect(out.safe, JSON.stringify(out.object)).toBe(true);
    expect(Object.keys(out.object).sort()).toEqual(PET_KEYS);
    expect(out.finishReason).toBe('stop');
    expect(sent[0]!.response_format).toMatchObject({ type: 'json_schema' });
  });

  test('a tool forced by toolChoice: one call of that tool, its input passing the zod schema', async () => {
    const out = await call('aiToolCall', provider);
    expect(out.finishReason).toBe('tool-calls');
    expect(out.text).toBe('');
    expect(out.calls).toHaveLength(1);
    expect(out.calls[0]).toMatchObject({ toolName: 'get_weather', safe: true });
    expect(out.calls[0].toolCallId).toMatch(/^call_/);
    expect(sent[0]).toMatchObject({ tool_choice: { type: 'function', function: { name: 'get_weather' } } });
  });

  test('a tool loop: a forced call, execute, then the history (system, tool call, tool result) goes back and the model answers', async () => {
    const out = await call('aiToolLoop', provider);
    expect(out.steps).toHaveLength(2);
    const [first, second] = out.steps;
    expect(first.finishReason).toBe('tool-calls');
    expect(first.calls).toHaveLength(1);
    expect(first.calls[0]).toMatchObject({ toolName: 'get_weather', safe: true });
    expect(first.results).toEqual([{ toolName: 'get_weather', output: { ...first.calls[0].input, temperature: 18 } }]);
    expect(second).toMatchObject({ finishReason: 'stop', text: SENTENCE, calls: [] });
    expect(out.text).toBe(SENTENCE);
    expect(sent).toHaveLength(2);
    expect(sent[1]!.tool_choice).toBe('none');
    const history = sent[1]!.messages;
    expect(history.map((m: any) => m.role)).toEqual(['system', 'user', 'assistant', 'tool']);
    expect(history[0]).toEqual({ role: 'system', content: 'You are a weather bot.' });
    expect(history[2].tool_calls).toHaveLength(1);
    expect(history[3].tool_call_id).toBe(history[2].tool_calls[0].id);
    expect(JSON.parse(history[3].content)).toEqual(first.results[0].output);
    expect(page.errors).toEqual([]);
  });
});

describe('Vercel AI SDK: @ai-sdk/openai\'s default model, openai(id), speaks the Responses API', () => {
  test('generateText: the known sentence, finish reason and usage, through POST /v1/responses', async () => {
    const out = await call('aiGenerateText', 'responses');
    expect(out.text).toBe(SENTENCE);
    expect(out.finishReason).toBe('stop');
    expect(out.usage).toMatchObject({ inputTokens: 9, outputTokens: 13, totalTokens: 22 });
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ path: '/v1/responses', model: 'tiny-chat', temperature: 0 });
    expect(page.errors).toEqual([]);
  });

  test('streamText: the deltas make the sentence; finish reason and usage from the stream', async () => {
    const out = await call('aiStreamText', 'responses');
    expect(out.deltas.join('')).toBe(SENTENCE);
    expect(out.deltas.length).toBeGreaterThan(5);
    expect(out.text).toBe(SENTENCE);
    expect(out.finishReason).toBe('stop');
    expect(out.usage).toMatchObject({ inputTokens: 9, outputTokens: 13, totalTokens: 22 });
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ path: '/v1/responses', stream: true });
    expect(page.errors).toEqual([]);
  });

  test('a second turn from result.response.messages: the earlier answer goes back as an item_reference (store defaults to true)', async () => {
    const out = await call('aiTwoTurns', 'responses');
    expect(out.first.text).toBe(SENTENCE);
    expect(out.second.text).toBe(SENTENCE);
    expect(sent).toHaveLength(2);
    const input = sent[1]!.input as any[];
    const ref = input.find((item) => item.type === 'item_reference');
    expect(ref).toBeDefined();
    expect(ref.id).toMatch(/^msg_/);
    expect(input.map((item) => item.type === 'item_reference' ? 'ref' : item.role)).toEqual(['user', 'ref', 'user']);
    // The referenced message is the first answer (13 tokens) plus its template framing: more input than the first turn's 9.
    expect(out.first.usage).toMatchObject({ inputTokens: 9, outputTokens: 13 });
    expect(out.second.usage.inputTokens).toBeGreaterThan(9 + 13);
    expect(page.errors).toEqual([]);
  });
});

describe('Vercel AI SDK: abort', () => {
  test('streamText aborted through abortSignal after 5 deltas frees the engine; the next request succeeds', async () => {
    const out = await call('aiAbort');
    // abort() after the 5th delta; one more may already be in the SDK's stream pipeline.
    expect([5, 6]).toContain(out.received);
    // The AI SDK ends an aborted stream with an 'abort' part (and onAbort) instead of throwing.
    expect(out.error).toBeNull();
    expect(out.onAbort).toBe(true);
    expect(out.parts).toEqual(['start', 'start-step', 'text-start', ...Array(out.received).fill('text-delta'), 'abort']);
    // 8 x 2000 tokens would take seconds; stopped, the host is idle almost at once.
    expect(out.idleMs).toBeLessThan(1000);
    expect(out.next).toBe(SENTENCE);
    expect(sent[0]).toMatchObject({ n: 8, ignore_eos: true, max_tokens: 2000, stream: true });
    expect(page.errors).toEqual([]);
  });
});

describe('LangChain ChatOpenAI via /v1', () => {
  test('invoke: the known sentence, usage_metadata and finish reason', async () => {
    const out = await call('lcInvoke');
    expect(out.content).toBe(SENTENCE);
    expect(out.usage).toMatchObject({ input_tokens: 9, output_tokens: 13, total_tokens: 22 });
    expect(out.finishReason).toBe('stop');
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ path: '/v1/chat/completions', model: 'tiny-chat', temperature: 0, messages: [{ role: 'user', content: 'Hi' }] });
    expect(page.errors).toEqual([]);
  });

  test('stream: the chunks make the sentence; usage_metadata from the usage chunk', async () => {
    const out = await call('lcStream');
    expect(out.contents.join('')).toBe(SENTENCE);
    expect(out.content).toBe(SENTENCE);
    expect(out.contents.length).toBeGreaterThanOrEqual(12);
    expect(out.usage).toMatchObject({ input_tokens: 9, output_tokens: 13, total_tokens: 22 });
    expect(out.finishReason).toBe('stop');
    expect(sent[0]).toMatchObject({ stream: true, stream_options: { include_usage: true } });
  });

  test('stream aborted through an AbortSignal frees the engine; the next request succeeds', async () => {
    const out = await call('lcAbort');
    expect(out.received).toBe(5);
    expect(out.error).toMatchObject({ message: expect.stringMatching(/abort/i) });
    expect(out.idleMs).toBeLessThan(1000);
    expect(out.next).toBe(SENTENCE);
    expect(sent[0]).toMatchObject({ n: 8, ignore_eos: true, max_tokens: 2000, stream: true });
  });

  test.each([
    ['default (json_schema)', undefined, { response_format: { type: 'json_schema' } }],
    ['functionCalling', 'functionCalling', { tool_choice: { type: 'function', function: { name: 'pet' } } }],
  ] as const)('withStructuredOutput(zod), %s: an object that passes the schema', async (_label, method, request) => {
    const out = await call('lcStructured', method);
    expect(out.safe, JSON.stringify(out.object)).toBe(true);
    expect(Object.keys(out.object).sort()).toEqual(PET_KEYS);
    expect(sent[0]).toMatchObject(request);
  });

  test.each([
    ['named function', 'get_weather', { type: 'function', function: { name: 'get_weather' } }],
    ['any (required)', 'any', 'required'],
  ] as const)('bindTools with tool_choice %s: one call of get_weather, args passing the zod schema', async (_label, toolChoice, sentChoice) => {
    const out = await call('lcToolCall', toolChoice);
    expect(out.finishReason).toBe('tool_calls');
    expect(out.content).toBe('');
    expect(out.invalid).toEqual([]);
    expect(out.calls.length).toBeGreaterThanOrEqual(1);
    for (const c of out.calls) expect(c).toMatchObject({ name: 'get_weather', safe: true, id: expect.stringMatching(/^call_/) });
    expect(sent[0]!.tool_choice).toEqual(sentChoice);
    expect(page.errors).toEqual([]);
  });

  test('a tool round trip: forced call, tool.invoke(call) gives the ToolMessage (with name), the history goes back and the model answers', async () => {
    const out = await call('lcToolRoundTrip');
    expect(out.call).toMatchObject({ name: 'get_weather', safe: true, id: expect.stringMatching(/^call_/) });
    expect(out.toolMessage).toEqual({ type: 'tool', tool_call_id: out.call.id, content: JSON.stringify({ ...out.call.args, temperature: 18 }) });
    expect(out.final).toMatchObject({ content: SENTENCE, toolCalls: [], finishReason: 'stop', usage: { output_tokens: 13 } });
    expect(sent).toHaveLength(2);
    expect(sent[1]!.tool_choice).toBe('none');
    const history = sent[1]!.messages;
    expect(history.map((m: any) => m.role)).toEqual(['system', 'user', 'assistant', 'tool']);
    expect(history[2].tool_calls[0]).toMatchObject({ id: out.call.id, function: { name: 'get_weather' } });
    // LangChain sends the tool's name on the tool message, as OpenAI's cookbook does: accepted.
    expect(history[3]).toEqual({ role: 'tool', name: 'get_weather', tool_call_id: out.call.id, content: out.toolMessage.content });
  });
});

