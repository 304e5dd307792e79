#!/usr/bin/env node
// Generates tiny, deterministic, transformers.js-loadable test models under public/models/
// and copies onnxruntime-web's WASM runtime into public/ort/ (so pages never reach a CDN).
//
//   node scripts/gen-models.mjs            write what is missing or out of date
//   node scripts/gen-models.mjs --check    exit 1 if anything is missing or out of date
//   node scripts/gen-models.mjs --quiet    print nothing unless something changed
//
// Idempotent: every output is built in memory and compared byte-for-byte with what is on
// disk; only differing files are (atomically) rewritten. The ORT runtime files are copied
// when their size or mtime differs from the source (the copy gets the source's mtime).
// No dependencies beyond Node built-ins.
//
// Models:
//   tiny-chat  a 1-layer "llama" that is really a bigram table over a small chat corpus,
//              with a (dummy) KV cache. Greedy decoding after `<|im_start|>assistant\n`
//              produces exactly TINY_CHAT_SENTENCE then <|im_end|>.
//   tiny-vlm   a LLaVA-shaped vision-language model (vision_encoder, embed_tokens,
//              decoder_model_merged) whose greedy answer names the dominant colour of the
//              pictures in the conversation (see scripts/lib/tiny-vlm.mjs).
//   tiny-alm   an Ultravox-shaped audio-language model (audio_encoder, embed_tokens,
//              decoder_model_merged) whose greedy answer says whether the clip's loudest
//              tone is low or high (see scripts/lib/tiny-alm.mjs).
//   tiny-random-*  real architectures with random weights (Llama 3, Qwen2.5, Qwen3, Phi-3,
//              Gemma 2, Mistral), committed under fixtures/models/ by
//              scripts/fixtures/gen_real_models.py (Python); copied here after their
//              SHA256SUMS check, so nothing here needs Python.
//   tiny-random-qwen2-vl  a tiny random Qwen2-VL (vision_encoder, embed_tokens, decoder with
//              3-D rope positions) for video input, made by scripts/fixtures/gen_video_model.py
//              with its test clips (fixtures/videos/); copied the same way.

import { mkdirSync, readFileSync, writeFileSync, renameSync, statSync, copyFileSync, utimesSync, readdirSync, existsSync, rmSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createHash } from 'node:crypto';
import { model, graph, node, tensor, valueInfo, attr, DT } from './lib/onnx.mjs';
import { ByteLevelBPE } from './lib/bytelevel-bpe.mjs';
import { CHATML_TEMPLATE } from './lib/chatml-template.mjs';
import { bigramLogCounts, assertGreedyAnswer } from './lib/bigram.mjs';
import { llamaConfig, chatmlTokenizerConfig, kvDecoderIo, modelFiles } from './lib/transformers-js-model.mjs';
import { buildTinyVlm } from './lib/tiny-vlm.mjs';
import { buildTinyAlm } from './lib/tiny-alm.mjs';
import { realFixtures } from './lib/real-fixtures.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const PUBLIC = join(ROOT, 'public');
const args = new Set(process.argv.slice(2));
const CHECK = args.has('--check');
const QUIET = args.has('--quiet');

const TINY_CHAT_SENTENCE = 'Hello! I am a tiny model running in your browser.';

// ---------------------------------------------------------------------------------------
// tiny-chat
// ---------------------------------------------------------------------------------------

// Assistant replies with weights. Each contributes bigrams  Ċ -> reply -> <|im_end|>
// (Ċ = the "\n" that ends the `<|im_start|>assistant\n` generation prompt).
// Greedy must follow the first line; the others give sampling something to wander into.
const CORPUS = [
  [8, TINY_CHAT_SENTENCE],
  [2, 'Hello! I can help you right here in your browser.'],
  [1, 'Hello! I run in your tab.'],
  [1, 'Hello there! How can I help you today?'],
  [2, 'I am a tiny model. I can answer short questions.'],
  [1, 'I can run in WebGPU or in WASM.'],
  [1, 'I am running in WebGPU right now.'],
  [1, 'Hi! I am small but I am fast.'],
  [1, 'Sure! Here is a short answer.'],
  [1, 'A tiny model is running in your tab.'],
  [1, 'Your browser runs me with no server.'],
  [1, 'I am a small model running in your tab.'],
  [1, 'Thanks! I am glad to help.'],
  [1, 'Yes. I can do that in your browser.'],
  [1, 'This model runs in your browser tab.'],
];
// Extra whole-word tokens (prompt words), beyond the corpus's.
const EXTRA_WORDS = ['system', 'user', 'assistant', 'tool', 'developer', ' Hi', 'Hi', ' hello', 'tool_call', 'tool_response', 'tools'];

