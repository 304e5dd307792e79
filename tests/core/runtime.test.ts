import { describe, expect, it } from 'vitest';
import { isAbort } from '../../src/core/abort.js';
import { ChatCompletion, ChatCompletionChunk } from '../../src/protocol/chat.js';
import { BadRequestError, NotFoundError, RateLimitError, toAPIError, type APIError } from '../../src/protocol/errors.js';
import { EOS_ID, FILLER, bytePieces, collect, scriptedRuntime } from '../support/scripted-engine.js';

const signal = () => new AbortController().signal;
const user = (content: string) => [{ role: 'user', content }];
const HELLO = ['Hel', 'lo', ' wor', 'ld'];

function setup(reply: readonly string[] = HELLO, extra: Parameters<typeof scriptedRuntime>[0] = {}, maxQueue?: number) {
  return scriptedRuntime({ m: { reply }, ...extra }, maxQueue === undefined ? {} : { maxQueue });
}

async function stream(runtime: ReturnType<typeof setup>['runtime'], body: Record<string, unknown>, s = signal()) {
  const chunks = await collect(await runtime.startChatCompletion({ model: 'm', messages: user('hi'), stream: true, ...body }, s));
  // Every chunk core produces must be what the protocol schema describes, no more.
  for (const chunk of chunks) expect(ChatCompletionChunk.parse(chunk)).toEqual(chunk);
  return chunks;
}

async function complete(runtime: ReturnType<typeof setup>['runtime'], body: Record<string, unknown> = {}, s = signal()) {
  const out = await runtime.createChatCompletion({ model: 'm', messages: user('hi'), ...body }, s);
  // Everything core produces must be what the protocol schema describes, no more.
  expect(ChatCompletion.parse(out)).toEqual(out);
  return out;
}

function contentOf(chunks: ChatCompletionChunk[], index = 0): string {
  return chunks.flatMap((c) => c.choices).filter((c) => c.index === index).map((c) => c.delta.content ?? '').join('');
}

async function rejection(p: Promise<unknown>): Promise<APIError> {
  const err = await p.then(
    () => { throw new Error('expected a rejection'); },
    (e: unknown) => e,
  );
  return err as APIError;
}

describe('Runtime: streaming chunk sequence', () => {
  it('role chunk first, content chunks, finish chunk last; no usage field without include_usage', async () => {
    const { runtime } = setup();
    const chunks = await stream(runtime, {});

    expect(chunks[0]!.choices).toEqual([{ index: 0, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null }]);
    const last = chunks.at(-1)!;
    expect(last.choices).toEqual([{ index: 0, delta: {}, logprobs: null, finish_reason: 'stop' }]);
    const middle = chunks.slice(1, -1);
    expect(middle.length).toBeGreaterThan(0);
    for (const c of middle) {
      expect(c.choices).toHaveLength(1);
      expect(c.choices[0]!.finish_reason).toBeNull();
      expect(c.choices[0]!.delta.role).toBeUndefined();
      expect(typeof c.choices[0]!.delta.content).toBe('string');
    }
    expect(contentOf(chunks)).toBe('Hello world');
    for (const c of chunks) {
      expect('usage' in c).toBe(false);
      expect(c.object).toBe('chat.completion.chunk');
      expect(c.model).toBe('m');
    }
    // One id and one created for the whole stream.
    expect(new Set(chunks.map((c) => c.id)).size).toBe(1);
    expect(chunks[0]!.id).toMatch(/^chatcmpl-/);
    expect(new Set(chunks.map((c) => c.created)).size).toBe(1);
  });

  it('streams token by token', async () => {
    const { runtime } = setup();
    const chunks = await stream(runtime, {});
    expect(chunks.slice(1, -1).map((c) => c.choices[0]!.delta.content)).toEqual(HELLO);
  });

  it('include_usage: usage null on every chunk, then a usage chunk with empty choices', async () => {
    const { runtime } = setup();
    const chunks = await stream(runtime, { messages: user('three word prompt'), stream_options: { include_usage: true } });
    const last = chunks.at(-1)!;
    expect(last.choices).toEqual([]);
    expect(last.usage).toEqual({ prompt_tokens: 3, completion_tokens: 5, total_tokens: 8 });
    for (const c of chunks.slice(0, -1)) {
      expect(c.usage).toBeNull();
      expect(c.choices).toHaveLength(1);
    }
    expect(chunks.at(-2)!.choices[0]!.finish_reason).toBe('stop');
  });

  it('include_usage false behaves as absent', async () => {
    const { runtime } = setup();
    const chunks = await stream(runtime, { stream_options: { include_usage: false } });
    expect(chunks.every((c) => c.choices.length === 1 && !('usage' in c))).toBe(true);
  });

  it('n > 1: every choice has its role chunk, content and finish chunk under its index', async () => {
    const { runtime } = setup();
    const chunks = await stream(runtime, { n: 3, stream_options: { include_usage: true } });
    for (const index of [0, 1, 2]) {
      const own = chunks.filter((c) => c.choices[0]?.index === index);
      expect(own[0]!.choices[0]!.delta).toEqual({ role: 'assistant', content: '' });
      expect(own.at(-1)!.choices[0]!.finish_reason).toBe('stop');
      expect(contentOf(chunks, index)).toBe('Hello world');
    }
    // Usage sums the choices (prompt counted once).
    expect(chunks.at(-1)!.usage).toEqual({ prompt_tokens: 1, completion_tokens: 15, total_tokens: 16 });
  });
});

