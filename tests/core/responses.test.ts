import { describe, expect, it } from 'vitest';
import { toChatRequest } from '../../src/core/endpoints/responses.js';
import type { APIError } from '../../src/protocol/errors.js';
import { Response, ResponseCreateParams, type ResponseStreamEvent } from '../../src/protocol/responses.js';
import { parseRequest } from '../../src/protocol/validate.js';
import { collect, scriptedRuntime } from '../support/scripted-engine.js';

const signal = () => new AbortController().signal;
const HELLO = ['Hel', 'lo', ' wor', 'ld'];
const TOOL = { type: 'function', name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } };
const CALL = ['<tool_call>', '{"name": "get_weather", "arguments": {"city": "Paris"}}', '</tool_call>'];

function setup(reply: readonly string[] = HELLO) {
  return scriptedRuntime({ m: { reply } });
}

async function rejection(p: Promise<unknown>): Promise<APIError> {
  return p.then(() => { throw new Error('expected a rejection'); }, (e: unknown) => e as APIError);
}

async function events(body: Record<string, unknown>, reply?: readonly string[]): Promise<ResponseStreamEvent[]> {
  const { runtime } = setup(reply);
  return collect(await runtime.startResponse({ model: 'm', input: 'hi', stream: true, ...body }, signal()));
}

describe('Responses: 400s name the Responses param', () => {
  const cases: Array<[string, Record<string, unknown>, string]> = [
    ['an unknown field', { foo: 1 }, 'foo'],
    ['an unknown field in an item', { input: [{ role: 'user', content: 'x', bogus: 1 }] }, 'input[0].bogus'],
    ['a bad image_url', { input: [{ role: 'user', content: [{ type: 'input_text', text: 'a' }, { type: 'input_image', image_url: 5 }] }] }, 'input[0].content[1].image_url'],
    ['an input_image by file_id', { input: [{ role: 'user', content: [{ type: 'input_image', file_id: 'file-1' }] }] }, 'input[0].content[0].file_id'],
    ['a web_search tool', { tools: [TOOL, { type: 'web_search' }] }, 'tools[1].type'],
    ['a function tool with a bad name', { tools: [{ ...TOOL, name: 'a b' }] }, 'tools[0].name'],
    ['conversation', { conversation: 'conv_1' }, 'conversation'],
    ['truncation auto', { truncation: 'auto' }, 'truncation'],
    ['n (not a Responses param)', { n: 2 }, 'n'],
    ['an item_reference without id', { input: [{ type: 'item_reference' }] }, 'input[0].id'],
    ['background', { background: true }, 'background'],
    ['a bad tool_choice', { tools: [TOOL], tool_choice: { type: 'function', name: 'nope' } }, 'tool_choice'],
    ['a json_schema without schema', { text: { format: { type: 'json_schema', name: 'x' } } }, 'text.format.schema'],
    ['a json_schema whose schema uses an unsupported keyword', { text: { format: { type: 'json_schema', name: 'x', schema: { type: 'object', not: {} } } } }, 'text.format.schema'],
    ['max_output_tokens past the context', { max_output_tokens: 1_000_000 }, 'max_output_tokens'],
  ];
  for (const [what, body, param] of cases) {
    it(what, async () => {
      const { runtime } = setup();
      const err = await rejection(runtime.createResponse({ model: 'm', input: 'hi', ...body }, signal()));
      expect(err).toMatchObject({ status: 400, param });
      expect(err.message).not.toMatch(/messages|response_format|max_completion_tokens/);
    });
  }

  it('conversation says there is no Conversations API and what to use instead', async () => {
    const { runtime } = setup();
    const err = await rejection(runtime.createResponse({ model: 'm', input: 'hi', conversation: { id: 'conv_1' } }, signal()));
    expect(err.message).toMatch(/Conversations API.*previous_response_id/);
  });

  it('a chat-level error on a message is mapped back to its input item (instructions shift the index)', async () => {
    const { runtime } = setup();
    const input = [
      { role: 'user', content: 'first' },
      { type: 'reasoning', id: 'rs_1', summary: [] },
      { role: 'user', content: [{ type: 'input_text', text: 'see' }, { type: 'input_image', image_url: 'data:,' }] },
    ];
    const err = await rejection(runtime.createResponse({ model: 'm', instructions: 'Be brief.', input }, signal()));
    expect(err).toMatchObject({ status: 400, param: 'input[2].content[1]' });
    expect(err.message).not.toMatch(/messages/);
  });
});

