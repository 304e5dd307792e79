import { describe, expect, test } from 'vitest';
import { fromMessages, toMessages, type Conversation } from '../../demo/conversation.js';
import { registrationOf } from '../../demo/register.js';
import { logitBiasError, schemaError, toolsError } from '../../demo/params.js';
import { runSnippet, snippet } from '../../demo/code-view.js';

/** The playground's pure parts: messages JSON both ways, registrations, the JSON editors, snippets. */

const conversation: Conversation = {
  system: 'Be brief.',
  turns: [
    { role: 'user', content: 'Look', attachments: [{ kind: 'image', name: 'a.png', dataUrl: 'data:image/png;base64,AAAA' }, { kind: 'audio', name: 'b.wav', format: 'wav', dataUrl: 'data:audio/wav;base64,BBBB' }] },
    { role: 'assistant', content: '', tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'f', arguments: '{}' } }], figures: { model: 'm', ttftMs: 1, tokPerS: 2, promptTokens: 3, completionTokens: 4, finish: 'tool_calls', timeline: [1] } },
    { role: 'tool', content: '42', tool_call_id: 'call_1' },
    { role: 'assistant', content: 'It is 42.' },
  ],
};

describe('conversation <-> OpenAI messages', () => {
  test('the system prompt, attachments as content parts, tool calls and their answers; figures stay out', () => {
    const messages = toMessages(conversation);
    expect(messages).toEqual([
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: [{ type: 'text', text: 'Look' }, { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' } }, { type: 'input_audio', input_audio: { data: 'BBBB', format: 'wav' } }] },
      { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'f', arguments: '{}' } }] },
      { role: 'tool', tool_call_id: 'call_1', content: '42' },
      { role: 'assistant', content: 'It is 42.' },
    ]);
    // Import gives back the same messages.
    expect(toMessages(fromMessages(messages))).toEqual(messages);
    expect(toMessages({ system: '  ', turns: [] })).toEqual([]);
  });

  test('import: developer messages join the system prompt; a wrong role names its index', () => {
    expect(fromMessages({ messages: [{ role: 'developer', content: 'A' }, { role: 'system', content: [{ type: 'text', text: 'B' }] }] }))
      .toEqual({ system: 'A\n\nB', turns: [] });
    expect(() => fromMessages([{ role: 'user', content: 'x' }, { role: 'robot', content: 'y' }])).toThrow(/^messages\[1\]\.role/);
    expect(() => fromMessages('nope')).toThrow(/JSON array of messages/);
  });
});

describe('register a model', () => {
  const base = { engine: 'transformers' as const, id: '', modalities: [], apiKey: '', remoteModel: '' };
  test('hub id, folder URL, remote server', () => {
    expect(registrationOf({ ...base, source: 'onnx-community/Qwen2.5-0.5B-Instruct' })).toEqual({ id: 'onnx-community/Qwen2.5-0.5B-Instruct', repo: 'onnx-community/Qwen2.5-0.5B-Instruct' });
    expect(registrationOf({ ...base, source: '/models/tiny-vlm', modalities: ['image'] })).toEqual({ id: 'tiny-vlm', baseUrl: '/models/tiny-vlm/', modalities: ['text', 'image'] });
    expect(registrationOf({ ...base, engine: 'remote', source: 'http://localhost:8000/v1', apiKey: 'k', remoteModel: 'qwen' }))
      .toEqual({ id: 'qwen', engine: 'remote', baseURL: 'http://localhost:8000/v1', apiKey: 'k', model: 'qwen' });
    expect(() => registrationOf({ ...base, source: 'not a repo' })).toThrow(/owner\/name/);
    expect(() => registrationOf({ ...base, engine: 'remote', source: 'localhost:8000' })).toThrow(/http\(s\) base URL/);
  });
});

describe('JSON editors', () => {
  test('schema: invalid JSON, not a schema, valid', () => {
    expect(schemaError('{"type": "object",')).toMatch(/^Invalid JSON: /);
    expect(schemaError('[1]')).toBe('A schema is a JSON object.');
    expect(schemaError('{"type": "nope"}')).toMatch(/^Not a JSON Schema: /);
    expect(schemaError('{"type": "object", "properties": {"a": {"type": "string"}}}')).toBeNull();
  });
  test('tools: an array of functions whose parameters are schemas', () => {
    expect(toolsError('{}')).toBe('Tools are a JSON array.');
    expect(toolsError('[{"type": "function"}]')).toMatch(/^tools\[0\] needs/);
    expect(toolsError('[{"type": "function", "function": {"name": "f", "parameters": {"type": 3}}}]')).toMatch(/^tools\[0\]\.function\.parameters: Not a JSON Schema/);
    expect(toolsError('[{"type": "function", "function": {"name": "f"}}]')).toBeNull();
  });
  test('logit_bias: empty (not sent) or token ids to a bias in -100..100', () => {
    expect(logitBiasError('  ')).toBeNull();
    expect(logitBiasError('{"405": 4, "406": -100}')).toBeNull();
    expect(logitBiasError('{"405": ')).toMatch(/^Invalid JSON: /);
    expect(logitBiasError('[4]')).toMatch(/^logit_bias is a JSON object/);
    expect(logitBiasError('{"think": 4}')).toBe('"think" is not a token id (a whole number).');
    expect(logitBiasError('{"405": 101}')).toBe('The bias of 405 is a number from -100 to 100.');
    expect(logitBiasError('{"405": "4"}')).toBe('The bias of 405 is a number from -100 to 100.');
  });
});

describe('snippets', () => {
  test('the fetch snippet runs as written: its fetch and console watched, the raw SSE kept', async () => {
    const ctx = { request: { model: 'm', messages: [{ role: 'user', content: 'Hi' }], temperature: 0 }, baseURL: 'http://x.test/v1', model: { id: 'm', device: 'wasm', registration: null } };
    const code = snippet('fetch', ctx);
    expect(code).toContain('fetch("http://x.test/v1/chat/completions"');
    const sse = ['Hel', 'lo'].map((t) => `data: ${JSON.stringify({ choices: [{ index: 0, delta: { content: t } }] })}\n\n`).join('') + 'data: [DONE]\n\n';
    const bodies: unknown[] = [];
    const realFetch = globalThis.fetch;
    globalThis.fetch = (async (_url: unknown, init: RequestInit) => {
      bodies.push(JSON.parse(String(init.body)));
      return new Response(sse, { headers: { 'content-type': 'text/event-stream' } });
    }) as typeof fetch;
    try {
      const run = await runSnippet(code, {} as never);
      expect(run.output).toEqual(['Hello']);
      expect(run.raw).toBe(sse);
      expect(bodies).toEqual([{ ...ctx.request, stream: true, stream_options: { include_usage: true } }]);
    } finally {
      globalThis.fetch = realFetch;
    }
  });
});