describe('Runtime: non-streaming', () => {
  it('collects the completion, with usage and finish_reason', async () => {
    const { runtime } = setup();
    const out = await complete(runtime, { messages: user('two words') });
    expect(out.object).toBe('chat.completion');
    expect(out.id).toMatch(/^chatcmpl-/);
    expect(out.model).toBe('m');
    expect(out.choices).toEqual([
      { index: 0, message: { role: 'assistant', content: 'Hello world', refusal: null }, logprobs: null, finish_reason: 'stop' },
    ]);
    expect(out.usage).toEqual({ prompt_tokens: 2, completion_tokens: 5, total_tokens: 7 });
  });

  it('usage counts the reasoning block (tags included) as completion_tokens_details.reasoning_tokens', async () => {
    const THINKING = ['<think>', 'let', ' me', ' see', '</think>', 'Hel', 'lo'];
    const { runtime } = setup(THINKING);
    const out = await complete(runtime);
    expect(out.choices[0]!.message).toMatchObject({ content: 'Hello', reasoning_content: 'let me see' });
    // 7 pieces + EOS; the 5 from <think> to </think> are reasoning.
    expect(out.usage).toEqual({ prompt_tokens: 1, completion_tokens: 8, total_tokens: 9, completion_tokens_details: { reasoning_tokens: 5 } });
    // n=2: summed over the choices; the same in the stream's usage chunk.
    const two = await complete(runtime, { n: 2 });
    expect(two.usage.completion_tokens_details).toEqual({ reasoning_tokens: 10 });
    const chunks = await stream(runtime, { stream_options: { include_usage: true } });
    expect(chunks.at(-1)!.usage).toEqual(out.usage);
    // A model that did not reason keeps OpenAI's plain usage.
    const plain = await complete(setup().runtime);
    expect(plain.usage.completion_tokens_details).toBeUndefined();
  });

  it('ignores stream_options when not streaming', async () => {
    const { runtime } = setup();
    const out = await runtime.createChatCompletion({ model: 'm', messages: user('hi'), stream: false }, signal());
    expect(out.usage.total_tokens).toBeGreaterThan(0);
  });

  it('n > 1 gives choices 0..n-1 in order', async () => {
    const { runtime } = setup();
    const out = await complete(runtime, { n: 2 });
    expect(out.choices.map((c) => c.index)).toEqual([0, 1]);
    expect(out.choices.map((c) => c.message.content)).toEqual(['Hello world', 'Hello world']);
    expect(out.usage.completion_tokens).toBe(10);
  });

  it('max_tokens cuts with finish_reason length', async () => {
    const { runtime } = setup();
    const out = await complete(runtime, { max_tokens: 2 });
    expect(out.choices[0]!.message.content).toBe('Hello');
    expect(out.choices[0]!.finish_reason).toBe('length');
    expect(out.usage.completion_tokens).toBe(2);
    // max_completion_tokens wins over max_tokens.
    const out2 = await complete(runtime, { max_tokens: 2, max_completion_tokens: 3 });
    expect(out2.choices[0]!.message.content).toBe('Hello wor');
  });

  it('max_tokens equal to the reply length still ends with length (EOS not reached)', async () => {
    const { runtime } = setup();
    const out = await complete(runtime, { max_tokens: 4 });
    expect(out.choices[0]!.message.content).toBe('Hello world');
    expect(out.choices[0]!.finish_reason).toBe('length');
  });

  it('streams the finish chunk with length too', async () => {
    const { runtime } = setup();
    const chunks = await stream(runtime, { max_tokens: 1 });
    expect(contentOf(chunks)).toBe('Hel');
    expect(chunks.at(-1)!.choices[0]!.finish_reason).toBe('length');
  });
});