describe('Responses: the request as a chat request', () => {
  it('instructions first; items to messages; consecutive function calls to one assistant turn; outputs to tool messages', () => {
    const params = parseRequest(ResponseCreateParams, {
      model: 'm',
      instructions: 'Be brief.',
      input: [
        { role: 'developer', content: [{ type: 'input_text', text: 'dev' }] },
        { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'hi' }, { type: 'input_image', image_url: 'https://x/y.png', detail: 'low' }] },
        { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'Let me look.', annotations: [] }] },
        { type: 'function_call', call_id: 'c1', name: 'get_weather', arguments: '{"city":"Paris"}' },
        { type: 'function_call', call_id: 'c2', name: 'get_weather', arguments: '{"city":"Rome"}', id: 'fc_1', status: 'completed' },
        { type: 'function_call_output', call_id: 'c1', output: 'sunny' },
        { type: 'function_call_output', call_id: 'c2', output: [{ type: 'input_text', text: 'rain' }] },
      ],
      tools: [TOOL],
      tool_choice: { type: 'function', name: 'get_weather' },
      text: { format: { type: 'json_schema', name: 'w', schema: { type: 'object' }, strict: true } },
      max_output_tokens: 7,
      temperature: 0,
      seed: 3,
      top_k: 5,
    });
    const { chat, origins } = toChatRequest(params);
    expect(chat.messages).toEqual([
      { role: 'system', content: 'Be brief.' },
      { role: 'developer', content: 'dev' },
      { role: 'user', content: [{ type: 'text', text: 'hi' }, { type: 'image_url', image_url: { url: 'https://x/y.png', detail: 'low' } }] },
      {
        role: 'assistant',
        content: 'Let me look.',
        tool_calls: [
          { id: 'c1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
          { id: 'c2', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Rome"}' } },
        ],
      },
      { role: 'tool', tool_call_id: 'c1', content: 'sunny', name: 'get_weather' },
      { role: 'tool', tool_call_id: 'c2', content: 'rain', name: 'get_weather' },
    ]);
    expect(origins.map((o) => o.path)).toEqual(['instructions', 'input[0]', 'input[1]', 'input[2]', 'input[5]', 'input[6]']);
    expect(origins[3]!.toolCalls).toEqual(['input[3]', 'input[4]']);
    expect(chat).toMatchObject({
      max_tokens: 7,
      temperature: 0,
      seed: 3,
      top_k: 5,
      tools: [{ type: 'function', function: { name: 'get_weather', parameters: TOOL.parameters } }],
      tool_choice: { type: 'function', function: { name: 'get_weather' } },
      response_format: { type: 'json_schema', json_schema: { name: 'w', schema: { type: 'object' }, strict: true } },
      stream: true,
      stream_options: { include_usage: true },
    });
  });
});

