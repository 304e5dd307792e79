import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { launch, openPage } from './support/browser.js';

/**
 * The GGUF engine (llama.cpp through wllama) in real Chromium, WASM single-threaded, on
 * the tiny random Llama converted by scripts/fixtures/gen_gguf.py: F32 reproduces HF
 * transformers' greedy tokens, quantized files stay close, the OpenAI contract holds.
 */
let browser: Browser;
let page: Page & { errors: string[] };

async function open(shared: boolean) {
  const p = await openPage(browser, `/e2e/pages/gguf.html?shared=${shared ? 1 : 0}`);
  await p.waitForFunction(() => (window as any).ready);
  expect(await p.evaluate(() => (window as any).setupError ?? null)).toBeNull();
  return p;
}

beforeAll(async () => {
  browser = await launch();
  page = await open(false);
});

/** Sizes of fixture files as served. */
async function sizes(...names: string[]) {
  return page.evaluate(async (names) => Promise.all(names.map(async (n) => Number((await fetch(`/models/tiny-random-llama3-gguf/${n}`, { method: 'HEAD' })).headers.get('content-length')))), names);
}
afterAll(async () => { await browser?.close(); });

/** The reference prompt answered greedily; how many leading tokens match HF's. */
async function greedy(model: string, n = 12, device = 'wasm') {
  return page.evaluate(async ([model, n, device]) => {
    const w = window as any;
    const progress: any[] = [];
    const info = await w.client.models.load(model, { device, onProgress: (p: any) => progress.push(p) });
    const ref = w.references[model];
    const res = await w.client.chat.completions.create({
      model, messages: [{ role: 'user', content: ref.content }],
      max_tokens: n, temperature: 0, ignore_eos: true, logprobs: true, top_logprobs: 1,
    });
    await w.client.models.unload(model);
    const tokens: string[] = res.choices[0].logprobs.content.map((t: any) => t.token);
    let matched = 0;
    while (matched < tokens.length && tokens[matched] === ref.greedy_tokens[matched]) matched++;
    return { info, res, ref, matched, progress };
  }, [model, n, device] as const);
}

