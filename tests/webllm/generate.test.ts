/**
 * Contract tests of the web-llm adapter (src/engines/webllm.ts). They prove the MAPPING,
 * not the engine: web-llm's real MLCEngine from node_modules runs every request (its
 * validation, chatCompletion/completion, streaming generator, lock, interrupt handling,
 * conversation templates and KV-cache reuse), but its GPU half (reload, LLMChatPipeline)
 * is the scripted stand-in of ./support/scripted-webllm.ts. Requests go through the real
 * Runtime, so the OpenAI semantics core adds on top are covered too. Whether a real model
 * on a real GPU behaves is for the opt-in e2e/webllm-real.e2e.ts.
 */
import { describe, expect, test } from 'vitest';
import { AbortError } from '../../src/core/abort.js';
import { APIError, BadRequestError, ServiceUnavailableError } from '../../src/protocol/errors.js';
import type { Runtime } from '../../src/core/runtime.js';
import { LLAMA2 } from './support/scripted-webllm.js';
import { contentOf, setup, signal, streamChat } from './support/setup.js';

const HI = [{ role: 'user', content: 'Hi' }];
const REPLY = 'Hello! I am a scripted model.';

describe('chat completions through web-llm', () => {
  test('answers, counts the prompt as web-llm prefills it, and sends web-llm the request and nothing more', async () => {
    const { runtime, web } = setup({ m: { reply: REPLY } });
    const completion = await runtime.createChatCompletion({ model: 'm', messages: HI }, signal());
    expect(completion.choices[0]!.message.content).toBe(REPLY);
    expect(completion.choices[0]!.finish_reason).toBe('stop');

    const pipeline = web.pipelines[0]!;
    // Our count (made before generation) equals the tokens web-llm's real Conversation rendered.
    expect(completion.usage.prompt_tokens).toBe(pipeline.prefills[0]!.tokens.length);
    expect(pipeline.prefills[0]!.fresh).toBe(true);
    expect(completion.usage.completion_tokens).toBe(pipeline.sampled.length);

    const [call] = web.callsOf('chatCompletion');
    expect(call!.args[0]).toEqual({
      model: 'm',
      stream: true,
      n: 1,
      max_tokens: 1024 - completion.usage.prompt_tokens,
      // The model's defaults (mlc-chat-config: temperature 0.7), sampled by web-llm itself.
      temperature: 0.7,
      top_p: 1,
      presence_penalty: 0,
      frequency_penalty: 0,
      repetition_penalty: 1,
      seed: expect.any(Number),
      messages: [{ role: 'user', content: 'Hi' }],
    });
    expect(web.locks[0]!.acquired).toBe(false);
  });

  test('the next turn of the same conversation reuses web-llm\'s KV cache, and usage says how much', async () => {
    const { runtime, web } = setup({ m: { reply: REPLY } });
    const first = await runtime.createChatCompletion({ model: 'm', messages: HI, temperature: 0 }, signal());
    expect(first.usage.prompt_tokens_details).toEqual({ cached_tokens: 0 });
    const messages = [...HI, { role: 'assistant', content: REPLY }, { role: 'user', content: 'And?' }];
    const second = await runtime.createChatCompletion({ model: 'm', messages, temperature: 0 }, signal());
    const pipeline = web.pipelines[0]!;
    expect(pipeline.prefills[1]!.fresh).toBe(false);
    const cached = second.usage.prompt_tokens_details!.cached_tokens!;
    expect(cached).toBe(second.usage.prompt_tokens - pipeline.prefills[1]!.tokens.length);
    expect(cached).toBeGreaterThan(first.usage.prompt_tokens);
    // Another conversation: web-llm starts over.
    const other = await runtime.createChatCompletion({ model: 'm', messages: [{ role: 'user', content: 'Bye' }], temperature: 0 }, signal());
    expect(other.usage.prompt_tokens_details).toEqual({ cached_tokens: 0 });
  });

  test('streams one delta per token, with role and finish chunks and include_usage', async () => {
    const { runtime, web } = setup({ m: { reply: REPLY } });
    const chunks = await streamChat(runtime, { model: 'm', messages: HI, stream_options: { include_usage: true } });
    expect(chunks[0]!.choices[0]!.delta).toEqual({ role: 'assistant', content: '' });
    expect(contentOf(chunks)).toBe(REPLY);
    const deltas = chunks.filter((c) => c.choices[0]?.delta.content);
    expect(deltas.length).toBe(REPLY.length); // single-character tokens in the stand-in
    expect(chunks.at(-2)!.choices[0]!.finish_reason).toBe('stop');
    const usage = chunks.at(-1)!.usage!;
    expect(usage.prompt_tokens).toBe(web.pipelines[0]!.prefills[0]!.tokens.length);
    expect(usage.completion_tokens).toBe(REPLY.length + 1);
  });

  test('stop strings end the answer without leaking a partial match, and web-llm is stopped at once', async () => {
    const { runtime, web } = setup({ m: { reply: 'one two three four five' } });
    const chunks = await streamChat(runtime, { model: 'm', messages: HI, stop: ['thr', 'x'] });
    expect(contentOf(chunks)).toBe('one two ');
    expect(chunks.at(-1)!.choices[0]!.finish_reason).toBe('stop');
    // core's stop strings stay in core: web-llm gets none, and is interrupted.
    expect(web.callsOf('chatCompletion')[0]!.args[0]).not.toHaveProperty('stop');
    expect(web.pipelines[0]!.sampled.length).toBeLessThan('one two three four five'.length);
    expect(web.locks[0]!.acquired).toBe(false);
  });

  test("the template's own text stop string ([INST]) never shows and ends the answer", async () => {
    const { runtime, web } = setup({ m: { template: LLAMA2, reply: 'Sure thing. [INST] and more' } });
    const completion = await runtime.createChatCompletion({ model: 'm', messages: HI }, signal());
    expect(completion.choices[0]!.message.content).toBe('Sure thing. ');
    expect(completion.choices[0]!.finish_reason).toBe('stop');
    expect(completion.usage.prompt_tokens).toBe(web.pipelines[0]!.prefills[0]!.tokens.length);
  });

  test('max_tokens ends with finish_reason length', async () => {
    const { runtime, web } = setup({ m: { reply: REPLY } });
    const completion = await runtime.createChatCompletion({ model: 'm', messages: HI, max_tokens: 5 }, signal());
    expect(completion.choices[0]!.message.content).toBe('Hello');
    expect(completion.choices[0]!.finish_reason).toBe('length');
    expect(completion.usage.completion_tokens).toBe(5);
    expect(web.callsOf('chatCompletion')[0]!.args[0]).toMatchObject({ max_tokens: 5 });
  });

  test('multi-byte characters split over byte tokens arrive whole, with one logprob entry per token', async () => {
    const { runtime } = setup({ m: { reply: 'Price: 5€ ok' } });
    const chunks = await streamChat(runtime, { model: 'm', messages: HI, logprobs: true, top_logprobs: 2 });
    expect(contentOf(chunks)).toBe('Price: 5€ ok');
    for (const c of chunks) expect(c.choices[0]?.delta.content ?? '').not.toContain('\uFFFD');
    const entries = chunks.flatMap((c) => c.choices[0]?.logprobs?.content ?? []);
    expect(entries.length).toBe('Price: 5'.length + 3 + ' ok'.length);
    // The three byte tokens of '€' arrive with the chunk that completes the character.
    const euro = chunks.find((c) => c.choices[0]?.delta.content === '€')!;
    expect(euro.choices[0]!.logprobs!.content).toHaveLength(3);
    for (const e of entries) expect(e.top_logprobs.length).toBe(2);
  });
});

