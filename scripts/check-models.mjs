#!/usr/bin/env node
// Loads the generated tiny models with transformers.js in Node (onnxruntime-node, CPU) and
// asserts their contract. Run `node scripts/gen-models.mjs` first. Exit 1 on any failure.
//
//   node scripts/check-models.mjs

import { join } from 'node:path';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { AutoTokenizer, AutoModelForCausalLM, random } from '@huggingface/transformers';
import { ROOT, check, finish } from './lib/check-harness.mjs';

const SENTENCE = 'Hello! I am a tiny model running in your browser.';

const t0 = performance.now();
const tokenizer = await AutoTokenizer.from_pretrained('tiny-chat');
const model = await AutoModelForCausalLM.from_pretrained('tiny-chat', { dtype: 'fp32', device: 'cpu' });
console.log(`loaded tiny-chat in ${Math.round(performance.now() - t0)} ms`);

const EOS = model.generation_config.eos_token_id;
const idToToken = [];
for (const [t, i] of tokenizer.get_vocab()) idToToken[i] = t;
const tokStr = (ids) => ids.map((i) => idToToken[Number(i)]);

// Record what transformers.js feeds the ONNX session on each run.
const calls = [];
const session = model.sessions.model;
const run = session.run.bind(session);
session.run = async (feeds, ...rest) => {
  calls.push({
    names: Object.keys(feeds),
    input_ids: feeds.input_ids?.dims,
    attention_mask: feeds.attention_mask?.dims,
    position_ids: feeds.position_ids ? Array.from(feeds.position_ids.data, Number) : undefined,
    past: feeds['past_key_values.0.key']?.dims,
  });
  return run(feeds, ...rest);
};

function prompt(messages, options = {}) {
  return tokenizer.apply_chat_template(messages, { add_generation_prompt: true, tokenize: true, return_dict: true, ...options });
}

await check('session declares the inputs transformers.js feeds', () => {
  const names = model.sessions.model.inputNames;
  for (const n of ['input_ids', 'attention_mask', 'position_ids', 'past_key_values.0.key', 'past_key_values.0.value']) {
    assert.ok(names.includes(n), `missing input ${n} in ${names}`);
  }
  assert.deepEqual(model.sessions.model.outputNames, ['logits', 'present.0.key', 'present.0.value']);
});

await check('prompt ends with <|im_start|>assistant\\n', () => {
  const { input_ids } = prompt([{ role: 'user', content: 'Hi' }]);
  const ids = Array.from(input_ids.data, Number);
  const tail = ids.slice(-3);
  console.log(`     prompt ids ${JSON.stringify(ids)}\n     tail ${JSON.stringify(tail)} = ${JSON.stringify(tokStr(tail))}`);
  assert.deepEqual(tokStr(tail), ['<|im_start|>', 'assistant', 'Ċ']);
});

await check('greedy decoding gives the sentence and stops on EOS (KV cache used)', async () => {
  const inputs = prompt([{ role: 'user', content: 'Hi' }]);
  const promptLen = inputs.input_ids.dims[1];
  calls.length = 0;
  const t = performance.now();
  const out = await model.generate({ ...inputs, max_new_tokens: 40, do_sample: false });
  const ms = performance.now() - t;
  const newIds = Array.from(out.data, Number).slice(promptLen);
  const text = tokenizer.decode(newIds, { skip_special_tokens: true });
  console.log(`     ${newIds.length} new tokens in ${ms.toFixed(0)} ms: ${JSON.stringify(newIds)}`);
  console.log(`     ${JSON.stringify(tokStr(newIds))}`);
  console.log(`     text ${JSON.stringify(text)}`);
  assert.equal(text, SENTENCE);
  assert.equal(newIds.at(-1), EOS, 'last token is EOS');
  assert.ok(newIds.length < 40, 'stopped before max_new_tokens');
  assert.equal(newIds.indexOf(EOS), newIds.length - 1, 'EOS only at the end');
  // KV cache: first call gets the whole prompt and an empty past; later calls one token.
  assert.equal(calls.length, newIds.length, 'one forward per generated token');
  assert.deepEqual(calls[0].input_ids, [1, promptLen]);
  assert.deepEqual(calls[0].past, [1, 1, 0, 8]);
  assert.deepEqual(calls[1].input_ids, [1, 1]);
  assert.deepEqual(calls[1].past, [1, 1, promptLen, 8]);
  assert.deepEqual(calls[1].attention_mask, [1, promptLen + 1]);
  assert.deepEqual(calls[1].position_ids, [promptLen]);
  assert.deepEqual(calls.at(-1).past, [1, 1, promptLen + newIds.length - 2, 8]);
  for (const c of calls) assert.deepEqual([...c.names].sort(), ['attention_mask', 'input_ids', 'past_key_values.0.key', 'past_key_values.0.value', 'position_ids']);
  console.log(`     forward calls: first ${JSON.stringify(calls[0])}, second ${JSON.stringify(calls[1])}`);
});

