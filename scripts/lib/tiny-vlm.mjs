// tiny-vlm: a LLaVA-shaped, transformers.js-loadable vision-language test model whose
// answer names the dominant colour of the pictures in the conversation.
//
// transformers.js (AutoProcessor + AutoModelForImageTextToText, model_type "llava") runs
// three ONNX sessions; the shapes are the ones its LLaVA code feeds:
//
//   vision_encoder        pixel_values [n, 3, 32, 32]        -> image_features [n, 1, 5]
//   embed_tokens          input_ids [b, s]                   -> inputs_embeds [b, s, 5]
//   decoder_model_merged  inputs_embeds, attention_mask, position_ids,
//                         past_key_values.0.{key,value} [b, 1, past, 4]
//                                                            -> logits [b, s, V], present.0.{key,value}
//
// The LlavaProcessor resizes each image to 32x32 and expands every `<image>` into
// (32/32)^2 + 0 = 1 image token, whose embedding transformers.js overwrites with the image
// features. A hidden vector is [token id, r, g, b, presence]:
//   - embed_tokens gives [id, 0, 0, 0, 0];
//   - vision_encoder gives [<image> id, mean chroma r, g, b, 1], where a pixel's chroma is
//     its RGB minus its smallest channel (so white, grey and black count for nothing).
// The decoder is a bigram table over the token id (like tiny-chat) plus a "memory": every
// position appends its [r, g, b, presence] to the KV cache, and the sum over the cache is
// the conversation's colour context. Two gate tokens read it:
//   after the assistant's `\n`  presence > 0 pushes "The" (else the bigram says "I see no image.")
//   after " is"                  each colour pushes its word (else the bigram says " grey")
// So the answer is one of EXPECTED below, decided by the pixels that reached the model.

import { model, graph, node, tensor, valueInfo, attr, DT } from './onnx.mjs';
import { ByteLevelBPE, decodeTokens } from './bytelevel-bpe.mjs';
import { CHATML_TEMPLATE } from './chatml-template.mjs';

export const TINY_VLM_ANSWERS = {
  none: 'I see no image.',
  red: 'The picture is red.',
  green: 'The picture is green.',
  blue: 'The picture is blue.',
  grey: 'The picture is grey.',
};

const IMAGE_TOKEN = '<image>';
const SPECIALS = ['<|endoftext|>', '<|im_start|>', '<|im_end|>', IMAGE_TOKEN];
const IMAGE_SIZE = 32;
const HIDDEN = 5; // [id, r, g, b, presence]
const KV = 4; // [r, g, b, presence]
const GAIN = 10; // logit push per unit of colour / per image
const BACKOFF = 0.5;
const EPSILON = 1e-4;

const CORPUS = [
  [20, TINY_VLM_ANSWERS.none],
  [2, TINY_VLM_ANSWERS.red],
  [2, TINY_VLM_ANSWERS.green],
  [2, TINY_VLM_ANSWERS.blue],
  [4, TINY_VLM_ANSWERS.grey],
];
const EXTRA_WORDS = ['system', 'user', 'assistant', 'What', ' What', ' colour', ' color', ' this', ' the', ' picture', ' And', ' now', ' Describe', ' image', ' images', ' Hi', 'Hi'];

/** ChatML (tools and all, as tiny-chat) with `{type: 'image'}` parts rendered as `<image>`. */
export const VLM_TEMPLATE = (() => {
  const from = String.raw`{%- elif part.type == 'text' -%}{{- part.text -}}{%- endif -%}`;
  const to = String.raw`{%- elif part.type == 'text' -%}{{- part.text -}}{%- elif part.type == 'image' -%}{{- '${IMAGE_TOKEN}' -}}{%- endif -%}`;
  if (!CHATML_TEMPLATE.includes(from)) throw new Error('tiny-vlm: chatml template changed; update the image-part rewrite');
  return CHATML_TEMPLATE.replace(from, to);
})();