/** The seeds requests gave web-llm (it reseeds itself from the clock after each). */
const requestSeeds = (web: { pipelines: Array<{ seeds: number[] }> }) => web.pipelines[0]!.seeds.filter((x) => x < 2 ** 32);

describe('who samples: web-llm where its sampler means the same, core\'s Sampler otherwise', () => {
  const vowels = { logits: () => ({ a: 3, e: 2.5, i: 2, o: 1.5, u: 1 }) };
  const ask = (runtime: Runtime) => async (extra: Record<string, unknown>) =>
    (await runtime.createChatCompletion({ model: 'm', messages: HI, max_tokens: 4, ...extra }, signal())).choices[0]!.message.content;

  test('native: temperature, top_p, penalties, logit_bias and the seed go to web-llm, and the hook only observes', async () => {
    const { runtime, web } = setup({ m: vowels });
    await runtime.createChatCompletion(
      { model: 'm', messages: HI, max_tokens: 4, temperature: 0.8, top_p: 0.9, presence_penalty: 0.5, frequency_penalty: -0.5, logit_bias: { 7: 10, 99999: 5 }, seed: 42 },
      signal(),
    );
    expect(web.callsOf('chatCompletion')[0]!.args[0]).toMatchObject({
      temperature: 0.8, top_p: 0.9, presence_penalty: 0.5, frequency_penalty: -0.5, repetition_penalty: 1,
      logit_bias: { 7: 10 }, // ids beyond the vocabulary dropped (no effect in core's sampler either)
      seed: 42,
    });
    // (web-llm reseeds itself from the clock after a seeded request.)
    expect(requestSeeds(web)).toEqual([42]);
  });

  test('a seed reproduces the answer; choice i gets seed + i, as on every engine', async () => {
    const { runtime, web } = setup({ m: vowels });
    const body = { model: 'm', messages: HI, temperature: 1, seed: 7, max_tokens: 12, n: 2 };
    const a = await runtime.createChatCompletion(body, signal());
    const b = await runtime.createChatCompletion(body, signal());
    expect(a.choices.map((c) => c.message.content)).toEqual(b.choices.map((c) => c.message.content));
    expect(a.choices[0]!.message.content).not.toBe(a.choices[1]!.message.content);
    const single = await runtime.createChatCompletion({ ...body, n: 1, seed: 8 }, signal());
    expect(single.choices[0]!.message.content).toBe(a.choices[1]!.message.content);
    expect(requestSeeds(web)).toEqual([7, 8, 7, 8, 8]);
    for (const call of web.callsOf('chatCompletion')) expect(call.args[0]).toMatchObject({ n: 1 });
  });

  test('n with stream: each choice streams under its own index', async () => {
    const { runtime } = setup({ m: vowels });
    const chunks = await streamChat(runtime, { model: 'm', messages: HI, temperature: 1, seed: 3, max_tokens: 6, n: 3 });
    const indexes = new Set(chunks.flatMap((c) => c.choices.map((x) => x.index)));
    expect([...indexes].sort()).toEqual([0, 1, 2]);
    for (const i of [0, 1, 2]) expect(contentOf(chunks, i)).toHaveLength(6);
  });

  test('greedy with logit_bias and penalties: web-llm and core\'s Sampler agree token for token', async () => {
    const native = setup({ m: vowels });
    const core = setup({ m: vowels }, { sampling: 'webinfer' });
    const cases = [{ temperature: 0 }, { temperature: 0, presence_penalty: 2 }, { temperature: 0, frequency_penalty: 0.4 }, { temperature: 0.5, top_k: 1 }, { top_p: 0 }];
    const expected = ['aaaa', 'aeio', 'aaea', 'aaaa', 'aaaa'];
    for (const [i, extra] of cases.entries()) {
      expect(await ask(native.runtime)(extra)).toBe(expected[i]);
      expect(await ask(core.runtime)(extra)).toBe(expected[i]);
    }
    const a = native.web.pipelines[0]!.tokenizer.id('a');
    expect(await ask(native.runtime)({ temperature: 0, logit_bias: { [a]: -100 } })).toBe('eeee');
    expect(await ask(core.runtime)({ temperature: 0, logit_bias: { [a]: -100 } })).toBe('eeee');
    // Native requests carried the settings; core's carried neutral ones and no seed.
    expect(native.web.callsOf('chatCompletion')[1]!.args[0]).toMatchObject({ temperature: 0, presence_penalty: 2 });
    for (const call of core.web.callsOf('chatCompletion')) {
      expect(call.args[0]).toMatchObject({ temperature: 1, top_p: 1, presence_penalty: 0, frequency_penalty: 0, repetition_penalty: 1 });
      expect(call.args[0]).not.toHaveProperty('logit_bias');
      expect(call.args[0]).not.toHaveProperty('seed');
    }
  });

  test("core's Sampler takes over for what web-llm's sampler cannot mean: top_k, min_p, repetition_penalty", async () => {
    const { runtime, web } = setup({ m: vowels });
    expect(await ask(runtime)({ temperature: 2, top_k: 2, seed: 1 })).toMatch(/^[ae]{4}$/);
    expect(await ask(runtime)({ temperature: 2, min_p: 0.99, seed: 1 })).toBe('aaaa');
    // HF semantics: the prompt counts too ('a' is in it, 'x' is not).
    const other = setup({ m: { logits: () => ({ a: 3, x: 2 }) } });
    expect(await ask(other.runtime)({ temperature: 0 })).toBe('aaaa');
    expect(await ask(other.runtime)({ temperature: 0, repetition_penalty: 2 })).toBe('xaaa');
    expect(other.web.callsOf('chatCompletion')[1]!.args[0]).toMatchObject({ temperature: 1, repetition_penalty: 1 });
    for (const call of web.callsOf('chatCompletion')) {
      expect(call.args[0]).toMatchObject({ temperature: 1, top_p: 1, repetition_penalty: 1 });
      expect(call.args[0]).not.toHaveProperty('seed');
    }
    expect(requestSeeds(web)).toEqual([]);
  });

  test('logprobs come from the logits web-llm hands the hook, with token texts and top alternatives', async () => {
    const { runtime, web } = setup({ m: vowels });
    const completion = await runtime.createChatCompletion(
      { model: 'm', messages: HI, temperature: 0, max_tokens: 2, logprobs: true, top_logprobs: 3 },
      signal(),
    );
    const entries = completion.choices[0]!.logprobs!.content!;
    expect(entries.map((e) => e.token)).toEqual(['a', 'a']);
    expect(entries[0]!.top_logprobs.map((t) => t.token)).toEqual(['a', 'e', 'i']);
    // The scripted logits (a 3, e 2.5, ... and 0 for the rest of the vocabulary), log-softmaxed.
    const vocab = 4 + 96 + 256;
    const z = Math.log(Math.exp(3) + Math.exp(2.5) + Math.exp(2) + Math.exp(1.5) + Math.exp(1) + (vocab - 5));
    expect(entries[0]!.logprob).toBeCloseTo(3 - z, 4);
    expect(entries[0]!.top_logprobs.map((t) => t.logprob)).toEqual([3 - z, 2.5 - z, 2 - z].map((v) => expect.closeTo(v, 4)));
    // web-llm was asked for none (it would cap top_logprobs at 5).
    expect(web.callsOf('chatCompletion')[0]!.args[0]).not.toHaveProperty('logprobs');
  });

  test('min_tokens holds the end token back; ignore_eos reaches web-llm and its end tokens are never sampled', async () => {
    const { runtime, web } = setup({ m: { reply: 'ok' } });
    const held = await runtime.createChatCompletion({ model: 'm', messages: HI, temperature: 0, min_tokens: 4, max_tokens: 4 }, signal());
    expect(held.choices[0]!.message.content).toBe('ok~~');
    const ignored = await runtime.createChatCompletion({ model: 'm', messages: HI, temperature: 0, ignore_eos: true, max_tokens: 3 }, signal());
    expect(ignored.choices[0]!.message.content).toBe('ok~');
    expect(ignored.choices[0]!.finish_reason).toBe('length');
    expect(web.callsOf('chatCompletion')[1]!.args[0]).toMatchObject({ ignore_eos: true, temperature: 1 });
  });

  test("sampling: 'webinfer' makes core's Sampler draw everything (the same stream as on other engines)", async () => {
    const { runtime, web } = setup({ m: vowels }, { sampling: 'webinfer' });
    const a = await ask(runtime)({ temperature: 1, seed: 5 });
    expect(await ask(runtime)({ temperature: 1, seed: 5 })).toBe(a);
    expect(requestSeeds(web)).toEqual([]);
  });

  test("the model's mlc-chat-config sampling values are its defaults", async () => {
    const { runtime, web } = setup({ m: { ...vowels, config: { temperature: 0, top_p: 0.5 } } });
    const completion = await runtime.createChatCompletion({ model: 'm', messages: HI, max_tokens: 3 }, signal());
    expect(completion.choices[0]!.message.content).toBe('aaa');
    expect(web.callsOf('chatCompletion')[0]!.args[0]).toMatchObject({ temperature: 0, top_p: 1 });
  });
});