describe('Runtime: stop strings', () => {
  it('never leaks a partial match across token boundaries', async () => {
    const { runtime } = setup();
    const chunks = await stream(runtime, { stop: 'lo w' });
    expect(contentOf(chunks)).toBe('Hel');
    const pieces = chunks.map((c) => c.choices[0]?.delta.content).filter((t) => t);
    expect(pieces.join('|')).not.toMatch(/lo/);
    expect(chunks.at(-1)!.choices[0]!.finish_reason).toBe('stop');
    const out = await complete(runtime, { stop: ['nope', 'lo w'] });
    expect(out.choices[0]!.message.content).toBe('Hel');
    expect(out.choices[0]!.finish_reason).toBe('stop');
  });

  it('stops on a stop string spanning three tokens, counting the tokens it took', async () => {
    const { runtime } = setup(['The', ' an', 's', 'wer', ' is', ' 42']);
    const out = await complete(runtime, { stop: 'answer' });
    expect(out.choices[0]!.message.content).toBe('The ');
    expect(out.choices[0]!.finish_reason).toBe('stop');
    expect(out.usage.completion_tokens).toBe(4);
  });

  it('releases a false partial match later', async () => {
    const { runtime } = setup(['a', ' S', 'T', 'x', ' b']);
    const chunks = await stream(runtime, { stop: 'STOP' });
    expect(contentOf(chunks)).toBe('a STx b');
    expect(chunks.at(-1)!.choices[0]!.finish_reason).toBe('stop');
    // The held 'ST' came out together once 'x' ruled the stop out; never before.
    const pieces = chunks.slice(1, -1).map((c) => c.choices[0]!.delta.content);
    expect(pieces).toEqual(['a', ' ', 'STx', ' b']);
  });

  it('releases a held partial match at EOS and at max_tokens', async () => {
    const { runtime } = setup(['a', ' S', 'T']);
    expect((await complete(runtime, { stop: 'STOP' })).choices[0]!.message.content).toBe('a ST');
    const cut = await complete(runtime, { stop: 'STOP', max_tokens: 2 });
    expect(cut.choices[0]!.message.content).toBe('a S');
    expect(cut.choices[0]!.finish_reason).toBe('length');
  });

  it('an empty stop string is ignored', async () => {
    const { runtime } = setup();
    expect((await complete(runtime, { stop: '' })).choices[0]!.message.content).toBe('Hello world');
  });
});