export function buildTinyVlm() {
  const tok = new ByteLevelBPE(SPECIALS, [...CORPUS.map(([, s]) => s), ...EXTRA_WORDS]);
  const V = tok.size;
  const EOS = tok.id('<|im_end|>');
  const PAD = tok.id('<|endoftext|>');
  const IMG = tok.id(IMAGE_TOKEN);
  const NL = tok.id('Ċ');
  const IS = tok.id('Ġis');
  const THE = tok.id('The');
  const COLOUR = [tok.id('Ġred'), tok.id('Ġgreen'), tok.id('Ġblue')];

  // Bigram table, as tiny-chat: W[a][b] = log(count(a->b) + BACKOFF * P_unigram(b) + EPSILON).
  const counts = Array.from({ length: V }, () => new Float64Array(V));
  const unigram = new Float64Array(V);
  for (const [w, text] of CORPUS) {
    const ids = [NL, ...tok.encode(text), EOS];
    for (let i = 0; i + 1 < ids.length; i++) {
      counts[ids[i]][ids[i + 1]] += w;
      unigram[ids[i + 1]] += w;
    }
  }
  const total = unigram.reduce((a, b) => a + b, 0);
  const W = new Float32Array(V * V);
  for (let a = 0; a < V; a++) {
    for (let b = 0; b < V; b++) W[a * V + b] = Math.log(counts[a][b] + BACKOFF * (unigram[b] / total) + EPSILON);
  }

  // Gates: gate[token][k] = 1 for the two tokens that read the colour context.
  const K = 2;
  const gate = new Float32Array(V * K);
  gate[NL * K + 0] = 1;
  gate[IS * K + 1] = 1;
  // U[c][k*V + b]: push of context channel c (r, g, b, presence) on token b under gate k.
  const U = new Float32Array(KV * K * V);
  U[3 * K * V + 0 * V + THE] = GAIN;
  COLOUR.forEach((id, c) => { U[c * K * V + 1 * V + id] = GAIN; });

  // The decoder's next-token logits in plain JS, to check the chains below.
  const row = (id, ctx) => {
    const out = Float32Array.from(W.subarray(id * V, id * V + V));
    for (let k = 0; k < K; k++) {
      const g = gate[id * K + k];
      if (!g) continue;
      for (let c = 0; c < KV; c++) for (let b = 0; b < V; b++) out[b] += g * ctx[c] * U[c * K * V + k * V + b];
    }
    return out;
  };
  const cases = {
    none: [0, 0, 0, 0], red: [1, 0, 0, 1], green: [0, 1, 0, 1], blue: [0, 0, 1, 1], grey: [0, 0, 0, 1],
    // two red pictures and a blue one: red dominates
    'red,red,blue': [2, 0, 1, 3],
  };
  const sentenceIds = {};
  for (const [name, ctx] of Object.entries(cases)) {
    const answer = TINY_VLM_ANSWERS[name] ?? TINY_VLM_ANSWERS.red;
    const chain = [];
    let cur = NL;
    for (let step = 0; step < 20 && cur !== EOS; step++) {
      const r = row(cur, ctx);
      let best = 0, second = -Infinity;
      for (let b = 1; b < V; b++) if (r[b] > r[best]) best = b;
      for (let b = 0; b < V; b++) if (b !== best && r[b] > second) second = r[b];
      if (r[best] - second < Math.log(1.5)) throw new Error(`tiny-vlm (${name}): weak greedy margin after ${tok.tokens[cur]}`);
      chain.push(best);
      cur = best;
    }
    const expected = [...tok.encode(answer), EOS];
    if (JSON.stringify(chain) !== JSON.stringify(expected)) {
      throw new Error(`tiny-vlm (${name}): greedy chain ${JSON.stringify(chain.map((i) => tok.tokens[i]))} != ${JSON.stringify(answer)}`);
    }
    if (decodeTokens(expected.slice(0, -1).map((i) => tok.tokens[i])) !== answer) throw new Error(`tiny-vlm: decode mismatch for ${answer}`);
    sentenceIds[name] = expected;
  }

  // ---- embed_tokens: inputs_embeds = E[input_ids], E[i] = [i, 0, 0, 0, 0] --------------
  const E = new Float32Array(V * HIDDEN);
  for (let i = 0; i < V; i++) E[i * HIDDEN] = i;
  const embedTokens = model(graph({
    name: 'tiny_vlm_embed_tokens',
    nodes: [node('Gather', ['embed_table', 'input_ids'], ['inputs_embeds'], { attrs: [attr('axis', 'int', 0)] })],
    initializers: [tensor('embed_table', DT.FLOAT, [V, HIDDEN], E)],
    inputs: [valueInfo('input_ids', DT.INT64, ['batch_size', 'sequence_length'])],
    outputs: [valueInfo('inputs_embeds', DT.FLOAT, ['batch_size', 'sequence_length', HIDDEN])],
  }));

  // ---- vision_encoder: [<image>, mean chroma r, g, b, 1] per image ----------------------
  const P = new Float32Array(3 * HIDDEN);
  for (let c = 0; c < 3; c++) P[c * HIDDEN + 1 + c] = 1;
  const visionEncoder = model(graph({
    name: 'tiny_vlm_vision_encoder',
    nodes: [
      node('ReduceMin', ['pixel_values'], ['pixel_min'], { attrs: [attr('axes', 'ints', [1]), attr('keepdims', 'int', 1)] }),
      node('Sub', ['pixel_values', 'pixel_min'], ['chroma']),
      node('ReduceMean', ['chroma'], ['mean_chroma'], { attrs: [attr('axes', 'ints', [2, 3]), attr('keepdims', 'int', 0)] }),
      node('MatMul', ['mean_chroma', 'rgb_to_hidden'], ['features_rgb']),
      node('Add', ['features_rgb', 'image_bias'], ['features']),
      node('Unsqueeze', ['features', 'axes_1'], ['image_features']),
    ],
    initializers: [
      tensor('rgb_to_hidden', DT.FLOAT, [3, HIDDEN], P),
      tensor('image_bias', DT.FLOAT, [HIDDEN], [IMG, 0, 0, 0, 1]),
      tensor('axes_1', DT.INT64, [1], [1]),
    ],
    inputs: [valueInfo('pixel_values', DT.FLOAT, ['num_images', 3, IMAGE_SIZE, IMAGE_SIZE])],
    outputs: [valueInfo('image_features', DT.FLOAT, ['num_images', 1, HIDDEN])],
  }));

  // ---- decoder_model_merged ---------------------------------------------------------------
  //   ids     = Cast(inputs_embeds[..., 0])                        [b, s]
  //   kv_new  = Unsqueeze(inputs_embeds[..., 1:5], 1)             [b, 1, s, 4]
  //   present = Concat(past, kv_new, axis 2)                       (key and value alike)
  //   ctx     = ReduceSum(present.value, axes [1, 2])              [b, 4]
  //   push    = Reshape(Unsqueeze(ctx, 1) @ U, [b, 1, K, V])       [b, 1, K, V]
  //   gates   = Unsqueeze(Gather(gate, ids), 2)                    [b, s, 1, K]
  //   logits  = Gather(W, ids) + Squeeze(gates @ push, 2)          [b, s, V]
  const decoder = model(graph({
    name: 'tiny_vlm_decoder',
    nodes: [
      node('Slice', ['inputs_embeds', 'c_0', 'c_1', 'c_2'], ['id_float3']),
      node('Squeeze', ['id_float3', 'c_2'], ['id_float']),
      node('Cast', ['id_float'], ['ids'], { attrs: [attr('to', 'int', DT.INT64)] }),
      node('Slice', ['inputs_embeds', 'c_1', 'c_5', 'c_2'], ['feat']),
      node('Unsqueeze', ['feat', 'c_1'], ['kv_new']),
      node('Concat', ['past_key_values.0.key', 'kv_new'], ['present.0.key'], { attrs: [attr('axis', 'int', 2)] }),
      node('Concat', ['past_key_values.0.value', 'kv_new'], ['present.0.value'], { attrs: [attr('axis', 'int', 2)] }),
      node('ReduceSum', ['present.0.value', 'axes_12'], ['ctx'], { attrs: [attr('keepdims', 'int', 0)] }),
      node('Unsqueeze', ['ctx', 'c_1'], ['ctx3']),
      node('MatMul', ['ctx3', 'push_table'], ['push_flat']),
      node('Reshape', ['push_flat', 'push_shape'], ['push']),
      node('Gather', ['gate_table', 'ids'], ['gates3'], { attrs: [attr('axis', 'int', 0)] }),
      node('Unsqueeze', ['gates3', 'c_2'], ['gates']),
      node('MatMul', ['gates', 'push'], ['bias4']),
      node('Squeeze', ['bias4', 'c_2'], ['bias']),
      node('Gather', ['bigram_logits', 'ids'], ['bigram'], { attrs: [attr('axis', 'int', 0)] }),
      node('Add', ['bigram', 'bias'], ['logits']),
    ],
    initializers: [
      tensor('bigram_logits', DT.FLOAT, [V, V], W),
      tensor('gate_table', DT.FLOAT, [V, K], gate),
      tensor('push_table', DT.FLOAT, [KV, K * V], U),
      tensor('push_shape', DT.INT64, [4], [0, 1, K, V]),
      tensor('axes_12', DT.INT64, [2], [1, 2]),
      tensor('c_0', DT.INT64, [1], [0]),
      tensor('c_1', DT.INT64, [1], [1]),
      tensor('c_2', DT.INT64, [1], [2]),
      tensor('c_5', DT.INT64, [1], [5]),
    ],
    inputs: [
      valueInfo('inputs_embeds', DT.FLOAT, ['batch_size', 'sequence_length', HIDDEN]),
      valueInfo('attention_mask', DT.INT64, ['batch_size', 'total_sequence_length']),
      valueInfo('position_ids', DT.INT64, ['batch_size', 'sequence_length']),
      valueInfo('past_key_values.0.key', DT.FLOAT, ['batch_size', 1, 'past_sequence_length', KV]),
      valueInfo('past_key_values.0.value', DT.FLOAT, ['batch_size', 1, 'past_sequence_length', KV]),
    ],
    outputs: [
      valueInfo('logits', DT.FLOAT, ['batch_size', 'sequence_length', V]),
      valueInfo('present.0.key', DT.FLOAT, ['batch_size', 1, 'total_sequence_length', KV]),
      valueInfo('present.0.value', DT.FLOAT, ['batch_size', 1, 'total_sequence_length', KV]),
    ],
  }));

  const textConfig = {
    model_type: 'llama',
    vocab_size: V,
    hidden_size: HIDDEN,
    intermediate_size: HIDDEN,
    num_hidden_layers: 1,
    num_attention_heads: 1,
    num_key_value_heads: 1,
    head_dim: KV,
    max_position_embeddings: 2048,
    bos_token_id: PAD,
    eos_token_id: EOS,
    pad_token_id: PAD,
    tie_word_embeddings: false,
    torch_dtype: 'float32',
  };
  const config = {
    architectures: ['LlavaForConditionalGeneration'],
    model_type: 'llava',
    image_token_index: IMG,
    projector_hidden_act: 'gelu',
    vision_feature_layer: -1,
    vision_feature_select_strategy: 'full',
    text_config: textConfig,
    vision_config: { model_type: 'clip_vision_model', hidden_size: HIDDEN, image_size: IMAGE_SIZE, patch_size: IMAGE_SIZE, num_channels: 3 },
    bos_token_id: PAD,
    eos_token_id: EOS,
    pad_token_id: PAD,
    torch_dtype: 'float32',
    use_cache: true,
    'transformers.js_config': { dtype: 'fp32' },
  };
  const generationConfig = { bos_token_id: PAD, eos_token_id: EOS, pad_token_id: PAD, do_sample: false };
  const preprocessorConfig = {
    processor_class: 'LlavaProcessor',
    image_processor_type: 'CLIPImageProcessor',
    do_convert_rgb: true,
    do_resize: true,
    size: { height: IMAGE_SIZE, width: IMAGE_SIZE },
    resample: 2,
    do_center_crop: false,
    do_rescale: true,
    rescale_factor: 1 / 255,
    do_normalize: false,
    image_mean: [0, 0, 0],
    image_std: [1, 1, 1],
  };
  const processorConfig = {
    processor_class: 'LlavaProcessor',
    image_token: IMAGE_TOKEN,
    patch_size: IMAGE_SIZE,
    num_additional_image_tokens: 0,
    vision_feature_select_strategy: 'full',
  };
  const tokenizerConfig = {
    add_bos_token: false,
    add_eos_token: false,
    added_tokens_decoder: Object.fromEntries(SPECIALS.map((content, id) => [String(id), {
      content, lstrip: false, normalized: false, rstrip: false, single_word: false, special: true,
    }])),
    additional_special_tokens: ['<|im_start|>', '<|im_end|>', IMAGE_TOKEN],
    bos_token: null,
    eos_token: '<|im_end|>',
    pad_token: '<|endoftext|>',
    unk_token: null,
    image_token: IMAGE_TOKEN,
    chat_template: VLM_TEMPLATE,
    clean_up_tokenization_spaces: false,
    errors: 'replace',
    model_max_length: 2048,
    processor_class: 'LlavaProcessor',
    split_special_tokens: false,
    tokenizer_class: 'PreTrainedTokenizerFast',
  };
  const json = (o) => JSON.stringify(o, null, 2) + '\n';
  return {
    files: {
      'config.json': json(config),
      'generation_config.json': json(generationConfig),
      'preprocessor_config.json': json(preprocessorConfig),
      'processor_config.json': json(processorConfig),
      'tokenizer.json': JSON.stringify(tok.tokenizerJson()) + '\n',
      'tokenizer_config.json': json(tokenizerConfig),
      'onnx/vision_encoder.onnx': visionEncoder,
      'onnx/embed_tokens.onnx': embedTokens,
      'onnx/decoder_model_merged.onnx': decoder,
    },
    info: { vocab: V, imageTokenId: IMG, sentenceIds },
  };
}