describe('Responses: events and the folded Response', () => {
  it('text: OpenAI event order, increasing sequence numbers, deltas make the text', async () => {
    const out = await events({});
    expect(out.map((e) => e.type)).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.content_part.added',
      ...HELLO.map(() => 'response.output_text.delta'),
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.completed',
    ]);
    expect(out.map((e) => e.sequence_number)).toEqual(out.map((_, i) => i));
    const deltas = out.filter((e) => e.type === 'response.output_text.delta');
    expect(deltas.map((e) => e.delta)).toEqual(HELLO);
    const added = out[2] as Extract<ResponseStreamEvent, { item: unknown }>;
    expect(added.item).toMatchObject({ type: 'message', status: 'in_progress', role: 'assistant', content: [] });
    for (const d of deltas) expect(d).toMatchObject({ item_id: added.item.id, output_index: 0, content_index: 0, logprobs: [] });
    const done = out.find((e) => e.type === 'response.output_text.done')!;
    expect(done).toMatchObject({ text: 'Hello world' });
    const created = out[0] as Extract<ResponseStreamEvent, { response: unknown }>;
    expect(created.response).toMatchObject({ status: 'in_progress', output: [], usage: null });
    const completed = out.at(-1) as Extract<ResponseStreamEvent, { response: unknown }>;
    expect(completed.response.id).toBe(created.response.id);
    expect(completed.response.id).toMatch(/^resp_/);
    expect(Response.parse(completed.response)).toEqual(completed.response);
  });

  it('the non-streamed Response: message item, usage, echoed settings', async () => {
    const { runtime } = setup();
    const out = await runtime.createResponse({ model: 'm', input: 'three word prompt', instructions: 'x', temperature: 0, metadata: { a: 'b' } }, signal());
    expect(Response.parse(out)).toEqual(out);
    expect(out).toMatchObject({
      object: 'response',
      status: 'completed',
      error: null,
      incomplete_details: null,
      model: 'm',
      instructions: 'x',
      temperature: 0,
      metadata: { a: 'b' },
      tool_choice: 'auto',
      tools: [],
      text: { format: { type: 'text' } },
      parallel_tool_calls: true,
      store: true,
      previous_response_id: null,
    });
    expect(out.output).toEqual([
      { type: 'message', id: expect.stringMatching(/^msg_/), status: 'completed', role: 'assistant', content: [{ type: 'output_text', text: 'Hello world', annotations: [], logprobs: [] }] },
    ]);
    // The scripted tokenizer: one token per word of the rendered prompt (instructions + input), 4 pieces + EOS.
    expect(out.usage).toEqual({
      input_tokens: 4,
      input_tokens_details: { cached_tokens: 0 },
      output_tokens: 5,
      output_tokens_details: { reasoning_tokens: 0 },
      total_tokens: 9,
    });
  });

  it('max_output_tokens cuts it: incomplete, with the reason', async () => {
    const out = await events({ max_output_tokens: 2 });
    const last = out.at(-1) as Extract<ResponseStreamEvent, { response: unknown }>;
    expect(last.type).toBe('response.incomplete');
    expect(last.response).toMatchObject({ status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' } });
    expect(last.response.output[0]).toMatchObject({ status: 'incomplete', content: [{ text: 'Hello' }] });
    expect(last.response.usage!.output_tokens).toBe(2);
  });

  it('a function call: function_call item, argument deltas, .done with the arguments', async () => {
    const out = await events({ tools: [TOOL], tool_choice: 'auto' }, CALL);
    const types = out.map((e) => e.type);
    expect(types[2]).toBe('response.output_item.added');
    expect(types).toContain('response.function_call_arguments.delta');
    expect(types.slice(-3)).toEqual(['response.function_call_arguments.done', 'response.output_item.done', 'response.completed']);
    expect(types).not.toContain('response.output_text.delta');
    const done = out.at(-3) as Extract<ResponseStreamEvent, { type: 'response.function_call_arguments.done' }>;
    expect(JSON.parse(done.arguments)).toEqual({ city: 'Paris' });
    const final = (out.at(-1) as Extract<ResponseStreamEvent, { response: unknown }>).response;
    expect(final.output).toEqual([
      { type: 'function_call', id: done.item_id, call_id: expect.any(String), name: 'get_weather', arguments: done.arguments, status: 'completed' },
    ]);
    expect(final.output[0]!.id).toMatch(/^fc_/);
  });

  it('reasoning: a reasoning item with reasoning_text before the message', async () => {
    const out = await events({}, ['<think>', 'ponder', '</think>', 'Answer']);
    const final = (out.at(-1) as Extract<ResponseStreamEvent, { response: unknown }>).response;
    expect(final.output.map((o) => o.type)).toEqual(['reasoning', 'message']);
    expect(final.output[0]).toMatchObject({ id: expect.stringMatching(/^rs_/), content: [{ type: 'reasoning_text', text: 'ponder' }] });
    expect(final.output[1]).toMatchObject({ content: [{ text: 'Answer' }] });
    expect(out.map((e) => e.type)).toContain('response.reasoning_text.delta');
    // <think>, ponder, </think> are reasoning tokens; Answer and EOS are not.
    expect(final.usage).toMatchObject({ output_tokens: 5, output_tokens_details: { reasoning_tokens: 3 } });
  });
});