describe('aborts free web-llm at once', () => {
  const slow = { reply: 'abcdefghijklmnopqrstuvwxyz', stepDelayMs: 5 };

  test('an abort mid-stream interrupts web-llm, releases its lock, and the next request runs', async () => {
    const { runtime, web } = setup({ m: slow });
    const abort = new AbortController();
    const seen: string[] = [];
    await expect((async () => {
      for await (const chunk of await runtime.startChatCompletion({ model: 'm', messages: HI, stream: true }, abort.signal)) {
        seen.push(chunk.choices[0]?.delta.content ?? '');
        if (seen.join('').length >= 3) abort.abort();
      }
    })()).rejects.toBeInstanceOf(AbortError);
    expect(web.callsOf('interruptGenerate').length).toBeGreaterThan(0);
    const pipeline = web.pipelines[0]!;
    expect(pipeline.sampled.length).toBeLessThan(8);
    expect(pipeline.getFinishReason()).toBe('abort');
    expect(web.locks[0]!.acquired).toBe(false);
    const next = await runtime.createChatCompletion({ model: 'm', messages: HI, max_tokens: 3 }, signal());
    expect(next.choices[0]!.message.content).toBe('abc');
    // An aborted reply cannot be continued in place: web-llm rebuilt the conversation.
    expect(pipeline.prefills.at(-1)!.fresh).toBe(true);
  });

  test('leaving the stream early does the same', async () => {
    const { runtime, web } = setup({ m: slow });
    const iterator = await runtime.startChatCompletion({ model: 'm', messages: HI, stream: true }, signal());
    await iterator.next();
    await iterator.next();
    await iterator.return!();
    expect(web.locks[0]!.acquired).toBe(false);
    expect(runtime.stats().queue.running).toBe(false);
    const next = await runtime.createChatCompletion({ model: 'm', messages: HI, max_tokens: 2 }, signal());
    expect(next.choices[0]!.message.content).toBe('ab');
  });

  test('requests queue FIFO; web-llm never runs two at once', async () => {
    const { runtime, web } = setup({ m: { reply: 'xyz', stepDelayMs: 2 } });
    const all = await Promise.all([1, 2, 3].map(() => runtime.createChatCompletion({ model: 'm', messages: HI }, signal())));
    expect(all.map((c) => c.choices[0]!.message.content)).toEqual(['xyz', 'xyz', 'xyz']);
    expect(web.callsOf('chatCompletion')).toHaveLength(3);
    expect(web.locks[0]!.acquired).toBe(false);
  });
});