const SPECIALS = ['<|endoftext|>', '<|im_start|>', '<|im_end|>'];
const HEAD_DIM = 8;

function buildTinyChat() {
  const tok = new ByteLevelBPE(SPECIALS, [...CORPUS.map(([, s]) => s), ...EXTRA_WORDS]);
  const V = tok.size;
  const EOS = tok.id('<|im_end|>');
  const PAD = tok.id('<|endoftext|>');
  const NL = tok.id('Ċ');

  const W = bigramLogCounts({ V, corpus: CORPUS, encode: (t) => tok.encode(t), start: NL, eos: EOS });

  const expected = assertGreedyAnswer({
    tok, row: (id) => W.subarray(id * V, id * V + V), start: NL, eos: EOS, answer: TINY_CHAT_SENTENCE, what: 'tiny-chat',
  });

  // Key/value "embeddings": deterministic small numbers, one HEAD_DIM row per token.
  const E = new Float32Array(V * HEAD_DIM);
  for (let i = 0; i < V; i++) for (let j = 0; j < HEAD_DIM; j++) E[i * HEAD_DIM + j] = (((i * 31 + j * 17) % 97) - 48) / 97;

  // Graph:
  //   logits        = Gather(W, input_ids)                             [b, s, V]
  //   kv            = Unsqueeze(Gather(E, input_ids), axes=[1])        [b, 1, s, D]
  //   present.0.key = Concat(past_key_values.0.key, kv, axis=2)        [b, 1, past+s, D]
  //   present.0.value likewise.
  // attention_mask / position_ids are declared graph inputs (transformers.js feeds them)
  // but the bigram needs neither.
  const onnx = model(graph({
    name: 'tiny_chat_bigram',
    nodes: [
      node('Gather', ['bigram_logits', 'input_ids'], ['logits'], { attrs: [attr('axis', 'int', 0)] }),
      node('Gather', ['kv_table', 'input_ids'], ['kv_rows'], { attrs: [attr('axis', 'int', 0)] }),
      node('Unsqueeze', ['kv_rows', 'axes_1'], ['kv_new']),
      node('Concat', ['past_key_values.0.key', 'kv_new'], ['present.0.key'], { attrs: [attr('axis', 'int', 2)] }),
      node('Concat', ['past_key_values.0.value', 'kv_new'], ['present.0.value'], { attrs: [attr('axis', 'int', 2)] }),
    ],
    initializers: [
      tensor('bigram_logits', DT.FLOAT, [V, V], W),
      tensor('kv_table', DT.FLOAT, [V, HEAD_DIM], E),
      tensor('axes_1', DT.INT64, [1], [1]),
    ],
    ...kvDecoderIo({ first: valueInfo('input_ids', DT.INT64, ['batch_size', 'sequence_length']), V, headDim: HEAD_DIM }),
  }));

  const config = {
    architectures: ['LlamaForCausalLM'],
    ...llamaConfig({ V, HIDDEN: HEAD_DIM, C: HEAD_DIM, pad: PAD, eos: EOS }),
    use_cache: true,
    'transformers.js_config': { dtype: 'fp32' },
  };
  return {
    files: modelFiles({
      config, pad: PAD, eos: EOS, tok,
      tokenizerConfig: chatmlTokenizerConfig({ specials: SPECIALS, template: CHATML_TEMPLATE }),
      onnx: { model: onnx },
    }),
    info: { vocab: V, sentenceIds: expected },
  };
}

// ---------------------------------------------------------------------------------------
// writing
// ---------------------------------------------------------------------------------------

const changed = [];
let unchanged = 0;

function writeIfChanged(path, content) {
  const buf = typeof content === 'string' ? Buffer.from(content, 'utf8') : Buffer.from(content.buffer, content.byteOffset, content.byteLength);
  let same = false;
  try { same = readFileSync(path).equals(buf); } catch { /* missing */ }
  if (same) { unchanged++; return; }
  changed.push(relative(ROOT, path));
  if (CHECK) return;
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, buf);
  renameSync(tmp, path);
}

