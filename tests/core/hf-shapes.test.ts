import Ajv from 'ajv';
import { beforeAll, describe, expect, it } from 'vitest';
import { ChatCompletionCreateParams } from '../../src/protocol/chat.js';
import { BadRequestError } from '../../src/protocol/errors.js';
import { parseRequest } from '../../src/protocol/validate.js';
import { grammarRuntime } from '../support/grammar-engine.js';
import { scriptedRuntime } from '../support/scripted-engine.js';
import { useXGrammarInNode } from '../support/xgrammar-node.js';

/** Hugging Face's chat completion request shapes: response_format json / regex with `value`, and `tool_prompt`. */
beforeAll(() => useXGrammarInNode());

const user = [{ role: 'user', content: 'Give me data.' }];
const SCHEMA = { type: 'object', properties: { a: { type: 'integer', minimum: 0, maximum: 9 } }, required: ['a'], additionalProperties: false };

describe('response_format in Hugging Face shapes', () => {
  it('parses into the OpenAI-style shapes', () => {
    const parse = (rf: unknown) => parseRequest(ChatCompletionCreateParams, { model: 'm', messages: user, response_format: rf }).response_format;
    expect(parse({ type: 'json', value: SCHEMA })).toEqual({ type: 'json_schema', json_schema: { name: 'json', schema: SCHEMA } });
    expect(parse({ type: 'regex', value: '[a-z]+' })).toEqual({ type: 'regex', regex: '[a-z]+' });
    expect(parse({ type: 'regex', regex: '[a-z]+' })).toEqual({ type: 'regex', regex: '[a-z]+' });
  });

  it.each([
    [{ type: 'regex', value: 'a', regex: 'b' }, 'response_format.regex'],
    [{ type: 'regex' }, 'response_format.regex'],
    [{ type: 'json', value: 'not a schema' }, 'response_format.value'],
    [{ type: 'json', value: SCHEMA, extra: 1 }, 'response_format.extra'],
  ])('%j: a 400 naming %s', (rf, param) => {
    let err: unknown;
    try {
      parseRequest(ChatCompletionCreateParams, { model: 'm', messages: user, response_format: rf });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(BadRequestError);
    expect((err as BadRequestError).param).toBe(param);
  });

  it('are enforced on a model that writes noise (json value valid by ajv, regex value matched)', async () => {
    const { runtime } = grammarRuntime();
    const validate = new Ajv({ strict: false }).compile(SCHEMA);
    for (let seed = 0; seed < 5; seed++) {
      const json = await runtime.createChatCompletion({ model: 'g', messages: user, seed, response_format: { type: 'json', value: SCHEMA } }, new AbortController().signal);
      expect(validate(JSON.parse(json.choices[0]!.message.content!))).toBe(true);
      const regex = await runtime.createChatCompletion({ model: 'g', messages: user, seed, response_format: { type: 'regex', value: '[A-Z]{3}' } }, new AbortController().signal);
      expect(regex.choices[0]!.message.content).toMatch(/^[A-Z]{3}$/);
    }
  });
});

describe('tool_prompt', () => {
  const tools = [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object' } } }];
  const promptOf = async (extra: Record<string, unknown>) => {
    const { runtime, engine } = scriptedRuntime({ m: { reply: ['ok'] } });
    await runtime.createChatCompletion({ model: 'm', messages: [{ role: 'user', content: 'hi' }], tools, ...extra }, new AbortController().signal);
    return engine.calls[0]!.prompt.text;
  };

  it('replaces the default tool prompt\'s instruction (a template that does not render tools)', async () => {
    const plain = await promptOf({});
    expect(plain).toContain('You may call one or more functions to assist with the user query.');
    const custom = await promptOf({ tool_prompt: 'Use a tool if it helps.' });
    expect(custom).toContain('Use a tool if it helps.');
    expect(custom).not.toContain('You may call one or more functions');
    expect(custom).toContain('"name":"get_weather"');
  });
});