describe('web-llm errors become typed errors', () => {
  test('a device loss mid-generation is a 503, and the engine is usable afterwards', async () => {
    const lost = Object.assign(new Error('The WebGPU device was lost while loading the model.'), { name: 'DeviceLostError' });
    const { runtime, web } = setup({ m: { reply: 'abcdef', failAt: { step: 2, error: lost } } });
    const err = await runtime.createChatCompletion({ model: 'm', messages: HI }, signal()).catch((e) => e);
    expect(err).toBeInstanceOf(ServiceUnavailableError);
    expect(err).toMatchObject({ status: 503, code: 'gpu_device_lost' });
    expect(web.locks[0]!.acquired).toBe(false);
    const next = await runtime.createChatCompletion({ model: 'm', messages: HI }, signal());
    expect(next.choices[0]!.message.content).toBe('abcdef');
  });

  test('a prompt longer than the context window is a 400 before web-llm is called', async () => {
    const { runtime, web } = setup({ m: { reply: 'x', contextWindow: 40 } });
    const err = await runtime.createChatCompletion({ model: 'm', messages: [{ role: 'user', content: 'word '.repeat(20) }] }, signal()).catch((e) => e);
    expect(err).toBeInstanceOf(BadRequestError);
    expect(err).toMatchObject({ code: 'context_length_exceeded' });
    expect(web.callsOf('chatCompletion')).toHaveLength(0);
  });

  test("conversations web-llm's templates cannot render are 400s naming messages, before web-llm is called", async () => {
    const { runtime, web } = setup({ m: { reply: 'x' } });
    const last = await runtime
      .createChatCompletion({ model: 'm', messages: [...HI, { role: 'assistant', content: 'Sure' }] }, signal())
      .catch((e) => e);
    expect(last).toBeInstanceOf(BadRequestError);
    expect(last).toMatchObject({ param: 'messages', code: 'unsupported_message_order' });
    const late = await runtime
      .createChatCompletion({ model: 'm', messages: [...HI, { role: 'assistant', content: 'a' }, { role: 'system', content: 'late' }, ...HI] }, signal())
      .catch((e) => e);
    expect(late).toMatchObject({ status: 400, param: 'messages[2]' });
    expect(web.callsOf('chatCompletion')).toHaveLength(0);
  });

  test('a web-llm error thrown inside its generator (ContextWindowSizeExceededError) maps to context_length_exceeded', async () => {
    // Force web-llm's own check: our count is bypassed by a model whose window shrinks after load.
    const { runtime, web } = setup({ m: { reply: 'x' } });
    await runtime.loadModel('m');
    (web.pipelines[0]!.config as { context_window_size: number }).context_window_size = 5;
    const err = await runtime.createChatCompletion({ model: 'm', messages: HI, max_tokens: 2 }, signal()).catch((e) => e);
    expect(err).toBeInstanceOf(APIError);
    expect(err).toMatchObject({ status: 400, param: 'messages', code: 'context_length_exceeded' });
    expect(web.locks[0]!.acquired).toBe(false);
  });
});