describe('Runtime: logprobs', () => {
  const PEAKED = {
    logits: (step: number): Record<string, number> => (step < 4 ? { a: 3, b: 2, 'é': 1, c: 0 } : { '<eos>': 10, a: 0 }),
    defaults: { temperature: 0 },
  };

  it('reports each token with the log-softmax of its logits and sorted top alternatives', async () => {
    const { runtime } = scriptedRuntime({ m: PEAKED });
    const out = await complete(runtime, { logprobs: true, top_logprobs: 2 });
    expect(out.choices[0]!.message.content).toBe('aaaa');
    const content = out.choices[0]!.logprobs!.content!;
    expect(out.choices[0]!.logprobs!.refusal).toBeNull();
    expect(content).toHaveLength(4);
    const z = Math.log(Math.exp(3) + Math.exp(2) + Math.exp(1) + 1);
    for (const entry of content) {
      expect(entry.token).toBe('a');
      expect(entry.bytes).toEqual([97]);
      expect(entry.logprob).toBeCloseTo(3 - z, 5);
      expect(entry.top_logprobs.map((t) => t.token)).toEqual(['a', 'b']);
      expect(entry.top_logprobs[1]!.logprob).toBeCloseTo(2 - z, 5);
    }
  });

  it('gives UTF-8 bytes of the token text', async () => {
    const { runtime } = scriptedRuntime({ m: PEAKED });
    const out = await complete(runtime, { logprobs: true, top_logprobs: 3, max_tokens: 1 });
    const top = out.choices[0]!.logprobs!.content![0]!.top_logprobs;
    expect(top[2]).toMatchObject({ token: 'é', bytes: [0xc3, 0xa9] });
  });

  it('logprobs without top_logprobs: entries with empty top lists', async () => {
    const { runtime } = setup();
    const out = await complete(runtime, { logprobs: true });
    const content = out.choices[0]!.logprobs!.content!;
    expect(content.map((e) => e.token)).toEqual(HELLO);
    for (const e of content) {
      expect(e.top_logprobs).toEqual([]);
      expect(e.logprob).toBeLessThanOrEqual(0);
      expect(e.logprob).toBeGreaterThan(-1e-3);
    }
  });

  it('streams logprobs aligned with the text of each chunk', async () => {
    const { runtime } = setup();
    const chunks = await stream(runtime, { logprobs: true, top_logprobs: 1, stop: 'lo w' });
    expect(chunks[0]!.choices[0]!.logprobs).toBeNull();
    expect(chunks.at(-1)!.choices[0]!.logprobs).toBeNull();
    let text = '';
    let tokens = '';
    for (const c of chunks.slice(1, -1)) {
      text += c.choices[0]!.delta.content;
      tokens += c.choices[0]!.logprobs!.content!.map((e) => e.token).join('');
      // Never report a token before its text has been sent.
      expect(text.startsWith(tokens) || tokens.startsWith(text)).toBe(true);
      expect(tokens.length).toBeLessThanOrEqual(text.length);
    }
    expect(text).toBe('Hel');
    // 'lo' and ' wor' made the stop string: their logprobs go with it.
    expect(tokens).toBe('Hel');
  });

  it('drops the stop tokens but keeps a token whose text was partly emitted', async () => {
    const { runtime } = setup(['Hello', ' world', '!']);
    const out = await complete(runtime, { logprobs: true, stop: 'lo w' });
    expect(out.choices[0]!.message.content).toBe('Hel');
    expect(out.choices[0]!.logprobs!.content!.map((e) => e.token)).toEqual(['Hello']);
  });

  it('keeps every token when no stop matches, and none for the EOS', async () => {
    const { runtime } = setup();
    const out = await complete(runtime, { logprobs: true, stop: 'zzz' });
    expect(out.choices[0]!.logprobs!.content!.map((e) => e.token).join('')).toBe('Hello world');
  });

  it('logprobs are null on every chunk when not asked', async () => {
    const { runtime } = setup();
    const chunks = await stream(runtime, {});
    expect(chunks.every((c) => c.choices.every((ch) => ch.logprobs === null))).toBe(true);
  });
});

