// What transformers.js expects of every tiny test model (tiny-chat, tiny-vlm, tiny-alm):
// the 1-layer, 1-head "llama" config and decoder I/O, the ChatML tokenizer config, and the
// set of files it loads. Shared so the models cannot drift apart in what they declare.

import { valueInfo, DT } from './onnx.mjs';

const toJson = (o) => JSON.stringify(o, null, 2) + '\n';

/** The config of a 1-layer, 1-head "llama" (tiny-chat's model, the multimodal text_config). */
export function llamaConfig({ V, HIDDEN, C, pad, eos }) {
  return {
    model_type: 'llama',
    vocab_size: V,
    hidden_size: HIDDEN,
    intermediate_size: HIDDEN,
    num_hidden_layers: 1,
    num_attention_heads: 1,
    num_key_value_heads: 1,
    head_dim: C,
    max_position_embeddings: 2048,
    bos_token_id: pad,
    eos_token_id: eos,
    pad_token_id: pad,
    tie_word_embeddings: false,
    torch_dtype: 'float32',
  };
}

/** What follows the model-specific keys of a multimodal config.json. */
export function multimodalConfigTail({ pad, eos }) {
  return {
    bos_token_id: pad,
    eos_token_id: eos,
    pad_token_id: pad,
    torch_dtype: 'float32',
    use_cache: true,
    'transformers.js_config': { dtype: 'fp32' },
  };
}

/** tokenizer_config.json for these ChatML models; a multimodal one adds its placeholder token and processor. */
export function chatmlTokenizerConfig({ specials, template, extraSpecial, processorClass, extra = {} }) {
  return {
    add_bos_token: false,
    add_eos_token: false,
    added_tokens_decoder: Object.fromEntries(specials.map((content, id) => [String(id), {
      content, lstrip: false, normalized: false, rstrip: false, single_word: false, special: true,
    }])),
    additional_special_tokens: ['<|im_start|>', '<|im_end|>', ...(extraSpecial ? [extraSpecial] : [])],
    bos_token: null,
    eos_token: '<|im_end|>',
    pad_token: '<|endoftext|>',
    unk_token: null,
    ...extra,
    chat_template: template,
    clean_up_tokenization_spaces: false,
    errors: 'replace',
    model_max_length: 2048,
    ...(processorClass ? { processor_class: processorClass } : {}),
    split_special_tokens: false,
    tokenizer_class: 'PreTrainedTokenizerFast',
  };
}

/**
 * The graph inputs and outputs transformers.js feeds and reads for a decoder with a 1-layer,
 * 1-head KV cache: `first` (input_ids or inputs_embeds), then attention_mask, position_ids
 * and the past; logits and the present.
 */
export function kvDecoderIo({ first, V, headDim }) {
  return {
    inputs: [
      first,
      valueInfo('attention_mask', DT.INT64, ['batch_size', 'total_sequence_length']),
      valueInfo('position_ids', DT.INT64, ['batch_size', 'sequence_length']),
      valueInfo('past_key_values.0.key', DT.FLOAT, ['batch_size', 1, 'past_sequence_length', headDim]),
      valueInfo('past_key_values.0.value', DT.FLOAT, ['batch_size', 1, 'past_sequence_length', headDim]),
    ],
    outputs: [
      valueInfo('logits', DT.FLOAT, ['batch_size', 'sequence_length', V]),
      valueInfo('present.0.key', DT.FLOAT, ['batch_size', 1, 'total_sequence_length', headDim]),
      valueInfo('present.0.value', DT.FLOAT, ['batch_size', 1, 'total_sequence_length', headDim]),
    ],
  };
}

/**
 * A model directory's files, by path: config, generation config (greedy, with the model's
 * special ids), the processor configs if any, the tokenizer, and `onnx` ({ session: bytes })
 * as onnx/<session>.onnx.
 */
export function modelFiles({ config, pad, eos, preprocessorConfig, processorConfig, tok, tokenizerConfig, onnx }) {
  return {
    'config.json': toJson(config),
    'generation_config.json': toJson({ bos_token_id: pad, eos_token_id: eos, pad_token_id: pad, do_sample: false }),
    ...(preprocessorConfig ? { 'preprocessor_config.json': toJson(preprocessorConfig) } : {}),
    ...(processorConfig ? { 'processor_config.json': toJson(processorConfig) } : {}),
    'tokenizer.json': JSON.stringify(tok.tokenizerJson()) + '\n',
    'tokenizer_config.json': toJson(tokenizerConfig),
    ...Object.fromEntries(Object.entries(onnx).map(([session, bytes]) => [`onnx/${session}.onnx`, bytes])),
  };
}