describe('GGUF engine, WASM, dedicated worker', () => {
  test.each(['tiny-gguf-f32', 'tiny-gguf-qwen2.5', 'tiny-gguf-qwen3', 'tiny-gguf-mistral'])('%s (F32) reproduces HF greedy tokens; usage counts the prompt as llama.cpp tokenizes it', async (model) => {
    const { info, res, ref, matched } = await greedy(model);
    expect(info.device).toBe('wasm');
    expect(matched).toBe(ref.greedy_ids.length);
    expect(res.choices[0].message.content).toBe(ref.text);
    expect(res.usage.prompt_tokens).toBe(ref.prompt_ids.length);
    expect(res.usage.completion_tokens).toBe(ref.greedy_ids.length);
    for (const [i, t] of res.choices[0].logprobs.content.entries()) {
      // From the raw logits: HF's own within llama.cpp's F16 KV cache (a sampler's distribution would say 0 here).
      expect(Math.abs(t.logprob - ref.greedy_logprobs[i])).toBeLessThan(5e-3);
      // greedy: the chosen token is the most likely one
      expect(t.top_logprobs[0].logprob).toBeCloseTo(t.logprob, 4);
    }
  });

  // Random weights leave top-2 gaps of a few hundredths: Q4_0 leaves HF's path after its first
  // token, and may then pick lone bytes that wllama cannot stream (see README), so it is asked for 4.
  test.each([['f16', 12, 12], ['q8_0', 12, 12], ['q4_0', 4, 1]] as const)('%s: of %i greedy tokens, at least the first %i match HF fp32', async (type, n, least) => {
    const { matched } = await greedy(`tiny-gguf-${type}`, n);
    console.log(`gguf ${type}: ${matched}/${n} greedy tokens match HF fp32`);
    expect(matched).toBeGreaterThanOrEqual(least);
  });

  test('a split GGUF loads by its first shard (bytes of all three in the progress) and answers as the whole file', async () => {
    const { matched, progress } = await greedy('tiny-gguf-split');
    expect(matched).toBe(12);
    const last = progress.filter((p) => p.phase === 'download').at(-1);
    const shards = await sizes(...[1, 2, 3].map((i) => `model-q8_0-split-0000${i}-of-00003.gguf`));
    expect(last.loaded).toBe(shards[0]! + shards[1]! + shards[2]!);
    expect(last.total).toBe(last.loaded);
  });

  test("device 'auto' on SwiftShader: llama.cpp's WebGPU backend takes no layer, so the model says wasm; 'webgpu' is a typed 400", async () => {
    const { info, matched } = await greedy('tiny-gguf-f32', 4, 'auto');
    expect(info.device).toBe('wasm');
    expect(matched).toBe(4);
    const r = await page.evaluate(() => (window as any).settle((window as any).client.models.load('tiny-gguf-f32', { device: 'webgpu' })));
    expect(r.error).toMatchObject({ status: 400, param: 'device', code: 'webgpu_unavailable' });
  });

  test("engine 'auto': ONNX where it is the faster format (WASM), GGUF where it is the only one; the chosen engine in model info", async () => {
    const onnx = await greedy('tiny-auto', 12, 'wasm');
    expect(onnx.info).toMatchObject({ engine: 'transformers', device: 'wasm' });
    expect(onnx.matched).toBe(12);
    const gguf = await greedy('tiny-auto-gguf', 12, 'wasm');
    expect(gguf.info).toMatchObject({ engine: 'gguf', device: 'wasm' });
    expect(gguf.matched).toBe(12);
    const listed = await page.evaluate(async () => {
      const w = window as any;
      await w.client.models.load('tiny-auto-gguf', { device: 'wasm' });
      const { data } = await w.client.models.list();
      await w.client.models.unload('tiny-auto-gguf');
      return data.filter((m: any) => m.id.startsWith('tiny-auto')).map((m: any) => [m.id, m.engine]);
    });
    expect(listed).toEqual([['tiny-auto', 'auto'], ['tiny-auto-gguf', 'gguf']]);
  });

  test.each(['minilm-embed', 'bge-embed', 'qwen3-embed'])('embeddings from tiny-random-%s as GGUF (F32): the sentence-transformers vectors (cosine >= 0.9999), usage as HF counts', async (family) => {
    const r = await page.evaluate(async (family) => {
      const w = window as any;
      const model = `tiny-gguf-${family}`;
      const ref = await (await fetch(`/models/tiny-random-${family}/reference.json`)).json();
      const info = await w.client.models.load(model, { device: 'wasm' });
      const res = await w.client.embeddings.create({ model, input: ref.texts });
      const ids = await w.client.embeddings.create({ model, input: [[1, 2, 3]] });
      const chat = await w.settle(w.client.chat.completions.create({ model, messages: [{ role: 'user', content: 'hi' }] }));
      const dims = await w.settle(w.client.embeddings.create({ model, input: 'x', dimensions: 4 }));
      await w.client.models.unload(model);
      return { info, res, ref, idsLength: ids.data[0].embedding.length, chat, dims };
    }, family);
    const cos = (a: number[], b: number[]) => {
      let dot = 0, na = 0, nb = 0;
      for (let i = 0; i < a.length; i++) { dot += a[i]! * b[i]!; na += a[i]! ** 2; nb += b[i]! ** 2; }
      return dot / Math.sqrt(na * nb);
    };
    expect(r.res.data).toHaveLength(r.ref.texts.length);
    const cosines = r.res.data.map((d: any, i: number) => cos(d.embedding, r.ref.embeddings[i]));
    console.log(`gguf ${family}: cosine to sentence-transformers min ${Math.min(...cosines).toFixed(7)}`);
    for (const [i, d] of r.res.data.entries()) {
      expect(d.embedding).toHaveLength(r.ref.embeddings[i].length);
      expect(cosines[i]).toBeGreaterThanOrEqual(0.9999);
    }
    expect(r.res.usage.prompt_tokens).toBe(r.ref.tokens.reduce((a: number, b: number) => a + b, 0));
    expect(r.idsLength).toBe(r.ref.embeddings[0].length);
    expect(r.chat.error).toMatchObject({ status: 400, param: 'model' });
    expect(r.dims.error).toMatchObject({ status: 400, param: 'dimensions' });
  });

  test("a two-segment BERT cross-encoder GGUF is a typed 400 (llama.cpp's BERT takes no token types: scores would be wrong)", async () => {
    const r = await page.evaluate(() => (window as any).settle((window as any).client.models.load('tiny-gguf-bert-rerank', { device: 'wasm' })));
    expect(r.error).toMatchObject({ status: 400, param: 'model', code: 'unsupported_model' });
    expect(r.error.message).toMatch(/token types/);
  });

  test('cache: listed with the other engines by model id, and deleted', async () => {
    const r = await page.evaluate(async () => {
      const w = window as any;
      await w.client.models.load('tiny-gguf-q4_0', { device: 'wasm' });
      await w.client.models.unload('tiny-gguf-q4_0');
      const find = (list: any) => list.models.find((m: any) => m.id === 'tiny-gguf-q4_0');
      const before = find(await w.client.cache.list());
      const deleted = await w.client.cache.delete('tiny-gguf-q4_0');
      const after = find(await w.client.cache.list());
      return { before, deleted, after };
    });
    const [bytes] = await sizes('model-q4_0.gguf');
    expect(r.before).toMatchObject({ engine: 'gguf', registered: true, files: 1, bytes, caches: ['wllama'] });
    expect(r.deleted).toMatchObject({ deleted: true, files: 1, bytes });
    expect(r.after).toBeUndefined();
  });

  test('the contract: stop strings, seeds, n, logit_bias, abort, a typed 400 for min_tokens', async () => {
    const r = await page.evaluate(async () => {
      const w = window as any;
      const model = 'tiny-gguf-q8_0';
      await w.client.models.load(model, { device: 'wasm' });
      const ref = w.references[model];
      const messages = [{ role: 'user', content: ref.content }];
      // Random weights like lone bytes, which wllama cannot stream: ban them (logit_bias at work too).
      const logit_bias = Object.fromEntries(ref.partial_utf8_ids.map((id: number) => [id, -100]));
      const ask = (extra: object) => w.client.chat.completions.create({ model, messages, max_tokens: 16, logit_bias, ...extra });
      const stopAt = ref.greedy_tokens.slice(2, 4).join('');
      const stopped = await ask({ temperature: 0, ignore_eos: true, stop: [stopAt] });
      const a = await ask({ temperature: 1, seed: 7, n: 2 });
      const b = await ask({ temperature: 1, seed: 7, n: 2 });
      const c = await ask({ temperature: 1, seed: 8, n: 2 });
      const controller = new AbortController();
      const stream = await w.client.chat.completions.create({ model, messages, logit_bias, max_tokens: 2000, ignore_eos: true, stream: true }, { signal: controller.signal });
      let seen = 0;
      const aborted = await w.settle((async () => { for await (const _ of stream) if (++seen === 3) controller.abort(); })());
      const t0 = performance.now();
      const after = await ask({ temperature: 0, max_tokens: 2 });
      const afterMs = performance.now() - t0;
      const minTokens = await w.settle(ask({ min_tokens: 3 }));
      await w.client.models.unload(model);
      return { stopAt, stopped, a, b, c, seen, aborted, after, afterMs, minTokens, expect: ref.text };
    });
    const text = (x: any) => x.choices.map((ch: any) => ch.message.content);
    expect(r.stopped.choices[0].finish_reason).toBe('stop');
    expect(r.expect.startsWith(r.stopped.choices[0].message.content + r.stopAt)).toBe(true);
    expect(text(r.a)).toEqual(text(r.b));
    expect(text(r.a)).not.toEqual(text(r.c));
    expect(r.seen).toBe(3);
    expect(r.aborted.ok ? null : r.aborted.error.name).toMatch(/Abort/);
    expect(r.after.choices[0].message.content.length).toBeGreaterThan(0);
    expect(r.afterMs).toBeLessThan(5000);
    expect(r.minTokens.error).toMatchObject({ status: 400, param: 'min_tokens' });
  });

  test("llama.cpp's prompt cache: the next turn and a repeated prompt prefill only what is new; usage says what was reused", async () => {
    const r = await page.evaluate(async () => {
      const w = window as any;
      const model = 'tiny-gguf-f32';
      await w.client.models.load(model, { device: 'wasm' });
      const ref = w.references[model];
      const logit_bias = Object.fromEntries(ref.partial_utf8_ids.map((id: number) => [id, -100]));
      const ask = (messages: object[], extra: object = {}) => w.client.chat.completions.create({ model, messages, max_tokens: 6, temperature: 0, ignore_eos: true, logit_bias, ...extra });
      const turn1 = [{ role: 'user', content: 'Where do rivers begin, and where do they end?' }];
      const first = await ask(turn1);
      const again = await ask(turn1);
      const turn2 = [...turn1, { role: 'assistant', content: first.choices[0].message.content }, { role: 'user', content: 'And lakes?' }];
      const second = await ask(turn2);
      // A new conversation shares only the template's opening (Llama 3's is long), not the question.
      const other = await ask([{ role: 'user', content: 'Name three colours.' }]);
      await w.client.models.unload(model);
      return { first, again, second, other };
    });
    const cached = (c: any) => c.usage.prompt_tokens_details?.cached_tokens;
    expect(cached(r.first)).toBe(0);
    // The same prompt again: all but its last token (llama.cpp runs one to get logits).
    expect(cached(r.again)).toBe(r.again.usage.prompt_tokens - 1);
    expect(r.again.choices[0].message.content).toBe(r.first.choices[0].message.content);
    // The next turn: at least the whole first prompt.
    expect(cached(r.second)).toBeGreaterThanOrEqual(r.first.usage.prompt_tokens);
    expect(cached(r.second)).toBeLessThan(r.second.usage.prompt_tokens);
    expect(cached(r.other)).toBeLessThan(r.other.usage.prompt_tokens - 4);
  });

  // llama.cpp enforces core's constraints as GBNF (src/engines/gguf/gbnf.ts); random weights
  // would never write valid JSON by chance, so each valid output is the grammar at work.
  test.each(['tiny-gguf-q8_0', 'tiny-gguf-qwen2.5', 'tiny-gguf-qwen3'])('%s: json_schema, json_object, regex, a GBNF grammar and forced tool calls are enforced; bad constraints stay 400s', async (model) => {
    const r = await page.evaluate(async (model) => {
      const w = window as any;
      await w.client.models.load(model, { device: 'wasm' });
      const ref = w.references[model];
      const messages = [{ role: 'user', content: ref.content }];
      // Qwen3's grammar allows a <think> block first, where random weights would spend every token: banned (id 405).
      const banned = model === 'tiny-gguf-qwen3' ? [...ref.partial_utf8_ids, 405] : ref.partial_utf8_ids;
      const logit_bias = Object.fromEntries(banned.map((id: number) => [id, -100]));
      // Random weights love whitespace (up to 16 per JSON gap): room for it.
      const ask = (extra: object) => w.client.chat.completions.create({ model, messages, max_tokens: 300, temperature: 1, seed: 3, logit_bias, ...extra });
      const schema = {
        type: 'object',
        properties: { ok: { type: 'boolean' }, n: { type: 'integer', minimum: 2, maximum: 9 }, tag: { type: 'string', enum: ['red', 'blue'] }, code: { type: 'string', pattern: '^[A-Z]{2}[0-9]$' } },
        required: ['ok', 'n', 'tag', 'code'], additionalProperties: false,
      };
      const json = await ask({ response_format: { type: 'json_schema', json_schema: { name: 'x', schema, strict: true } } });
      const object = await ask({ max_tokens: 60, response_format: { type: 'json_object' } });
      const regex = await ask({ response_format: { type: 'regex', regex: '(yes|no): [a-z]{3,6}\\.' } });
      const grammar = await ask({ response_format: { type: 'grammar', grammar: 'root ::= "say " word (" " word){0,2}\nword ::= [a-z]+' } });
      const tools = [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string', enum: ['Paris', 'Oslo'] }, days: { type: 'integer', minimum: 1, maximum: 3 } }, required: ['city', 'days'], additionalProperties: false } } }];
      const forced = await ask({ tools, tool_choice: { type: 'function', function: { name: 'get_weather' } } });
      const required = await ask({ tools, tool_choice: 'required', seed: 4 });
      // auto: free text, or a call (Hermes families: a call, once opened, must be valid)
      const auto = await ask({ tools, tool_choice: 'auto', max_tokens: 60 });
      const badSchema = await w.settle(ask({ response_format: { type: 'json_schema', json_schema: { name: 'x', schema: { type: 'nope' } } } }));
      const badRegex = await w.settle(ask({ response_format: { type: 'regex', regex: '(' } }));
      const lookahead = await w.settle(ask({ response_format: { type: 'regex', regex: 'a(?=b)b' } }));
      const after = await ask({ max_tokens: 3 });
      await w.client.models.unload(model);
      const msg = (x: any) => x.choices[0].message;
      return { json: msg(json).content, object: msg(object).content, objectFinish: object.choices[0].finish_reason, regex: msg(regex).content, grammar: msg(grammar).content, forced: msg(forced), forcedFinish: forced.choices[0].finish_reason, required: msg(required), auto: auto.choices[0], badSchema, badRegex, lookahead, after: after.choices[0].finish_reason };
    }, model);
    const value = JSON.parse(r.json);
    expect(Object.keys(value).sort()).toEqual(['code', 'n', 'ok', 'tag']);
    expect(typeof value.ok).toBe('boolean');
    expect(Number.isInteger(value.n) && value.n >= 2 && value.n <= 9).toBe(true);
    expect(['red', 'blue']).toContain(value.tag);
    expect(value.code).toMatch(/^[A-Z]{2}[0-9]$/);
    // json_object: valid JSON when it finished; cut by max_tokens it is a prefix of one
    if (r.objectFinish === 'stop') expect(typeof JSON.parse(r.object)).toBe('object');
    expect(r.object.trimStart()).toMatch(/^\{/);
    expect(r.regex).toMatch(/^(yes|no): [a-z]{3,6}\.$/);
    expect(r.grammar).toMatch(/^say [a-z]+( [a-z]+){0,2}$/);
    for (const m of [r.forced, r.required]) {
      expect(m.tool_calls).toHaveLength(1);
      expect(m.tool_calls[0].function.name).toBe('get_weather');
      const args = JSON.parse(m.tool_calls[0].function.arguments);
      expect(['Paris', 'Oslo']).toContain(args.city);
      expect([1, 2, 3]).toContain(args.days);
    }
    expect(r.forcedFinish).toBe('tool_calls');
    if (r.auto.finish_reason === 'tool_calls') expect(JSON.parse(r.auto.message.tool_calls[0].function.arguments)).toBeTypeOf('object');
    else expect(['stop', 'length']).toContain(r.auto.finish_reason);
    expect(r.badSchema.error).toMatchObject({ status: 400, param: 'response_format' });
    expect(r.badRegex.error).toMatchObject({ status: 400, param: 'response_format' });
    expect(r.lookahead.error).toMatchObject({ status: 400, param: 'response_format' });
    expect(['stop', 'length']).toContain(r.after);
  });
});

test('in a SharedWorker host: the model runs in the tab-owned engine worker (src/host/placement/) and answers', async () => {
  const shared = await open(true);
  const r = await shared.evaluate(async () => {
    const w = window as any;
    const loaded = await w.settle(w.client.models.load('tiny-gguf-q8_0', { device: 'wasm' }));
    const stats = await w.client.stats();
    return { loaded, where: stats.placement?.models['tiny-gguf-q8_0']?.where };
  });
  expect(r.loaded.ok).toBe(true);
  expect(r.where).toBe('engine-worker');
});
