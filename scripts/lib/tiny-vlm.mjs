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
// So the answer is one of TINY_VLM_ANSWERS, decided by the pixels that reached the model.
// The text half (bigram, gates, memory) is shared with tiny-alm: see gated-bigram.mjs.

import { model, graph, node, tensor, valueInfo, attr, DT } from './onnx.mjs';
import { ByteLevelBPE } from './bytelevel-bpe.mjs';
import { CHATML_TEMPLATE } from './chatml-template.mjs';
import { buildGatedBigram, templateWithPlaceholder } from './gated-bigram.mjs';
import { llamaConfig, multimodalConfigTail, chatmlTokenizerConfig, modelFiles } from './transformers-js-model.mjs';

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
const CHANNELS = 4; // [r, g, b, presence]
const GAIN = 10; // logit push per unit of colour / per image

const CORPUS = [
  [20, TINY_VLM_ANSWERS.none],
  [2, TINY_VLM_ANSWERS.red],
  [2, TINY_VLM_ANSWERS.green],
  [2, TINY_VLM_ANSWERS.blue],
  [4, TINY_VLM_ANSWERS.grey],
];
const EXTRA_WORDS = ['system', 'user', 'assistant', 'What', ' What', ' colour', ' color', ' this', ' the', ' picture', ' And', ' now', ' Describe', ' image', ' images', ' Hi', 'Hi'];

/** ChatML (tools and all, as tiny-chat) with `{type: 'image'}` parts rendered as `<image>`. */
export const VLM_TEMPLATE = templateWithPlaceholder(CHATML_TEMPLATE, 'image', IMAGE_TOKEN);

export function buildTinyVlm() {
  const tok = new ByteLevelBPE(SPECIALS, [...CORPUS.map(([, s]) => s), ...EXTRA_WORDS]);
  const EOS = tok.id('<|im_end|>');
  const PAD = tok.id('<|endoftext|>');
  const IMG = tok.id(IMAGE_TOKEN);
  const [RED, GREEN, BLUE] = ['Ġred', 'Ġgreen', 'Ġblue'].map((t) => tok.id(t));

  const { V, HIDDEN, embedTokens, decoder, sentenceIds } = buildGatedBigram({
    name: 'tiny_vlm',
    tok,
    corpus: CORPUS,
    start: tok.id('Ċ'),
    eos: EOS,
    channels: CHANNELS,
    gates: [
      // after the assistant's "\n": any picture at all -> "The picture is ..."
      { token: tok.id('Ċ'), pushes: [[3, tok.id('The'), GAIN]] },
      // after " is": each colour pushes its word
      { token: tok.id('Ġis'), pushes: [[0, RED, GAIN], [1, GREEN, GAIN], [2, BLUE, GAIN]] },
    ],
    cases: {
      none: { ctx: [0, 0, 0, 0], answer: TINY_VLM_ANSWERS.none },
      red: { ctx: [1, 0, 0, 1], answer: TINY_VLM_ANSWERS.red },
      green: { ctx: [0, 1, 0, 1], answer: TINY_VLM_ANSWERS.green },
      blue: { ctx: [0, 0, 1, 1], answer: TINY_VLM_ANSWERS.blue },
      grey: { ctx: [0, 0, 0, 1], answer: TINY_VLM_ANSWERS.grey },
      // two red pictures and a blue one: red dominates
      'red,red,blue': { ctx: [2, 0, 1, 3], answer: TINY_VLM_ANSWERS.red },
    },
  });

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

  const config = {
    architectures: ['LlavaForConditionalGeneration'],
    model_type: 'llava',
    image_token_index: IMG,
    projector_hidden_act: 'gelu',
    vision_feature_layer: -1,
    vision_feature_select_strategy: 'full',
    text_config: llamaConfig({ V, HIDDEN, C: CHANNELS, pad: PAD, eos: EOS }),
    vision_config: { model_type: 'clip_vision_model', hidden_size: HIDDEN, image_size: IMAGE_SIZE, patch_size: IMAGE_SIZE, num_channels: 3 },
    ...multimodalConfigTail({ pad: PAD, eos: EOS }),
  };
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
  return {
    files: modelFiles({
      config, pad: PAD, eos: EOS, preprocessorConfig, processorConfig, tok,
      tokenizerConfig: chatmlTokenizerConfig({
        specials: SPECIALS, extraSpecial: IMAGE_TOKEN, template: VLM_TEMPLATE, processorClass: 'LlavaProcessor', extra: { image_token: IMAGE_TOKEN },
      }),
      onnx: { vision_encoder: visionEncoder, embed_tokens: embedTokens, decoder_model_merged: decoder },
    }),
    info: { vocab: V, imageTokenId: IMG, sentenceIds },
  };
}
