import { describe, expect, it } from 'vitest';
import { ChatCompletionCreateParams, IGNORED_CHAT_FIELDS } from '../../src/protocol/chat.js';
import { APIError, BadRequestError } from '../../src/protocol/errors.js';
import { formatParamPath, parseRequest } from '../../src/protocol/validate.js';

const parse = (body: unknown) => parseRequest(ChatCompletionCreateParams, body);
const base = { model: 'm', messages: [{ role: 'user', content: 'hi' }] };

/** The BadRequestError a body is refused with. */
function rejection(body: unknown): BadRequestError {
  try {
    parse(body);
  } catch (err) {
    expect(err).toBeInstanceOf(BadRequestError);
    return err as BadRequestError;
  }
  throw new Error(`accepted: ${JSON.stringify(body)}`);
}

describe('parseRequest(ChatCompletionCreateParams) accepts valid OpenAI requests', () => {
  it('accepts a minimal request and returns its data', () => {
    expect(parse(base)).toEqual(base);
  });

  it('accepts every message role in one conversation', () => {
    const messages = [
      { role: 'system', content: 'You are terse.', name: 'sys' },
      { role: 'developer', content: [{ type: 'text', text: 'Prefer JSON.' }] },
      { role: 'user', content: 'What is the weather?', name: 'alice' },
      {
        role: 'assistant',
        content: null,
        tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }],
      },
      { role: 'tool', content: '{"temp":21}', tool_call_id: 'call_1' },
      { role: 'tool', content: [{ type: 'text', text: 'more' }], tool_call_id: 'call_2' },
      { role: 'assistant', content: [{ type: 'text', text: 'Sunny.' }, { type: 'refusal', refusal: 'No more.' }] },
      { role: 'assistant', content: 'ok', refusal: null, function_call: { name: 'f', arguments: '{}' }, audio: { id: 'a1' } },
      { role: 'assistant', tool_calls: [{ id: 'c', type: 'custom', custom: { name: 'sql', input: 'select 1' } }] },
      { role: 'function', name: 'get_weather', content: '21' },
      { role: 'function', name: 'get_weather', content: null },
      { role: 'assistant', content: 'Thought about it.', reasoning_content: 'hmm' },
    ];
    expect(parse({ ...base, messages }).messages).toEqual(messages);
  });

  it('accepts a tool message with the function name, as LangChain and OpenAI\'s cookbook send it; other unknown fields stay 400s', () => {
    const messages = [
      { role: 'user', content: 'What is the weather?' },
      { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{}' } }] },
      { role: 'tool', content: '{"temp":21}', tool_call_id: 'call_1', name: 'get_weather' },
    ];
    expect(parse({ ...base, messages }).messages).toEqual(messages);
    const err = rejection({ ...base, messages: [messages[0], messages[1], { ...messages[2], foo: 1 }] });
    expect(err.param).toBe('messages[2].foo');
  });

  it('accepts every user content part type', () => {
    const content = [
      { type: 'text', text: 'Describe these.' },
      { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=', detail: 'high' } },
      { type: 'image_url', image_url: { url: 'https://example.com/cat.png' } },
      { type: 'input_audio', input_audio: { data: 'UklGRg==', format: 'wav' } },
      { type: 'input_audio', input_audio: { data: 'SUQz', format: 'mp3' } },
      { type: 'file', file: { file_data: 'data:application/pdf;base64,JVBE', filename: 'a.pdf' } },
      { type: 'file', file: { file_id: 'file-abc' } },
    ];
    expect(parse({ ...base, messages: [{ role: 'user', content }] }).messages[0]!.content).toEqual(content);
  });

  it.each([
    ['max_tokens', { max_tokens: 16 }],
    ['max_completion_tokens', { max_completion_tokens: 16 }],
    ['temperature bounds', { temperature: 0 }],
    ['temperature 2', { temperature: 2 }],
    ['top_p 0', { top_p: 0 }],
    ['top_p 1', { top_p: 1 }],
    ['n', { n: 3 }],
    ['stop string', { stop: '\n\n' }],
    ['stop array of 4', { stop: ['a', 'b', 'c', 'd'] }],
    ['seed', { seed: -12345 }],
    ['penalties at bounds', { presence_penalty: -2, frequency_penalty: 2 }],
    ['logit_bias', { logit_bias: { '50256': -100, '15': 100, '7': 0.5 } }],
    ['logprobs with top_logprobs 20', { logprobs: true, top_logprobs: 20 }],
    ['top_logprobs 0', { logprobs: true, top_logprobs: 0 }],
    ['stream with include_usage', { stream: true, stream_options: { include_usage: true } }],
    ['stream_options include_obfuscation', { stream: true, stream_options: { include_obfuscation: false } }],
    ['response_format text', { response_format: { type: 'text' } }],
    ['response_format json_object', { response_format: { type: 'json_object' } }],
    [
      'response_format json_schema',
      {
        response_format: {
          type: 'json_schema',
          json_schema: {
            name: 'weather_report',
            description: 'A report',
            schema: { type: 'object', properties: { temp: { type: 'number' } }, required: ['temp'] },
            strict: true,
          },
        },
      },
    ],
    ['response_format grammar extension', { response_format: { type: 'grammar', grammar: 'root ::= "a"' } }],
    [
      'tools + tool_choice auto',
      {
        tools: [
          {
            type: 'function',
            function: {
              name: 'get_weather',
              description: 'Weather by city',
              parameters: { type: 'object', properties: { city: { type: 'string' } } },
              strict: false,
            },
          },
          { type: 'custom', custom: { name: 'sql', description: 'Run SQL' } },
        ],
        tool_choice: 'auto',
        parallel_tool_calls: false,
      },
    ],
    ['tool_choice none', { tool_choice: 'none' }],
    ['tool_choice required', { tool_choice: 'required' }],
    ['tool_choice named function', { tool_choice: { type: 'function', function: { name: 'get_weather' } } }],
    ['tool_choice named custom', { tool_choice: { type: 'custom', custom: { name: 'sql' } } }],
    [
      'tool_choice allowed_tools',
      { tool_choice: { type: 'allowed_tools', allowed_tools: { mode: 'auto', tools: [{ type: 'function', function: { name: 'f' } }] } } },
    ],
    ['legacy functions', { functions: [{ name: 'f', parameters: {} }], function_call: { name: 'f' } }],
    ['legacy function_call auto', { function_call: 'auto' }],
    [
      'server extensions',
      { top_k: 40, min_p: 0.05, repetition_penalty: 1.1, min_tokens: 2, ignore_eos: true },
    ],
    ['top_k -1 (disabled)', { top_k: -1 }],
    ['chat_template_kwargs', { chat_template_kwargs: { enable_thinking: false } }],
    [
      'ignored OpenAI fields',
      {
        store: true,
        metadata: { session: 'abc' },
        service_tier: 'auto',
        user: 'user-1',
        prompt_cache_key: 'k',
        prompt_cache_retention: '24h',
        safety_identifier: 'sid',
        reasoning_effort: 'low',
        verbosity: 'medium',
        modalities: ['text'],
        audio: { voice: 'alloy', format: 'wav' },
        prediction: { type: 'content', content: 'x' },
        web_search_options: {},
      },
    ],
    [
      'explicit nulls (as SDKs send them)',
      { temperature: null, top_p: null, stop: null, max_tokens: null, tools: null, response_format: null, stream_options: null },
    ],
  ])('accepts %s', (_name, extra) => {
    expect(parse({ ...base, ...extra })).toEqual({ ...base, ...extra });
  });

  it('names every ignored field it documents', () => {
    for (const field of ['store', 'metadata', 'service_tier']) expect(IGNORED_CHAT_FIELDS).toContain(field);
  });
});

