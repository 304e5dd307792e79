import { PreTrainedTokenizer } from '@huggingface/transformers';
import { BadRequestError } from '../../protocol/errors.js';
import { metaNumber, metaString, type GgufMetadata } from './header.js';

/**
 * A transformers.js tokenizer rebuilt from a GGUF's vocabulary (tokens, merges, token
 * types, special ids, chat template), so that core gets the prompt's token ids and the
 * chat template renders in the engine host exactly as for ONNX models. llama.cpp's
 * byte-level BPE (`tokenizer.ggml.model = gpt2`: Llama 3, Qwen, SmolLM, ...) and
 * SentencePiece (`llama`: Llama 2, Mistral v1, Gemma) vocabularies are built; others are a 400.
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

const NORMAL = 1;
const CONTROL = 3;
const USER_DEFINED = 4;

type TokenizerJson = Record<string, unknown>;

export function tokenizerFromGguf(meta: GgufMetadata, modelId: string): PreTrainedTokenizer {
  const model = metaString(meta, 'tokenizer.ggml.model');
  const pre = metaString(meta, 'tokenizer.ggml.pre') ?? 'default';
  const tokens = meta.get('tokenizer.ggml.tokens') as string[];
  const types = (meta.get('tokenizer.ggml.token_type') as number[] | undefined) ?? [];
  let json: TokenizerJson;
  if (model === 'gpt2' && (pre in PRE_REGEX || GPT2_PRES.has(pre))) {
    json = byteLevelBpe(tokens, (meta.get('tokenizer.ggml.merges') as string[] | undefined) ?? [], PRE_REGEX[pre]);
  } else if (model === 'llama') {
    json = sentencePieceBpe(tokens, types, meta);
  } else if (model === 'bert') {
    json = wordPiece(tokens, types, meta);
  } else {
    throw new BadRequestError(
      `Model '${modelId}': the GGUF engine reads byte-level BPE tokenizers (llama.cpp 'gpt2' with pre-tokenizer ${[...Object.keys(PRE_REGEX), ...GPT2_PRES].join(', ')}) and SentencePiece ones ('llama'); this file has '${model}' / '${pre}'.`,
      { param: 'model', code: 'unsupported_tokenizer' },
    );
  }
  const added: { id: number; content: string; special: boolean; single_word: false; lstrip: false; rstrip: false; normalized: boolean }[] = [];
  tokens.forEach((token, id) => {
    const type = types[id];
    if (type === CONTROL || type === USER_DEFINED) {
      added.push({ id, content: token, special: type === CONTROL, single_word: false, lstrip: false, rstrip: false, normalized: false });
    }
  });
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
  return new PreTrainedTokenizer({ version: '1.0', added_tokens: added, post_processor: postProcessor(meta, tokens), ...json }, config);
}

/**
 * The special tokens llama.cpp adds around a text it tokenizes with `add_special` (BOS and
 * EOS where the GGUF says so; BERT: [CLS] text [SEP]), so that `encode(text, { add_special_tokens: true })`
 * (embeddings, /tokenize) gives llama.cpp's ids. A pair joins with EOS/SEP as HF's templates do.
 */
function postProcessor(meta: GgufMetadata, tokens: string[]): TokenizerJson | null {
  const token = (key: string) => {
    const id = metaNumber(meta, `tokenizer.ggml.${key}_token_id`);
    return id === null ? null : tokens[id] ?? null;
  };
  const bos = meta.get('tokenizer.ggml.add_bos_token') === true ? token('bos') : null;
  const eos = meta.get('tokenizer.ggml.add_eos_token') === true ? token('eos') : null;
  const sep = meta.get('tokenizer.ggml.add_sep_token') === true ? token('seperator') : null; // (sic: the GGUF key's spelling)
  const end = sep ?? eos;
  if (!bos && !end) return null;
  const special = (id: string, type_id: number) => ({ SpecialToken: { id, type_id } });
  const seq = (id: 'A' | 'B', type_id: number) => ({ Sequence: { id, type_id } });
  const single = [...(bos ? [special(bos, 0)] : []), seq('A', 0), ...(end ? [special(end, 0)] : [])];
  const pair = [...single, seq('B', 1), ...(end ? [special(end, 1)] : [])];
  const ids = (t: string) => ({ id: t, ids: [tokens.indexOf(t)], tokens: [t] });
  return { type: 'TemplateProcessing', single, pair, special_tokens: Object.fromEntries([bos, end].filter((t): t is string => !!t).map((t) => [t, ids(t)])) };
}

function vocabOf(tokens: string[]): Record<string, number> {
  const vocab: Record<string, number> = {};
  tokens.forEach((token, id) => { if (!(token in vocab)) vocab[token] = id; });
  return vocab;
}