function copyIfChanged(src, dest) {
  const s = statSync(src);
  let d = null;
  try { d = statSync(dest); } catch { /* missing */ }
  if (d && d.size === s.size && Math.abs(d.mtimeMs - s.mtimeMs) < 2) { unchanged++; return; }
  changed.push(relative(ROOT, dest));
  if (CHECK) return;
  mkdirSync(dirname(dest), { recursive: true });
  const tmp = `${dest}.tmp-${process.pid}`;
  copyFileSync(src, tmp);
  utimesSync(tmp, s.atime, s.mtime);
  renameSync(tmp, dest);
}

/** Every file under `dir`, as paths relative to it ('/'-separated). */
function listFiles(dir, prefix = '') {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? listFiles(join(dir, e.name), `${prefix}${e.name}/`) : [`${prefix}${e.name}`]);
}

const t0 = performance.now();

const models = { 'tiny-chat': buildTinyChat(), 'tiny-vlm': buildTinyVlm(), 'tiny-alm': buildTinyAlm() };
for (const [id, { files }] of Object.entries(models)) {
  for (const [name, content] of Object.entries(files)) writeIfChanged(join(PUBLIC, 'models', id, name), content);
}
const fixtures = realFixtures(ROOT);
for (const { name, files } of fixtures) {
  for (const { rel, path } of files) copyIfChanged(path, join(PUBLIC, 'models', name, rel));
  // A file the fixture no longer has (say a dtype dropped) must not stay loadable here.
  const keep = new Set(files.map((f) => f.rel));
  for (const rel of listFiles(join(PUBLIC, 'models', name))) {
    if (keep.has(rel)) continue;
    changed.push(`${relative(ROOT, join(PUBLIC, 'models', name, rel))} (removed)`);
    if (!CHECK) rmSync(join(PUBLIC, 'models', name, rel));
  }
}

// onnxruntime-web WASM runtime (plain, asyncify, jsep, jspi; .mjs + .wasm).
// Prefer the copy transformers.js itself resolves (a nested one if npm had to nest it).
const ORT_DIST = [
  join(ROOT, 'node_modules', '@huggingface', 'transformers', 'node_modules', 'onnxruntime-web', 'dist'),
  join(ROOT, 'node_modules', 'onnxruntime-web', 'dist'),
].find((d) => existsSync(d));
if (!ORT_DIST) throw new Error('onnxruntime-web is not installed: run npm install');
const ortFiles = readdirSync(ORT_DIST).filter((n) => /^ort-wasm-simd-threaded(\.[a-z]+)?\.(mjs|wasm)$/.test(n)).sort();
if (ortFiles.length === 0) throw new Error(`no ort-wasm-simd-threaded.* files in ${ORT_DIST}`);
for (const n of ortFiles) copyIfChanged(join(ORT_DIST, n), join(PUBLIC, 'ort', n));

// wllama's llama.cpp build (GGUF engine), and the committed GGUF fixtures (scripts/fixtures/gen_gguf.py).
copyIfChanged(join(ROOT, 'node_modules', '@wllama', 'wllama', 'esm', 'wasm', 'wllama.wasm'), join(PUBLIC, 'wllama', 'wllama.wasm'));
const FIXTURES = join(ROOT, 'fixtures', 'models');
const ggufDirs = existsSync(FIXTURES) ? readdirSync(FIXTURES).filter((d) => d.endsWith('-gguf')) : [];
for (const d of ggufDirs) {
  for (const n of readdirSync(join(FIXTURES, d))) copyIfChanged(join(FIXTURES, d, n), join(PUBLIC, 'models', d, n));
}

const ms = Math.round(performance.now() - t0);
if (CHECK) {
  if (changed.length) {
    console.error(`gen-models: out of date: ${changed.join(', ')}`);
    process.exit(1);
  }
  if (!QUIET) console.log(`gen-models: up to date (${unchanged} files)`);
} else if (changed.length || !QUIET) {
  const digest = createHash('sha256').update(models['tiny-chat'].files['onnx/model.onnx']).digest('hex').slice(0, 12);
  console.log(`gen-models: ${changed.length} written, ${unchanged} up to date in ${ms} ms ` +
    `(tiny-chat vocab ${models['tiny-chat'].info.vocab}, model.onnx sha256 ${digest}; ` +
    `tiny-vlm vocab ${models['tiny-vlm'].info.vocab}; tiny-alm vocab ${models['tiny-alm'].info.vocab}; ` +
    `${fixtures.length} real-architecture fixtures; ort: ${ortFiles.length} files)`);
  for (const c of changed) console.log(`  wrote ${c}`);
}