describe('parseRequest rejects invalid requests with a 400 naming the exact param', () => {
  it('an unknown top-level field, in OpenAI words', () => {
    const err = rejection({ ...base, foo: 1 });
    expect(err.status).toBe(400);
    expect(err.type).toBe('invalid_request_error');
    expect(err.param).toBe('foo');
    expect(err.message).toBe('Unrecognized request argument supplied: foo');
    expect(err.toEnvelope()).toEqual({
      error: { message: 'Unrecognized request argument supplied: foo', type: 'invalid_request_error', param: 'foo', code: err.code },
    });
  });

  it.each([
    ['a message', { messages: [{ role: 'user', content: 'x', foo: 1 }] }, 'messages[0].foo'],
    ['stream_options', { stream_options: { include_usage: true, foo: 1 } }, 'stream_options.foo'],
    [
      'an image part',
      { messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'u', foo: 1 } }] }] },
      'messages[0].content[0].image_url.foo',
    ],
    [
      'a tool function',
      { tools: [{ type: 'function', function: { name: 'f', foo: 1 } }] },
      'tools[0].function.foo',
    ],
  ])('an unknown field inside %s', (_name, extra, param) => {
    const err = rejection({ ...base, ...extra });
    expect(err.status).toBe(400);
    expect(err.param).toBe(param);
    expect(err.message).toContain('foo');
  });

  it.each([
    ['temperature 2.5', { temperature: 2.5 }, 'temperature'],
    ['temperature -0.1', { temperature: -0.1 }, 'temperature'],
    ['temperature as a string', { temperature: '1' }, 'temperature'],
    ['top_p 1.5', { top_p: 1.5 }, 'top_p'],
    ['top_logprobs 21', { logprobs: true, top_logprobs: 21 }, 'top_logprobs'],
    ['n 0', { n: 0 }, 'n'],
    ['n 1.5', { n: 1.5 }, 'n'],
    ['stop with 5 entries', { stop: ['a', 'b', 'c', 'd', 'e'] }, 'stop'],
    ['presence_penalty 3', { presence_penalty: 3 }, 'presence_penalty'],
    ['logit_bias above 100', { logit_bias: { '5': 101 } }, 'logit_bias.5'],
    ['max_tokens 0', { max_tokens: 0 }, 'max_tokens'],
    ['a bad role', { messages: [{ role: 'robot', content: 'x' }] }, 'messages[0].role'],
    [
      'a content part with a bad type',
      { messages: [{ role: 'user', content: [{ type: 'text', text: 'a' }, { type: 'video', video: {} }] }] },
      'messages[0].content[1].type',
    ],
    [
      'image_url without url',
      { messages: [{ role: 'user', content: [{ type: 'image_url', image_url: {} }] }] },
      'messages[0].content[0].image_url.url',
    ],
    [
      'an input_audio format',
      { messages: [{ role: 'user', content: [{ type: 'input_audio', input_audio: { data: 'x', format: 'ogg' } }] }] },
      'messages[0].content[0].input_audio.format',
    ],
    ['a tool message without tool_call_id', { messages: [{ role: 'tool', content: 'x' }] }, 'messages[0].tool_call_id'],
    ['an image on a system message', {
      messages: [{ role: 'system', content: [{ type: 'image_url', image_url: { url: 'u' } }] }],
    }, 'messages[0].content[0].type'],
    ['response_format type', { response_format: { type: 'yaml' } }, 'response_format.type'],
    [
      'a json_schema name',
      { response_format: { type: 'json_schema', json_schema: { name: 'has space' } } },
      'response_format.json_schema.name',
    ],
    ['a tool name', { tools: [{ type: 'function', function: { name: 'a b' } }] }, 'tools[0].function.name'],
    ['messages not an array', { messages: 'hi' }, 'messages'],
  ])('%s', (_name, extra, param) => {
    const err = rejection({ ...base, ...extra });
    expect(err.status).toBe(400);
    expect(err.param).toBe(param);
    expect(err.message).toContain(param);
  });

  it('missing model', () => {
    const err = rejection({ messages: base.messages });
    expect(err.param).toBe('model');
    expect(err.message).toBe("Missing required parameter: 'model'.");
    expect(err.code).toBe('missing_required_parameter');
  });

  it('missing messages', () => {
    expect(rejection({ model: 'm' }).param).toBe('messages');
  });

  it('empty messages', () => {
    const err = rejection({ ...base, messages: [] });
    expect(err.status).toBe(400);
    expect(err.param).toBe('messages');
  });

  it('a body that is not an object', () => {
    for (const body of [null, 'x', 42, []]) {
      const err = rejection(body);
      expect(err.status).toBe(400);
      expect(err).toBeInstanceOf(APIError);
    }
  });
});

describe('formatParamPath', () => {
  it.each([
    [[], ''],
    [['model'], 'model'],
    [['messages', 2, 'content', 0, 'image_url'], 'messages[2].content[0].image_url'],
    [['logit_bias', '50256'], 'logit_bias.50256'],
    [['stop', 4], 'stop[4]'],
    [[0, 'x'], '[0].x'],
  ] as const)('%j -> %s', (path, expected) => {
    expect(formatParamPath(path)).toBe(expected);
  });
});