describe('Runtime: sampling parameters reach the engine', () => {
  it('maps the request onto GenerateOptions, one seed per choice', async () => {
    const { runtime, engine } = setup();
    await complete(runtime, {
      temperature: 0.5, top_p: 0.9, top_k: 5, min_p: 0.1, repetition_penalty: 1.1,
      presence_penalty: 0.5, frequency_penalty: -0.2, logit_bias: { '7': 5, '12': -100 },
      seed: 7, n: 2, min_tokens: 1, ignore_eos: false, max_tokens: 9, logprobs: true, top_logprobs: 3,
    });
    expect(engine.calls).toHaveLength(2);
    const [a, b] = engine.calls.map((c) => c.options);
    expect(a!.sampling).toEqual({
      temperature: 0.5, topP: 0.9, topK: 5, minP: 0.1, repetitionPenalty: 1.1,
      presencePenalty: 0.5, frequencyPenalty: -0.2, logitBias: new Map([[7, 5], [12, -100]]),
    });
    expect(a).toMatchObject({ maxTokens: 9, seed: 7, topLogprobs: 3, minTokens: 1, ignoreEos: false });
    expect(b!.seed).toBe(8);
  });

  it('uses the model defaults where the request is silent, and OpenAI defaults after that', async () => {
    const { runtime, engine } = scriptedRuntime({ m: { reply: HELLO, defaults: { temperature: 0.3, topK: 20 } } });
    await complete(runtime, { top_k: 4 });
    const { sampling, topLogprobs, maxTokens } = engine.calls[0]!.options;
    expect(sampling).toMatchObject({ temperature: 0.3, topK: 4, topP: 1, minP: 0, repetitionPenalty: 1, presencePenalty: 0 });
    expect(topLogprobs).toBeNull();
    // No max_tokens: whatever the context leaves.
    expect(maxTokens).toBe(1024 - 1);
  });

  it('the same seed at temperature 1 gives the same text, another seed another text', async () => {
    const { runtime } = scriptedRuntime({ m: { logits: () => ({ a: 0, b: 0, c: 0, d: 0 }) } });
    const text = async (seed: number) =>
      (await complete(runtime, { seed, temperature: 1, max_tokens: 16 })).choices[0]!.message.content;
    const first = await text(1);
    expect(first).toHaveLength(16);
    expect(await text(1)).toBe(first);
    expect(await text(2)).not.toBe(first);
    // n choices under one seed are different draws, and reproducible.
    const both = (await complete(runtime, { seed: 1, n: 2, max_tokens: 16 })).choices.map((c) => c.message.content);
    expect(both[0]).toBe(first);
    expect(both[1]).not.toBe(first);
  });

  it('logit_bias through the API forces and bans tokens', async () => {
    const { runtime, engine } = scriptedRuntime({ m: { logits: () => ({ a: 2, b: 1, '<eos>': 0 }) } });
    await complete(runtime, { max_tokens: 1 }); // registers the vocabulary
    const b = engine.vocab.indexOf('b');
    const a = engine.vocab.indexOf('a');
    const forced = await complete(runtime, { max_tokens: 5, temperature: 1, seed: 3, logit_bias: { [b]: 100 } });
    expect(forced.choices[0]!.message.content).toBe('bbbbb');
    const banned = await complete(runtime, { max_tokens: 3, temperature: 0, logit_bias: { [a]: -100 } });
    expect(banned.choices[0]!.message.content).toBe('bbb');
  });

  it('min_tokens holds EOS off; ignore_eos runs to max_tokens with length', async () => {
    const { runtime } = setup(['Hi']);
    const min = await complete(runtime, { min_tokens: 3 });
    expect(min.choices[0]!.message.content).toBe(`Hi${FILLER}${FILLER}`);
    expect(min.choices[0]!.finish_reason).toBe('stop');
    const ignore = await complete(runtime, { ignore_eos: true, max_tokens: 4 });
    expect(ignore.choices[0]!.message.content).toBe(`Hi${FILLER.repeat(3)}`);
    expect(ignore.choices[0]!.finish_reason).toBe('length');
  });

  it('a byte-level tokenizer never streams half a character', async () => {
    const { runtime } = scriptedRuntime({ m: { reply: [...bytePieces('a€'), ...bytePieces('😀b')], byteLevel: true } });
    const chunks = await stream(runtime, {});
    const pieces = chunks.slice(1, -1).map((c) => c.choices[0]!.delta.content!);
    expect(pieces.join('')).toBe('a€😀b');
    for (const p of pieces) expect(p).not.toContain('\uFFFD');
  });
});

