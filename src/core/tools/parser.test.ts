import { describe, expect, it } from 'vitest';
import { ToolCallParser, type ToolEvent } from './parser.js';

const NAMES = new Set(['get_weather', 'get_time']);

/** Feeds `text` in pieces of `size` characters; returns the folded result and the events. */
function parse(text: string, size = 3, opts: { maxCalls?: number; format?: 'hermes' | 'llama3' | 'mistral' } = {}) {
  const parser = new ToolCallParser({ names: NAMES, ...opts });
  const events: ToolEvent[] = [];
  for (let i = 0; i < text.length; i += size) events.push(...parser.push(text.slice(i, i + size)));
  events.push(...parser.finish());
  let content = '';
  const calls: Array<{ id: string; name: string; arguments: string }> = [];
  for (const e of events) {
    if (e.type === 'content') content += e.text;
    else if (e.type === 'call') calls[e.index] = { id: e.id, name: e.name, arguments: '' };
    else calls[e.index]!.arguments += e.text;
  }
  return { content, calls: calls.map(({ name, arguments: a }) => ({ name, arguments: JSON.parse(a) })), ids: calls.map((c) => c.id), events };
}

describe('tool-call parser: real output of each family', () => {
  it('Mistral models get 9-alphanumeric call ids (their templates refuse others on the way back)', () => {
    const call = '[TOOL_CALLS][{"name": "get_weather", "arguments": {"city": "Paris"}}]';
    expect(parse(call, 3, { format: 'mistral' }).ids).toEqual([expect.stringMatching(/^[A-Za-z0-9]{9}$/)]);
    expect(parse(call).ids).toEqual([expect.stringMatching(/^call_[A-Za-z0-9]{24}$/)]);
  });

  it('Hermes / Qwen2.5: <tool_call> blocks, two calls, whitespace around dropped', () => {
    const out = parse('<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris", "unit": "celsius"}}\n</tool_call>\n<tool_call>\n{"name": "get_time", "arguments": {"tz": "Europe/Paris"}}\n</tool_call>');
    expect(out.content).toBe('');
    expect(out.calls).toEqual([
      { name: 'get_weather', arguments: { city: 'Paris', unit: 'celsius' } },
      { name: 'get_time', arguments: { tz: 'Europe/Paris' } },
    ]);
    expect(out.ids.every((id) => /^call_[A-Za-z0-9]{24}$/.test(id))).toBe(true);
    expect(new Set(out.ids).size).toBe(2);
  });

  it('Hermes with text before the call (Qwen3 style) keeps the text as content', () => {
    const out = parse("I'll check the weather.\n\n<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Tokyo\"}}\n</tool_call>");
    expect(out.content).toBe("I'll check the weather.");
    expect(out.calls).toEqual([{ name: 'get_weather', arguments: { city: 'Tokyo' } }]);
  });

  it('Hermes arguments stream in fragments once the name is known', () => {
    const out = parse('<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris, the capital of France"}}\n</tool_call>', 4);
    const fragments = out.events.filter((e) => e.type === 'arguments');
    expect(fragments.length).toBeGreaterThan(3);
    expect(out.events.findIndex((e) => e.type === 'call')).toBeLessThan(out.events.findIndex((e) => e.type === 'arguments'));
    expect(out.calls[0]!.arguments).toEqual({ city: 'Paris, the capital of France' });
  });

  it('Hermes with the keys the other way round and string-encoded arguments', () => {
    expect(parse('<tool_call>\n{"arguments": {"city": "Oslo"}, "name": "get_weather"}\n</tool_call>').calls).toEqual([{ name: 'get_weather', arguments: { city: 'Oslo' } }]);
    expect(parse('<tool_call>\n{"name": "get_weather", "arguments": "{\\"city\\": \\"Oslo\\"}"}\n</tool_call>').calls).toEqual([{ name: 'get_weather', arguments: { city: 'Oslo' } }]);
  });

  it('Llama 3.1/3.2: bare JSON with "parameters"', () => {
    const out = parse('{"name": "get_weather", "parameters": {"city": "San Francisco", "unit": "fahrenheit"}}');
    expect(out).toMatchObject({ content: '', calls: [{ name: 'get_weather', arguments: { city: 'San Francisco', unit: 'fahrenheit' } }] });
  });

  it('Llama 3.x with <|python_tag|> and two calls separated by ";"', () => {
    const out = parse('<|python_tag|>{"name": "get_weather", "parameters": {"city": "Rome"}}; {"name": "get_time", "parameters": {"tz": "CET"}}');
    expect(out.content).toBe('');
    expect(out.calls).toEqual([
      { name: 'get_weather', arguments: { city: 'Rome' } },
      { name: 'get_time', arguments: { tz: 'CET' } },
    ]);
  });

  it('Llama 3.x {"type": "function", ...} variant', () => {
    expect(parse('{"type": "function", "name": "get_time", "parameters": {"tz": "UTC"}}').calls).toEqual([{ name: 'get_time', arguments: { tz: 'UTC' } }]);
  });

  it('Mistral: [TOOL_CALLS] with a JSON array', () => {
    const out = parse('[TOOL_CALLS] [{"name": "get_weather", "arguments": {"city": "Lyon"}}, {"name": "get_time", "arguments": {"tz": "CET"}}]');
    expect(out.content).toBe('');
    expect(out.calls).toEqual([
      { name: 'get_weather', arguments: { city: 'Lyon' } },
      { name: 'get_time', arguments: { tz: 'CET' } },
    ]);
  });

  it('Mistral with [TOOL_CALLS] dropped as a special token: the bare array', () => {
    expect(parse('[{"name": "get_weather", "arguments": {"city": "Nice"}}]').calls).toEqual([{ name: 'get_weather', arguments: { city: 'Nice' } }]);
  });

  it('plain JSON that is not a call of a declared tool stays content', () => {
    expect(parse('{"name": "Ann", "age": 3}')).toMatchObject({ content: '{"name": "Ann", "age": 3}', calls: [] });
    expect(parse('{"name": "launch_rockets", "arguments": {}}')).toMatchObject({ content: '{"name": "launch_rockets", "arguments": {}}', calls: [] });
    expect(parse('[1, 2, 3]')).toMatchObject({ content: '[1, 2, 3]', calls: [] });
  });

  it('text that only looks like the start of a marker is released', () => {
    expect(parse('a < b and <tool is fine', 1)).toMatchObject({ content: 'a < b and <tool is fine', calls: [] });
    expect(parse('use [TOOL] here', 2)).toMatchObject({ content: 'use [TOOL] here', calls: [] });
  });

  it('a marker with something that is not a call is handed back as content', () => {
    expect(parse('<tool_call>oops</tool_call> ok')).toMatchObject({ content: '<tool_call>oops</tool_call> ok', calls: [] });
  });

  it('parallel_tool_calls false: only the first call is reported', () => {
    const out = parse('<tool_call>\n{"name": "get_weather", "arguments": {"city": "A"}}\n</tool_call>\n<tool_call>\n{"name": "get_time", "arguments": {}}\n</tool_call>', 5, { maxCalls: 1 });
    expect(out.calls).toEqual([{ name: 'get_weather', arguments: { city: 'A' } }]);
    expect(out.content).toBe('');
  });

  it('a call truncated by max_tokens keeps what was streamed', () => {
    const parser = new ToolCallParser({ names: NAMES });
    const events = [...parser.push('<tool_call>\n{"name": "get_weather", "arguments": {"city": "Par'), ...parser.finish()];
    expect(events.map((e) => e.type)).toEqual(['call', 'arguments']);
    expect(events[1]).toMatchObject({ text: '{"city": "Par' });
  });

  it('a call cut off before its name is dropped, not sent as markup', () => {
    const parser = new ToolCallParser({ names: NAMES });
    const events = [...parser.push('Checking. <tool_call>\n{"name": "get_wea'), ...parser.finish()];
    expect(events).toEqual([{ type: 'content', text: 'Checking.' }]);
  });

  it('no calls: content unchanged, including surrounding whitespace', () => {
    expect(parse('\n  Hello there.  \n', 2)).toMatchObject({ content: '\n  Hello there.  \n', calls: [] });
  });
});
