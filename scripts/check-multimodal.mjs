#!/usr/bin/env node
// Loads the generated tiny multimodal models with transformers.js in Node (onnxruntime-node,
// CPU): tiny-vlm through AutoProcessor + AutoModelForImageTextToText with real image
// tensors (RawImage from raw RGBA data), tiny-alm through AutoProcessor +
// AutoModelForAudioTextToText with real waveforms, and asserts that the answers depend on
// the pixels / the sound. Run `node scripts/gen-models.mjs` first. Exit 1 on any failure.
//
//   node scripts/check-multimodal.mjs

import { join } from 'node:path';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { AutoProcessor, AutoModelForImageTextToText, AutoModelForAudioTextToText, RawImage } from '@huggingface/transformers';
import { ROOT, check, finish } from './lib/check-harness.mjs';
import { TINY_VLM_ANSWERS as A } from './lib/tiny-vlm.mjs';
import { TINY_ALM_ANSWERS } from './lib/tiny-alm.mjs';

/** A w x h RGBA picture: `fill(x, y)` returns [r, g, b]. */
function picture(w, h, fill) {
  const data = new Uint8ClampedArray(w * h * 4);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
    const [r, g, b] = fill(x, y);
    data.set([r, g, b, 255], (y * w + x) * 4);
  }
  return new RawImage(data, w, h, 4);
}
const solid = (rgb, w = 32, h = 32) => picture(w, h, () => rgb);
const RED = [230, 20, 30];
const BLUE = [10, 40, 220];
const GREEN = [20, 200, 40];
const WHITE = [255, 255, 255];

const t0 = performance.now();
const processor = await AutoProcessor.from_pretrained('tiny-vlm');
const model = await AutoModelForImageTextToText.from_pretrained('tiny-vlm', { dtype: 'fp32', device: 'cpu' });
console.log(`loaded tiny-vlm in ${Math.round(performance.now() - t0)} ms (${processor.constructor.name}, ${model.constructor.name}, sessions ${Object.keys(model.sessions)})`);

const user = (...images) => ({ role: 'user', content: [...images.map(() => ({ type: 'image' })), { type: 'text', text: 'What colour is this picture?' }] });

async function answer(messages, images) {
  const text = processor.apply_chat_template(messages, { add_generation_prompt: true });
  const inputs = images.length ? await processor(images, text) : processor.tokenizer(text, { add_special_tokens: false });
  const promptLen = inputs.input_ids.dims[1];
  const t = performance.now();
  const out = await model.generate({ ...inputs, max_new_tokens: 20, do_sample: false });
  const ids = Array.from(out.data, Number).slice(promptLen);
  const decoded = processor.decode(ids, { skip_special_tokens: true });
  return { text: decoded, ids, promptLen, ms: performance.now() - t, inputs };
}

await check('the template renders image parts as <image>; the processor keeps one token per image', async () => {
  const text = processor.apply_chat_template([user({}, {})], { add_generation_prompt: true });
  assert.equal(text, '<|im_start|>user\n<image><image>What colour is this picture?<|im_end|>\n<|im_start|>assistant\n');
  const inputs = await processor([solid(RED), solid(BLUE, 64, 48)], text);
  assert.deepEqual(inputs.pixel_values.dims, [2, 3, 32, 32]);
  const imageId = model.config.image_token_index;
  assert.equal(Array.from(inputs.input_ids.data, Number).filter((i) => i === imageId).length, 2);
});

await check('a red picture: "The picture is red."', async () => {
  const r = await answer([user({})], [solid(RED)]);
  console.log(`     ${r.ids.length} tokens in ${r.ms.toFixed(0)} ms: ${JSON.stringify(r.text)}`);
  assert.equal(r.text, A.red);
});

await check('a blue picture (64x48, resized by the processor): "The picture is blue."', async () => {
  const r = await answer([user({})], [solid(BLUE, 64, 48)]);
  assert.equal(r.text, A.blue);
});

await check('green, and white (no chroma) gives grey', async () => {
  assert.equal((await answer([user({})], [solid(GREEN)])).text, A.green);
  assert.equal((await answer([user({})], [solid(WHITE)])).text, A.grey);
});

await check('dominant colour: mostly red with a blue stripe on white', async () => {
  const img = picture(40, 40, (x, y) => (x < 6 ? BLUE : y < 30 ? RED : WHITE));
  assert.equal((await answer([user({})], [img])).text, A.red);
});

await check('no image: "I see no image."', async () => {
  assert.equal((await answer([{ role: 'user', content: 'Hi' }], [])).text, A.none);
});

await check('several images: two red and one blue give red; order does not matter', async () => {
  assert.equal((await answer([user({}, {}, {})], [solid(BLUE), solid(RED), solid(RED)])).text, A.red);
  assert.equal((await answer([user({}, {}, {})], [solid(BLUE), solid(BLUE), solid(RED)])).text, A.blue);
});

