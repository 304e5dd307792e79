// tiny-alm: an Ultravox-shaped, transformers.js-loadable audio-language test model whose
// answer says whether the clip's loudest tone is low or high.
//
// transformers.js (AutoProcessor + AutoModelForAudioTextToText, model_type "ultravox") runs
//
//   audio_encoder         audio_values [1, 80, frames]       -> audio_features [1, 1, 4]
//   embed_tokens          input_ids [b, s]                   -> inputs_embeds [b, s, 4]
//   decoder_model_merged  as tiny-vlm's (gated-bigram.mjs), 3 context channels
//
// The UltravoxProcessor turns 16 kHz samples into Whisper's 80-bin log-mel spectrogram
// (WhisperFeatureExtractor, max-normalised) and expands `<|audio|>` into
// 1 + ceil(round(samples / encoder_ds_factor) / stack_factor) audio tokens: with a huge
// encoder_ds_factor that is 1 token per clip. The encoder compares the loudest mel bin
// below ~1.7 kHz (bins 0-39) with the loudest one above (bins 40-79):
//   d = max(low band) - max(high band);  features = [<|audio|> id, relu(d), relu(-d), 1]
// and the decoder reads [low, high, presence]:
//   after the assistant's `\n`  presence > 0 pushes "The" (else "I hear nothing.")
//   after " is"                  low pushes " low", high pushes " high" (else " quiet")

import { model, graph, node, tensor, valueInfo, attr, DT } from './onnx.mjs';
import { ByteLevelBPE } from './bytelevel-bpe.mjs';
import { CHATML_TEMPLATE } from './chatml-template.mjs';
import { buildGatedBigram, templateWithPlaceholder } from './gated-bigram.mjs';
import { llamaConfig, multimodalConfigTail, chatmlTokenizerConfig, modelFiles } from './transformers-js-model.mjs';

export const TINY_ALM_ANSWERS = {
  none: 'I hear nothing.',
  low: 'The sound is low.',
  high: 'The sound is high.',
  quiet: 'The sound is quiet.',
};

const AUDIO_TOKEN = '<|audio|>';
const SPECIALS = ['<|endoftext|>', '<|im_start|>', '<|im_end|>', AUDIO_TOKEN];
const MEL_BINS = 80;
const SPLIT = 40;
const CHANNELS = 3; // [low, high, presence]
const GAIN = 10;

const CORPUS = [
  [20, TINY_ALM_ANSWERS.none],
  [2, TINY_ALM_ANSWERS.low],
  [2, TINY_ALM_ANSWERS.high],
  [4, TINY_ALM_ANSWERS.quiet],
];
const EXTRA_WORDS = ['system', 'user', 'assistant', 'What', ' What', ' is', ' this', ' sound', ' Listen', ' clip', ' Hi', 'Hi'];

export const ALM_TEMPLATE = templateWithPlaceholder(CHATML_TEMPLATE, 'audio', AUDIO_TOKEN);