describe('Runtime: request errors', () => {
  it('invalid bodies are 400s naming the param, before any engine work', async () => {
    const { runtime, engine } = setup();
    const err = await rejection(runtime.createChatCompletion({ model: 'm', messages: user('x'), temperature: 3 }, signal()));
    expect(err).toBeInstanceOf(BadRequestError);
    expect(err.param).toBe('temperature');
    const err2 = await rejection(runtime.startChatCompletion({ model: 'm', messages: user('x'), foo: 1 }, signal()));
    expect(err2.param).toBe('foo');
    expect(engine.loads).toBe(0);
  });

  it('unknown model: 404 NotFoundError on param model', async () => {
    const { runtime } = setup();
    const err = await rejection(runtime.createChatCompletion({ model: 'nope', messages: user('x') }, signal()));
    expect(err).toBeInstanceOf(NotFoundError);
    expect(err.status).toBe(404);
    expect(err.param).toBe('model');
    expect(err.code).toBe('model_not_found');
  });

  it('a prompt over the context: 400 context_length_exceeded on messages', async () => {
    const { runtime } = scriptedRuntime({ m: { reply: HELLO, contextLength: 8 } });
    const err = await rejection(runtime.createChatCompletion({ model: 'm', messages: user('one two three four five six seven eight') }, signal()));
    expect(err).toBeInstanceOf(BadRequestError);
    expect(err.param).toBe('messages');
    expect(err.code).toBe('context_length_exceeded');
    expect(err.message).toContain('8');
  });

  it('prompt + max_tokens over the context: 400 on the max param that was sent', async () => {
    const { runtime } = scriptedRuntime({ m: { reply: HELLO, contextLength: 8 } });
    const body = { model: 'm', messages: user('one two three') };
    const err = await rejection(runtime.createChatCompletion({ ...body, max_tokens: 6 }, signal()));
    expect(err).toMatchObject({ status: 400, param: 'max_tokens', code: 'context_length_exceeded' });
    const err2 = await rejection(runtime.createChatCompletion({ ...body, max_completion_tokens: 6 }, signal()));
    expect(err2).toMatchObject({ status: 400, param: 'max_completion_tokens', code: 'context_length_exceeded' });
    // Exactly filling the context is fine, and the next request runs (the queue was released).
    const ok = await runtime.createChatCompletion({ ...body, max_tokens: 5 }, signal());
    expect(ok.choices[0]!.message.content).toBe('Hello world');
  });

  it('without max_tokens, generation is capped by the context left', async () => {
    const { runtime } = scriptedRuntime({ m: { reply: HELLO, contextLength: 5 } });
    const out = await complete(runtime, { messages: user('one two three') });
    expect(out.choices[0]!.message.content).toBe('Hello');
    expect(out.choices[0]!.finish_reason).toBe('length');
  });

  it('min_tokens above the maximum: 400 on min_tokens', async () => {
    const { runtime } = setup();
    const err = await rejection(runtime.createChatCompletion({ model: 'm', messages: user('x'), max_tokens: 3, min_tokens: 4 }, signal()));
    expect(err).toMatchObject({ status: 400, param: 'min_tokens' });
    expect(err).toBeInstanceOf(BadRequestError);
  });

  it('top_logprobs without logprobs: 400 on top_logprobs', async () => {
    const { runtime } = setup();
    for (const logprobs of [undefined, false]) {
      const err = await rejection(runtime.createChatCompletion({ model: 'm', messages: user('x'), top_logprobs: 2, logprobs }, signal()));
      expect(err).toMatchObject({ status: 400, param: 'top_logprobs' });
    }
  });

  it.each([
    // The scripted engine has neither logits for core's grammar matcher nor native grammar.
    ['json_schema on an engine that cannot enforce it', { response_format: { type: 'json_schema', json_schema: { name: 'x', schema: { type: 'object' } } } }, 'response_format'],
    ['json_object on an engine that cannot enforce it', { response_format: { type: 'json_object' } }, 'response_format'],
    ['tool_choice required on an engine that cannot enforce it', {
      tools: [{ type: 'function', function: { name: 'f', parameters: { type: 'object' } } }],
      tool_choice: 'required',
    }, 'tool_choice'],
    ['legacy functions', { functions: [{ name: 'f' }] }, 'functions'],
  ])('%s: 400 on %s', async (_name, extra, param) => {
    const { runtime, engine } = setup();
    const err = await rejection(runtime.createChatCompletion({ model: 'm', messages: user('x'), ...extra }, signal()));
    expect(err).toBeInstanceOf(BadRequestError);
    expect(err.param).toBe(param);
    expect(engine.calls).toHaveLength(0);
  });

  it('tools with tool_choice auto are accepted where no grammar can be enforced (calls are parsed, not constrained)', async () => {
    const { runtime } = setup();
    const out = await complete(runtime, { tools: [{ type: 'function', function: { name: 'f', parameters: { type: 'object' } } }] });
    expect(out.choices[0]!.message.content).toBe('Hello world');
    expect(out.choices[0]!.message.tool_calls).toBeUndefined();
  });

  it('tools with tool_choice none and response_format text are accepted', async () => {
    const { runtime } = setup();
    const out = await complete(runtime, {
      tools: [{ type: 'function', function: { name: 'f' } }],
      tool_choice: 'none',
      response_format: { type: 'text' },
    });
    expect(out.choices[0]!.message.content).toBe('Hello world');
  });

  it('an image for a text-only model: 400 naming the part', async () => {
    const { runtime } = setup();
    const messages = [{ role: 'user', content: [{ type: 'text', text: 'see' }, { type: 'image_url', image_url: { url: 'data:,' } }] }];
    const err = await rejection(runtime.createChatCompletion({ model: 'm', messages }, signal()));
    expect(err).toMatchObject({ status: 400, param: 'messages[0].content[1]' });
  });

  it('an engine load failure surfaces as a 500 and frees the queue', async () => {
    const { runtime } = scriptedRuntime({ bad: { loadError: new Error('weights missing') }, m: { reply: HELLO } });
    const err = await rejection(runtime.createChatCompletion({ model: 'bad', messages: user('x') }, signal()));
    expect(toAPIError(err).status).toBe(500);
    expect(toAPIError(err).message).toBe('weights missing');
    expect((await complete(runtime)).choices[0]!.message.content).toBe('Hello world');
  });
});