await check('greedy is the same with a system prompt and a different user message', async () => {
  const inputs = prompt([{ role: 'system', content: 'Be brief.' }, { role: 'user', content: [{ type: 'text', text: 'What are you?' }] }]);
  const out = await model.generate({ ...inputs, max_new_tokens: 40 });
  const text = tokenizer.decode(Array.from(out.data, Number).slice(inputs.input_ids.dims[1]), { skip_special_tokens: true });
  assert.equal(text, SENTENCE);
});

await check('batched, left-padded greedy generation gives the sentence for every row', async () => {
  const texts = [
    tokenizer.apply_chat_template([{ role: 'user', content: 'Hi' }], { add_generation_prompt: true, tokenize: false }),
    tokenizer.apply_chat_template([{ role: 'system', content: 'You are a very helpful assistant.' }, { role: 'user', content: 'Tell me about yourself, please.' }], { add_generation_prompt: true, tokenize: false }),
  ];
  tokenizer.padding_side = 'left';
  const inputs = tokenizer(texts, { padding: true, add_special_tokens: false });
  tokenizer.padding_side = 'right';
  const width = inputs.input_ids.dims[1];
  const out = await model.generate({ ...inputs, max_new_tokens: 40 });
  const rows = out.tolist().map((row) => tokenizer.decode(row.slice(width), { skip_special_tokens: true }));
  assert.deepEqual(rows, [SENTENCE, SENTENCE]);
});

await check('seeded temperature-1 sampling varies across seeds and repeats per seed', async () => {
  const inputs = prompt([{ role: 'user', content: 'Hi' }]);
  const promptLen = inputs.input_ids.dims[1];
  const sample = async (seed) => {
    random.seed(seed);
    const out = await model.generate({ ...inputs, max_new_tokens: 40, do_sample: true, temperature: 1, top_k: 0 });
    return tokenizer.decode(Array.from(out.data, Number).slice(promptLen), { skip_special_tokens: true });
  };
  const texts = [];
  for (let seed = 1; seed <= 10; seed++) texts.push(await sample(seed));
  const distinct = new Set(texts);
  for (const t of texts) console.log(`     ${JSON.stringify(t)}`);
  assert.ok(distinct.size >= 4, `only ${distinct.size} distinct outputs over 10 seeds`);
  assert.equal(await sample(3), texts[2], 'same seed, same text');
});

await check('tokenizer round-trips arbitrary text', () => {
  const samples = [
    '{"a": [1, 2.5], "b": "ü ☃"}',
    SENTENCE,
    '  leading and trailing spaces  \n\ttabs\r\n and unknown wörds 😀 , . ! ?',
    '<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris"}}\n</tool_call>',
  ];
  assert.deepEqual(tokenizer.encode('', { add_special_tokens: false }), []);
  for (const s of samples) {
    const ids = tokenizer.encode(s, { add_special_tokens: false });
    assert.equal(tokenizer.decode(ids), s, `round trip of ${JSON.stringify(s)}`);
  }
  const ids = tokenizer.encode(SENTENCE, { add_special_tokens: false });
  console.log(`     sentence ids ${JSON.stringify(ids)}\n     ${JSON.stringify(tokStr(ids))}`);
  // Special tokens are single ids and skip_special_tokens drops them.
  const withSpecial = tokenizer.encode('<|im_start|>user\nHi<|im_end|>', { add_special_tokens: false });
  assert.equal(tokStr(withSpecial)[0], '<|im_start|>');
  assert.equal(tokStr(withSpecial).at(-1), '<|im_end|>');
  assert.equal(tokenizer.decode(withSpecial, { skip_special_tokens: true }), 'user\nHi');
});