export function buildTinyAlm() {
  const tok = new ByteLevelBPE(SPECIALS, [...CORPUS.map(([, s]) => s), ...EXTRA_WORDS]);
  const EOS = tok.id('<|im_end|>');
  const PAD = tok.id('<|endoftext|>');
  const AUD = tok.id(AUDIO_TOKEN);

  const { V, HIDDEN, embedTokens, decoder, sentenceIds } = buildGatedBigram({
    name: 'tiny_alm',
    tok,
    corpus: CORPUS,
    start: tok.id('Ċ'),
    eos: EOS,
    channels: CHANNELS,
    gates: [
      { token: tok.id('Ċ'), pushes: [[2, tok.id('The'), GAIN]] },
      { token: tok.id('Ġis'), pushes: [[0, tok.id('Ġlow'), GAIN], [1, tok.id('Ġhigh'), GAIN]] },
    ],
    cases: {
      none: { ctx: [0, 0, 0], answer: TINY_ALM_ANSWERS.none },
      low: { ctx: [0.5, 0, 1], answer: TINY_ALM_ANSWERS.low },
      high: { ctx: [0, 0.5, 1], answer: TINY_ALM_ANSWERS.high },
      quiet: { ctx: [0, 0, 1], answer: TINY_ALM_ANSWERS.quiet },
    },
  });

  // ---- audio_encoder ----------------------------------------------------------------------
  const P = new Float32Array(2 * HIDDEN);
  P[0 * HIDDEN + 1] = 1;
  P[1 * HIDDEN + 2] = 1;
  const audioEncoder = model(graph({
    name: 'tiny_alm_audio_encoder',
    nodes: [
      node('Slice', ['audio_values', 'c_0', 'c_split', 'c_1'], ['low_band']),
      node('Slice', ['audio_values', 'c_split', 'c_bins', 'c_1'], ['high_band']),
      node('ReduceMax', ['low_band'], ['low_max'], { attrs: [attr('axes', 'ints', [1, 2]), attr('keepdims', 'int', 0)] }),
      node('ReduceMax', ['high_band'], ['high_max'], { attrs: [attr('axes', 'ints', [1, 2]), attr('keepdims', 'int', 0)] }),
      node('Sub', ['low_max', 'high_max'], ['d']),
      node('Neg', ['d'], ['neg_d']),
      node('Relu', ['d'], ['low']),
      node('Relu', ['neg_d'], ['high']),
      node('Unsqueeze', ['low', 'c_1'], ['low2']),
      node('Unsqueeze', ['high', 'c_1'], ['high2']),
      node('Concat', ['low2', 'high2'], ['bands'], { attrs: [attr('axis', 'int', 1)] }),
      node('MatMul', ['bands', 'bands_to_hidden'], ['features_bands']),
      node('Add', ['features_bands', 'audio_bias'], ['features']),
      node('Unsqueeze', ['features', 'c_1'], ['audio_features']),
    ],
    initializers: [
      tensor('bands_to_hidden', DT.FLOAT, [2, HIDDEN], P),
      tensor('audio_bias', DT.FLOAT, [HIDDEN], [AUD, 0, 0, 1]),
      tensor('c_0', DT.INT64, [1], [0]),
      tensor('c_1', DT.INT64, [1], [1]),
      tensor('c_split', DT.INT64, [1], [SPLIT]),
      tensor('c_bins', DT.INT64, [1], [MEL_BINS]),
    ],
    inputs: [valueInfo('audio_values', DT.FLOAT, ['batch_size', MEL_BINS, 'num_frames'])],
    outputs: [valueInfo('audio_features', DT.FLOAT, ['batch_size', 1, HIDDEN])],
  }));

  const config = {
    architectures: ['UltravoxModel'],
    model_type: 'ultravox',
    audio_token_id: AUD,
    stack_factor: 8,
    text_config: llamaConfig({ V, HIDDEN, C: CHANNELS, pad: PAD, eos: EOS }),
    audio_config: { model_type: 'whisper', num_mel_bins: MEL_BINS, d_model: HIDDEN },
    ...multimodalConfigTail({ pad: PAD, eos: EOS }),
  };
  const preprocessorConfig = {
    processor_class: 'UltravoxProcessor',
    feature_extractor_type: 'WhisperFeatureExtractor',
    feature_size: MEL_BINS,
    sampling_rate: 16000,
    hop_length: 160,
    n_fft: 400,
    chunk_length: 30,
    n_samples: 480000,
    nb_max_frames: 3000,
    padding_side: 'right',
    padding_value: 0,
    return_attention_mask: false,
  };
  const processorConfig = {
    processor_class: 'UltravoxProcessor',
    audio_placeholder: AUDIO_TOKEN,
    // samples per encoder frame: huge, so every clip is one audio token
    encoder_ds_factor: 1e12,
    stack_factor: 8,
  };
  return {
    files: modelFiles({
      config, pad: PAD, eos: EOS, preprocessorConfig, processorConfig, tok,
      tokenizerConfig: chatmlTokenizerConfig({
        specials: SPECIALS, extraSpecial: AUDIO_TOKEN, template: ALM_TEMPLATE, processorClass: 'UltravoxProcessor',
      }),
      onnx: { audio_encoder: audioEncoder, embed_tokens: embedTokens, decoder_model_merged: decoder },
    }),
    info: { vocab: V, audioTokenId: AUD, sentenceIds },
  };
}