describe('Runtime: queue', () => {
  it('runs concurrent requests one at a time, in arrival order, never interleaved', async () => {
    const { runtime, engine } = scriptedRuntime({ m: { reply: (prompt) => prompt.split(' ').map((w) => ` ${w}`), stepDelayMs: 1 } });
    const names = ['a1 a2 a3', 'b1 b2 b3', 'c1 c2 c3', 'd1 d2 d3'];
    const results = await Promise.all(names.map((n) => runtime.createChatCompletion({ model: 'm', messages: user(n) }, signal())));
    expect(results.map((r) => r.choices[0]!.message.content)).toEqual(names.map((n) => ` ${n}`));
    expect(engine.maxRunning).toBe(1);
    expect(engine.calls.map((c) => c.prompt.text)).toEqual(names);
    // The token log is contiguous per call.
    const order = engine.log.map((e) => e.call);
    expect(order).toEqual([...order].sort((x, y) => x - y));
    expect(engine.loads).toBe(1);
  });

  it('streams are queued too: the second starts only after the first ends', async () => {
    const { runtime, engine } = setup(HELLO, {}, 4);
    const first = await runtime.startChatCompletion({ model: 'm', messages: user('x'), stream: true }, signal());
    let secondStarted = false;
    const second = runtime.startChatCompletion({ model: 'm', messages: user('y'), stream: true }, signal()).then((s) => {
      secondStarted = true;
      return s;
    });
    const firstChunks = await collect(first);
    expect(contentOf(firstChunks)).toBe('Hello world');
    expect(engine.calls).toHaveLength(1);
    expect(contentOf(await collect(await second))).toBe('Hello world');
    expect(secondStarted).toBe(true);
    expect(engine.maxRunning).toBe(1);
  });

  it('a full queue answers 429 queue_full', async () => {
    const { runtime } = setup(HELLO, {}, 1);
    const running = await runtime.startChatCompletion({ model: 'm', messages: user('x'), stream: true }, signal());
    const waiting = runtime.createChatCompletion({ model: 'm', messages: user('y') }, signal());
    const err = await rejection(runtime.createChatCompletion({ model: 'm', messages: user('z') }, signal()));
    expect(err).toBeInstanceOf(RateLimitError);
    expect(err).toMatchObject({ status: 429, code: 'queue_full' });
    await collect(running);
    expect((await waiting).choices[0]!.message.content).toBe('Hello world');
    expect(runtime.stats().queue).toEqual({ running: false, pending: 0 });
  });

  it('an abort while queued leaves the queue and never reaches the engine', async () => {
    const { runtime, engine } = setup(HELLO, {}, 4);
    const running = await runtime.startChatCompletion({ model: 'm', messages: user('first'), stream: true }, signal());
    const ctrl = new AbortController();
    const queued = runtime.createChatCompletion({ model: 'm', messages: user('aborted') }, ctrl.signal);
    const after = runtime.createChatCompletion({ model: 'm', messages: user('after') }, signal());
    await new Promise((r) => setTimeout(r, 0));
    expect(runtime.stats().queue.pending).toBe(2);
    ctrl.abort();
    expect(isAbort(await queued.catch((e: unknown) => e))).toBe(true);
    expect(runtime.stats().queue.pending).toBe(1);
    await collect(running);
    expect((await after).choices[0]!.message.content).toBe('Hello world');
    expect(engine.calls.map((c) => c.prompt.text)).toEqual(['first', 'after']);
  });

  it('an abort while running stops the engine and the next request runs', async () => {
    const long = Array.from({ length: 500 }, (_, i) => ` t${i}`);
    const { runtime, engine } = scriptedRuntime({ m: { reply: long, stepDelayMs: 1 } }, { maxQueue: 4 });
    const ctrl = new AbortController();
    const chunks = await runtime.startChatCompletion({ model: 'm', messages: user('long'), stream: true }, ctrl.signal);
    const next = runtime.createChatCompletion({ model: 'm', messages: user('short'), max_tokens: 2 }, signal());
    let seen = 0;
    const err = await (async () => {
      for await (const chunk of chunks) {
        if (chunk.choices[0]?.delta.content) seen++;
        if (seen === 3) ctrl.abort();
      }
    })().then(() => null, (e: unknown) => e);
    expect(isAbort(err)).toBe(true);
    expect(engine.calls[0]!.aborted).toBe(true);
    expect(engine.calls[0]!.done).toBe(true);
    expect(engine.calls[0]!.ids.length).toBeLessThan(10);
    const out = await next;
    expect(out.choices[0]!.message.content).toBe(' t0 t1');
    expect(engine.maxRunning).toBe(1);
  });

  it('an aborted non-streaming request rejects and frees the engine', async () => {
    const long = Array.from({ length: 500 }, (_, i) => ` t${i}`);
    const { runtime, engine } = scriptedRuntime({ m: { reply: long, stepDelayMs: 1 } });
    const ctrl = new AbortController();
    const p = runtime.createChatCompletion({ model: 'm', messages: user('x') }, ctrl.signal);
    setTimeout(() => ctrl.abort(), 10);
    expect(isAbort(await p.catch((e: unknown) => e))).toBe(true);
    expect(engine.calls[0]!.done).toBe(true);
    expect(runtime.stats().queue.running).toBe(false);
  });

  it('breaking out of a stream early stops the engine and releases the queue', async () => {
    const long = Array.from({ length: 500 }, (_, i) => ` t${i}`);
    const { runtime, engine } = scriptedRuntime({ m: { reply: long, stepDelayMs: 1 } }, { maxQueue: 4 });
    const chunks = await runtime.startChatCompletion({ model: 'm', messages: user('x'), stream: true }, signal());
    const next = runtime.createChatCompletion({ model: 'm', messages: user('y'), max_tokens: 1 }, signal());
    for await (const chunk of chunks) if (chunk.choices[0]?.delta.content) break;
    expect(engine.calls[0]!.done).toBe(true);
    expect((await next).choices[0]!.message.content).toBe(' t0');
    expect(engine.calls[0]!.ids.length).toBeLessThan(5);
    expect(runtime.stats().queue).toEqual({ running: false, pending: 0 });
  });

  it('a started stream that is returned before iterating releases the queue', async () => {
    const { runtime } = setup(HELLO, {}, 4);
    const chunks = await runtime.startChatCompletion({ model: 'm', messages: user('x'), stream: true }, signal());
    expect(runtime.stats().queue.running).toBe(true);
    await chunks.return!();
    expect(runtime.stats().queue.running).toBe(false);
    expect((await complete(runtime)).choices[0]!.message.content).toBe('Hello world');
  });
});