/** llama.cpp's `gpt2` vocabulary: byte-level BPE with its merges and pre-tokenizer regex. */
function byteLevelBpe(tokens: string[], merges: string[], regex: string | undefined): TokenizerJson {
  const byteLevel = { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: !regex };
  return {
    normalizer: null,
    pre_tokenizer: regex
      ? { type: 'Sequence', pretokenizers: [{ type: 'Split', pattern: { Regex: regex }, behavior: 'Isolated', invert: false }, byteLevel] }
      : byteLevel,
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: { type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: null, end_of_word_suffix: null, fuse_unk: false, byte_fallback: false, ignore_merges: false, vocab: vocabOf(tokens), merges },
  };
}

/**
 * llama.cpp's `llama` vocabulary (SentencePiece: Llama 2, Mistral v1): pieces with scores,
 * `▁` for spaces, `<0xNN>` byte fallback. llama.cpp merges adjacent symbols whose
 * concatenation is a piece, highest score first; that is a BPE whose merges are every
 * split of every piece into two pieces, ranked by the piece's score (as HF's
 * SentencePiece converter builds tokenizer.json). A space is prepended to each text
 * segment (after special tokens too) when the GGUF says `add_space_prefix`, as llama.cpp does.
 */
function sentencePieceBpe(tokens: string[], types: number[], meta: GgufMetadata): TokenizerJson {
  const scores = (meta.get('tokenizer.ggml.scores') as number[] | undefined) ?? [];
  const vocab = vocabOf(tokens);
  const isPiece = (id: number | undefined) => id !== undefined && (types[id] ?? NORMAL) === NORMAL;
  const candidates: Array<{ pair: [string, string]; score: number; left: number; right: number }> = [];
  tokens.forEach((token, id) => {
    if (!isPiece(id)) return;
    const chars = [...token];
    for (let i = 1; i < chars.length; i++) {
      const left = chars.slice(0, i).join('');
      const right = chars.slice(i).join('');
      if (isPiece(vocab[left]) && isPiece(vocab[right])) candidates.push({ pair: [left, right], score: scores[id] ?? 0, left: vocab[left]!, right: vocab[right]! });
    }
  });
  candidates.sort((a, b) => b.score - a.score || a.left - b.left || a.right - b.right);
  const prefix = meta.get('tokenizer.ggml.add_space_prefix') !== false;
  const replace = { type: 'Replace', pattern: { String: ' ' }, content: '▁' };
  return {
    normalizer: prefix ? { type: 'Sequence', normalizers: [{ type: 'Prepend', prepend: '▁' }, replace] } : replace,
    pre_tokenizer: null,
    decoder: {
      type: 'Sequence',
      decoders: [
        { type: 'Replace', pattern: { String: '▁' }, content: ' ' },
        { type: 'ByteFallback' },
        { type: 'Fuse' },
        ...(prefix ? [{ type: 'Strip', content: ' ', start: 1, stop: 0 }] : []),
      ],
    },
    model: {
      type: 'BPE', dropout: null, unk_token: metaNumber(meta, 'tokenizer.ggml.unknown_token_id') === null ? null : tokens[metaNumber(meta, 'tokenizer.ggml.unknown_token_id')!],
      continuing_subword_prefix: null, end_of_word_suffix: null, fuse_unk: true, byte_fallback: true, ignore_merges: false,
      vocab, merges: candidates.map((c) => c.pair),
    },
  };
}

/**
 * llama.cpp's `bert` vocabulary (WordPiece, stored with "phantom spaces": `▁word` starts a
 * word, a bare piece continues one) back as HF's WordPiece (`word`, `##piece`), with BERT's
 * normalizer: llama.cpp lowercases and splits punctuation and CJK characters as BERT does.
 */
function wordPiece(tokens: string[], types: number[], meta: GgufMetadata): TokenizerJson {
  const pieces = tokens.map((t, id) => ((types[id] ?? NORMAL) !== NORMAL ? t : t.startsWith('▁') ? t.slice(1) : `##${t}`));
  const unk = metaNumber(meta, 'tokenizer.ggml.unknown_token_id');
  return {
    normalizer: { type: 'BertNormalizer', clean_text: true, handle_chinese_chars: true, strip_accents: null, lowercase: true },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: { type: 'WordPiece', unk_token: unk === null ? '[UNK]' : tokens[unk], continuing_subword_prefix: '##', max_input_chars_per_word: 100, vocab: vocabOf(pieces) },
  };
}

/** Whether llama.cpp adds BOS when it tokenizes raw text (templates write it themselves). */
export function addsBos(meta: GgufMetadata): boolean {
  return meta.get('tokenizer.ggml.add_bos_token') === true;
}