await check('chat template: tools, tool_calls, tool results, parts, developer', () => {
  const tools = [{ type: 'function', function: { name: 'get_weather', description: 'Weather for a city', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } } }];
  const messages = [
    { role: 'developer', content: 'Be brief.' },
    { role: 'user', content: [{ type: 'text', text: 'Weather in ' }, { type: 'image_url', image_url: { url: 'x' } }, { type: 'text', text: 'Paris?' }] },
    { role: 'assistant', content: null, tool_calls: [{ id: 'c1', type: 'function', function: { name: 'get_weather', arguments: '{"city": "Paris"}' } }] },
    { role: 'tool', tool_call_id: 'c1', content: '{"temp_c": 21}' },
    { role: 'assistant', content: 'It is 21 C.' },
    { role: 'user', content: 'Thanks' },
  ];
  const text = tokenizer.apply_chat_template(messages, { tools, add_generation_prompt: true, tokenize: false });
  const expected =
    '<|im_start|>system\nBe brief.\n\n# Tools\n\nYou may call one or more functions to assist with the user query.\n\n' +
    'You are provided with function signatures within <tools></tools> XML tags:\n<tools>\n' +
    JSON.stringify(tools[0]).replaceAll('":', '": ').replaceAll(',"', ', "') +
    '\n</tools>\n\nFor each function call, return a json object with function name and arguments within <tool_call></tool_call> XML tags:\n' +
    '<tool_call>\n{"name": <function-name>, "arguments": <args-json-object>}\n</tool_call><|im_end|>\n' +
    '<|im_start|>user\nWeather in Paris?<|im_end|>\n' +
    '<|im_start|>assistant\n<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris"}}\n</tool_call><|im_end|>\n' +
    '<|im_start|>user\n<tool_response>\n{"temp_c": 21}\n</tool_response><|im_end|>\n' +
    '<|im_start|>assistant\nIt is 21 C.<|im_end|>\n' +
    '<|im_start|>user\nThanks<|im_end|>\n' +
    '<|im_start|>assistant\n';
  assert.equal(text, expected);

  // No tools: plain ChatML; developer -> system; object arguments; consecutive tool results grouped.
  const plain = tokenizer.apply_chat_template([
    { role: 'developer', content: 'D' },
    { role: 'user', content: 'U' },
    { role: 'assistant', content: 'Let me check.', tool_calls: [{ name: 'a', arguments: { x: [1, 2] } }, { function: { name: 'b', arguments: '{}' } }] },
    { role: 'tool', content: 'r1' },
    { role: 'tool', content: [{ type: 'text', text: 'r2' }] },
  ], { tokenize: false });
  assert.equal(plain,
    '<|im_start|>system\nD<|im_end|>\n<|im_start|>user\nU<|im_end|>\n' +
    '<|im_start|>assistant\nLet me check.\n<tool_call>\n{"name": "a", "arguments": {"x": [1, 2]}}\n</tool_call>\n' +
    '<tool_call>\n{"name": "b", "arguments": {}}\n</tool_call><|im_end|>\n' +
    '<|im_start|>user\n<tool_response>\nr1\n</tool_response>\n<tool_response>\nr2\n</tool_response><|im_end|>\n');

  // Tools without a system message.
  const noSys = tokenizer.apply_chat_template([{ role: 'user', content: 'U' }], { tools, tokenize: false });
  assert.ok(noSys.startsWith('<|im_start|>system\n# Tools\n'), noSys.slice(0, 40));
  assert.ok(noSys.endsWith('</tool_call><|im_end|>\n<|im_start|>user\nU<|im_end|>\n'));
});

await check('onnxruntime-web (WASM, the browser runtime) runs the graph', async () => {
  const ort = await import('onnxruntime-web');
  ort.env.wasm.numThreads = 1;
  const bytes = readFileSync(join(ROOT, 'public', 'models', 'tiny-chat', 'onnx', 'model.onnx'));
  const s = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'] });
  const ids = tokenizer.encode(tokenizer.apply_chat_template([{ role: 'user', content: 'Hi' }], { add_generation_prompt: true, tokenize: false }), { add_special_tokens: false });
  const n = ids.length;
  const i64 = (a) => new ort.Tensor('int64', BigInt64Array.from(a, BigInt), [1, a.length]);
  const empty = new ort.Tensor('float32', new Float32Array(0), [1, 1, 0, 8]);
  const r = await s.run({
    input_ids: i64(ids), attention_mask: i64(ids.map(() => 1)), position_ids: i64(ids.map((_, i) => i)),
    'past_key_values.0.key': empty, 'past_key_values.0.value': empty,
  });
  const V = r.logits.dims[2];
  const last = r.logits.data.subarray((n - 1) * V, n * V);
  let best = 0;
  for (let i = 1; i < V; i++) if (last[i] > last[best]) best = i;
  assert.deepEqual(r['present.0.key'].dims, [1, 1, n, 8]);
  assert.equal(idToToken[best], 'Hello');
  await s.release();
});

await model.dispose();
finish('model');