describe('Runtime: models', () => {
  it('lists registered models and loads lazily, once', async () => {
    const { runtime, engine } = scriptedRuntime({ m: { reply: HELLO, contextLength: 77 } });
    expect(runtime.listModels().data.map((m) => [m.id, m.loaded])).toEqual([['m', false]]);
    await complete(runtime);
    await complete(runtime);
    expect(engine.loads).toBe(1);
    expect(runtime.retrieveModel('m')).toMatchObject({ id: 'm', object: 'model', loaded: true, context_length: 77, engine: 'scripted' });
    expect(() => runtime.retrieveModel('zzz')).toThrow(NotFoundError);
    await runtime.unloadModel('m');
    expect(engine.models.get('m')!.unloaded).toBe(true);
    expect(runtime.retrieveModel('m').loaded).toBe(false);
  });

  it('loadModel reports progress ending in ready', async () => {
    const { runtime } = setup();
    const phases: string[] = [];
    const info = await runtime.loadModel('m', { onProgress: (p) => phases.push(p.phase) });
    expect(info).toMatchObject({ id: 'm', engine: 'scripted', device: 'wasm', context_length: 1024 });
    expect(phases.at(-1)).toBe('ready');
  });

  it('EOS is never part of the text', async () => {
    const { runtime, engine } = setup(['x']);
    const out = await complete(runtime);
    expect(engine.calls[0]!.ids.at(-1)).toBe(EOS_ID);
    expect(out.choices[0]!.message.content).toBe('x');
  });
});
