/**
 * Contract tests of the web-llm adapter's embeddings and tokenizer: web-llm's real
 * MLCEngine.embedding() (its request checks and lock) over the scripted EmbeddingPipeline
 * (./support/scripted-webllm.ts), through the real Runtime's /v1/embeddings and /tokenize
 * semantics.
 */
import { describe, expect, test } from 'vitest';
import { BadRequestError } from '../../src/protocol/errors.js';
import { setup, signal } from './support/setup.js';

const EMBED = { options: { emb: { model_type: 1 } } };

describe('embeddings through web-llm', () => {
  test('web-llm gets the token ids core counted; its vectors come back by index; usage is the count', async () => {
    const { runtime, web } = setup({ emb: { words: ['hello', 'world'] } }, EMBED);
    const out = await runtime.runEndpoint('embeddings', { model: 'emb', input: ['hello world', 'hi'] }, signal());
    const pipeline = web.embeddingPipelines[0]!;
    const ids = ['hello world', 'hi'].map((t) => Array.from(pipeline.tokenizer.encode(t)));
    expect(web.callsOf('embedding').map((c) => c.args[0])).toEqual([{ model: 'emb', input: ids }]);
    expect(pipeline.inputs).toEqual([ids]);
    const expected = ids.map((x) => {
      const v = [x.length, x.reduce((a, b) => a + b, 0), 1];
      return v.map((y) => y / Math.hypot(...v));
    });
    expect(out.data.map((d) => d.embedding)).toEqual(expected.map((v) => v.map((y) => Math.fround(y))));
    expect(out.usage).toEqual({ prompt_tokens: ids.flat().length, total_tokens: ids.flat().length });
    const b64 = await runtime.runEndpoint('embeddings', { model: 'emb', input: 'hi', encoding_format: 'base64' }, signal());
    expect(typeof b64.data[0]!.embedding).toBe('string');
  });

  test('inputs over the context window, dimensions, and chat are 400s before web-llm is asked', async () => {
    const { runtime, web } = setup({ emb: { contextWindow: 4 } }, EMBED);
    const long = await runtime.runEndpoint('embeddings', { model: 'emb', input: ['ok', 'far too long'] }, signal()).catch((e) => e);
    expect(long).toBeInstanceOf(BadRequestError);
    expect(long.param).toBe('input[1]');
    const dims = await runtime.runEndpoint('embeddings', { model: 'emb', input: 'ok', dimensions: 2 }, signal()).catch((e) => e);
    expect(dims.param).toBe('dimensions');
    const chat = await runtime.createChatCompletion({ model: 'emb', messages: [{ role: 'user', content: 'Hi' }] }, signal()).catch((e) => e);
    expect(chat).toMatchObject({ status: 400, param: 'model', code: 'model_not_supported' });
    expect(web.callsOf('embedding')).toHaveLength(0);
  });
});

describe('tokenize through web-llm', () => {
  test('messages count what chat prefills; detokenize gives the text back', async () => {
    const { runtime, web } = setup({ m: { reply: 'Hello!' } });
    const messages = [{ role: 'user', content: 'Hi there' }];
    const tok = await runtime.runEndpoint('tokenize', { model: 'm', messages }, signal());
    const chat = await runtime.createChatCompletion({ model: 'm', messages }, signal());
    expect(tok.count).toBe(chat.usage.prompt_tokens);
    expect(tok.tokens).toEqual(web.pipelines[0]!.prefills[0]!.tokens);
    const text = await runtime.runEndpoint('tokenize', { model: 'm', prompt: 'Hi there' }, signal());
    expect((await runtime.runEndpoint('detokenize', { model: 'm', tokens: text.tokens as number[] }, signal())).prompt).toBe('Hi there');
  });
});