describe('conversations', () => {
  test('a later turn of the same conversation reuses web-llm\'s KV cache; usage still counts the whole prompt', async () => {
    const { runtime, web } = setup({ m: { reply: 'Fine.' } });
    const first = await runtime.createChatCompletion({ model: 'm', messages: HI }, signal());
    const messages = [...HI, { role: 'assistant', content: first.choices[0]!.message.content }, { role: 'user', content: 'And you?' }];
    const second = await runtime.createChatCompletion({ model: 'm', messages }, signal());
    const prefills = web.pipelines[0]!.prefills;
    expect(prefills[1]!.fresh).toBe(false);
    expect(prefills[1]!.tokens.length).toBeLessThan(second.usage.prompt_tokens);
    // The whole conversation, as web-llm renders it when it starts from scratch.
    const fresh = setup({ m: { reply: 'Fine.' } });
    await fresh.runtime.createChatCompletion({ model: 'm', messages }, signal());
    expect(fresh.web.pipelines[0]!.prefills[0]!.fresh).toBe(true);
    expect(second.usage.prompt_tokens).toBe(fresh.web.pipelines[0]!.prefills[0]!.tokens.length);
  });

  test("chat_template_kwargs.enable_thinking=false becomes web-llm's extra_body, counted in the prompt", async () => {
    const { runtime, web } = setup({ m: { reply: 'ok' } });
    const completion = await runtime.createChatCompletion({ model: 'm', messages: HI, chat_template_kwargs: { enable_thinking: false } }, signal());
    expect(web.callsOf('chatCompletion')[0]!.args[0]).toMatchObject({ extra_body: { enable_thinking: false } });
    expect(completion.usage.prompt_tokens).toBe(web.pipelines[0]!.prefills[0]!.tokens.length);
    expect(completion.choices[0]!.message.content).toBe('ok');
  });

  test('system and developer messages merge into the one system message web-llm allows', async () => {
    const { runtime, web } = setup({ m: { reply: (prompt) => (prompt.includes('Be brief.\n\nUse French.') ? 'oui' : 'no') } });
    const completion = await runtime.createChatCompletion(
      { model: 'm', messages: [{ role: 'system', content: 'Be brief.' }, { role: 'developer', content: 'Use French.' }, ...HI] },
      signal(),
    );
    expect(completion.choices[0]!.message.content).toBe('oui');
    expect(completion.usage.prompt_tokens).toBe(web.pipelines[0]!.prefills[0]!.tokens.length);
  });

  test('tool-call text streams through as the model wrote it', async () => {
    const call = '<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris"}}\n</tool_call>';
    const { runtime } = setup({ m: { reply: call } });
    const chunks = await streamChat(runtime, { model: 'm', messages: HI });
    expect(contentOf(chunks)).toBe(call);
  });
});

describe('legacy completions', () => {
  test('a prompt goes to web-llm\'s completion() with the same sampling mapping', async () => {
    const { runtime, web } = setup({ m: { reply: ' world' } });
    const chunks: Array<{ choices: Array<{ text: string; finish_reason: string | null }>; usage?: unknown }> = [];
    for await (const c of await runtime.startCompletion({ model: 'm', prompt: 'Hello', max_tokens: 10 }, signal())) chunks.push(c as never);
    expect(chunks.flatMap((c) => c.choices.map((x) => x.text)).join('')).toBe(' world');
    expect(web.callsOf('completion')[0]!.args[0]).toMatchObject({ prompt: 'Hello', stream: true, temperature: 0.7, max_tokens: 10, seed: expect.any(Number) });
    expect(web.pipelines[0]!.prefills[0]!.tokens.length).toBe('Hello'.length);
  });
});