await check('multi-turn: an image in an earlier turn still decides the answer', async () => {
  const messages = [user({}), { role: 'assistant', content: A.blue }, { role: 'user', content: 'And now?' }];
  const r = await answer(messages, [solid(BLUE)]);
  assert.equal(r.text, A.blue);
});

await check('onnxruntime-web (WASM, the browser runtime) runs the three graphs', async () => {
  const ort = await import('onnxruntime-web');
  ort.env.wasm.numThreads = 1;
  const dir = join(ROOT, 'public', 'models', 'tiny-vlm', 'onnx');
  const open = (n) => ort.InferenceSession.create(readFileSync(join(dir, `${n}.onnx`)), { executionProviders: ['wasm'] });
  const [vision, embed, decoder] = await Promise.all([open('vision_encoder'), open('embed_tokens'), open('decoder_model_merged')]);
  const px = new Float32Array(3 * 32 * 32);
  px.fill(1, 0, 1024); // red channel
  const { image_features } = await vision.run({ pixel_values: new ort.Tensor('float32', px, [1, 3, 32, 32]) });
  assert.deepEqual(image_features.dims, [1, 1, 5]);
  assert.deepEqual(Array.from(image_features.data), [model.config.image_token_index, 1, 0, 0, 1]);
  const ids = [1, 5];
  const { inputs_embeds } = await embed.run({ input_ids: new ort.Tensor('int64', BigInt64Array.from(ids, BigInt), [1, 2]) });
  assert.deepEqual(inputs_embeds.dims, [1, 2, 5]);
  const empty = new ort.Tensor('float32', new Float32Array(0), [1, 1, 0, 4]);
  const i64 = (a) => new ort.Tensor('int64', BigInt64Array.from(a, BigInt), [1, a.length]);
  const r = await decoder.run({
    inputs_embeds, attention_mask: i64([1, 1]), position_ids: i64([0, 1]),
    'past_key_values.0.key': empty, 'past_key_values.0.value': empty,
  });
  assert.deepEqual(r['present.0.value'].dims, [1, 1, 2, 4]);
  assert.equal(r.logits.dims[2], model.config.text_config.vocab_size);
  await Promise.all([vision.release(), embed.release(), decoder.release()]);
});

await model.dispose();

// ---- tiny-alm ------------------------------------------------------------------------------

const alm = await AutoModelForAudioTextToText.from_pretrained('tiny-alm', { dtype: 'fp32', device: 'cpu' });
const almProcessor = await AutoProcessor.from_pretrained('tiny-alm');
console.log(`loaded tiny-alm (${almProcessor.constructor.name}, ${alm.constructor.name}, sessions ${Object.keys(alm.sessions)})`);
const tone = (hz, seconds = 1, rate = 16000) => Float32Array.from({ length: Math.round(rate * seconds) }, (_, i) => 0.5 * Math.sin((2 * Math.PI * hz * i) / rate));

async function hear(audio) {
  const messages = [{ role: 'user', content: [...(audio ? [{ type: 'audio' }] : []), { type: 'text', text: 'What is this sound?' }] }];
  const text = almProcessor.apply_chat_template(messages, { add_generation_prompt: true });
  const inputs = audio ? await almProcessor(text, audio) : almProcessor.tokenizer(text, { add_special_tokens: false });
  const promptLen = inputs.input_ids.dims[1];
  const out = await alm.generate({ ...inputs, max_new_tokens: 20, do_sample: false });
  return { text: almProcessor.decode(Array.from(out.data, Number).slice(promptLen), { skip_special_tokens: true }), inputs };
}

await check('tiny-alm: the template renders audio parts as <|audio|>, one audio token per clip', async () => {
  const text = almProcessor.apply_chat_template([{ role: 'user', content: [{ type: 'audio' }, { type: 'text', text: 'Hi' }] }], { add_generation_prompt: true });
  assert.equal(text, '<|im_start|>user\n<|audio|>Hi<|im_end|>\n<|im_start|>assistant\n');
  const { inputs } = await hear(tone(300, 2));
  assert.deepEqual(inputs.audio_values.dims, [1, 80, 200]);
  assert.equal(Array.from(inputs.input_ids.data, Number).filter((i) => i === alm.config.audio_token_id).length, 1);
});

await check('tiny-alm: a 300 Hz tone is low, a 4 kHz tone is high, silence is quiet, no clip is nothing', async () => {
  assert.equal((await hear(tone(300))).text, TINY_ALM_ANSWERS.low);
  assert.equal((await hear(tone(4000, 0.5))).text, TINY_ALM_ANSWERS.high);
  assert.equal((await hear(new Float32Array(16000))).text, TINY_ALM_ANSWERS.quiet);
  assert.equal((await hear(null)).text, TINY_ALM_ANSWERS.none);
});

await alm.dispose();
finish('multimodal model');
