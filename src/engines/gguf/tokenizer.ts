import { PreTrainedTokenizer } from '@huggingface/transformers';
import { BadRequestError } from '../../protocol/errors.js';
import { metaNumber, metaString, type GgufMetadata } from './header.js';

/**
 * A transformers.js tokenizer rebuilt from a GGUF's vocabulary (tokens, merges, token
 * types, special ids, chat template), so that core gets the prompt's token ids and the
 * chat template renders in the engine host exactly as for ONNX models. llama.cpp's
 * byte-level BPE (`tokenizer.ggml.model = gpt2`: Llama 3, Qwen, SmolLM, ...) is what it
 * builds; SentencePiece vocabularies (`llama`: Llama 2, Mistral v1, Gemma) are refused.
 */

// llama.cpp's `tokenizer.ggml.pre` names -> the pre-tokenizer regex its tokenizer uses (llama-vocab.cpp).
const LLAMA3 = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
const QWEN2 = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
const PRE_REGEX: Record<string, string> = {
  'llama-bpe': LLAMA3,
  llama3: LLAMA3,
  smaug: LLAMA3,
  qwen2: QWEN2,
  deepseek3: QWEN2,
};
const GPT2_PRES = new Set(['gpt-2', 'gpt2', 'default', 'smollm', 'olmo', 'phi-2']);

const CONTROL = 3;
const USER_DEFINED = 4;

export function tokenizerFromGguf(meta: GgufMetadata, modelId: string): PreTrainedTokenizer {
  const model = metaString(meta, 'tokenizer.ggml.model');
  const pre = metaString(meta, 'tokenizer.ggml.pre') ?? 'default';
  if (model !== 'gpt2' || !(pre in PRE_REGEX || GPT2_PRES.has(pre))) {
    throw new BadRequestError(
      `Model '${modelId}': the GGUF engine reads byte-level BPE tokenizers (llama.cpp 'gpt2' with pre-tokenizer ${[...Object.keys(PRE_REGEX), ...GPT2_PRES].join(', ')}); this file has '${model}' / '${pre}'.`,
      { param: 'model', code: 'unsupported_tokenizer' },
    );
  }
  const tokens = meta.get('tokenizer.ggml.tokens') as string[];
  const types = (meta.get('tokenizer.ggml.token_type') as number[] | undefined) ?? [];
  const merges = (meta.get('tokenizer.ggml.merges') as string[] | undefined) ?? [];
  const vocab: Record<string, number> = {};
  const added: { id: number; content: string; special: boolean; single_word: false; lstrip: false; rstrip: false; normalized: boolean }[] = [];
  tokens.forEach((token, id) => {
    if (!(token in vocab)) vocab[token] = id;
    const type = types[id];
    if (type === CONTROL || type === USER_DEFINED) {
      added.push({ id, content: token, special: type === CONTROL, single_word: false, lstrip: false, rstrip: false, normalized: false });
    }
  });
  const regex = PRE_REGEX[pre];
  const byteLevel = { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: !regex };
  const json = {
    version: '1.0',
    added_tokens: added,
    normalizer: null,
    pre_tokenizer: regex
      ? { type: 'Sequence', pretokenizers: [{ type: 'Split', pattern: { Regex: regex }, behavior: 'Isolated', invert: false }, byteLevel] }
      : byteLevel,
    post_processor: null,
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: { type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: null, end_of_word_suffix: null, fuse_unk: false, byte_fallback: false, ignore_merges: false, vocab, merges },
  };
  const special = (key: string) => {
    const id = metaNumber(meta, `tokenizer.ggml.${key}_token_id`);
    return id === null ? null : tokens[id] ?? null;
  };
  const config = {
    tokenizer_class: 'PreTrainedTokenizerFast',
    bos_token: special('bos'),
    eos_token: special('eos'),
    pad_token: special('padding'),
    unk_token: special('unknown'),
    chat_template: metaString(meta, 'tokenizer.chat_template'),
    clean_up_tokenization_spaces: false,
  };
  return new PreTrainedTokenizer(json, config);
}

/** Whether llama.cpp adds BOS when it tokenizes raw text (templates write it themselves). */
export function addsBos(meta: GgufMetadata): boolean {
  return meta.get('tokenizer.ggml.add_bos_token') === true;
}
