// Byte-level "whole word" BPE tokenizer builder (HF tokenizers format, no merges).
//
// The vocab is: special tokens, then the 256 byte-level symbols (so any text encodes),
// then whole words (pre-tokens) of a corpus in byte-level form. With `ignore_merges: true`
// a pre-token that is in the vocab is one token; anything else falls back to bytes.
// The pre-tokenizer, encoder and decoder here mirror @huggingface/tokenizers' ByteLevel +
// BPE exactly for this configuration, so the generator can count bigrams over token ids.

/** GPT-2 byte -> unicode char table (same as tokenizers' BYTES_TO_UNICODE). */
export const BYTE_TO_CHAR = (() => {
  const bs = [];
  for (let b = 33; b <= 126; b++) bs.push(b);
  for (let b = 161; b <= 172; b++) bs.push(b);
  for (let b = 174; b <= 255; b++) bs.push(b);
  const cs = bs.slice();
  let n = 0;
  for (let b = 0; b < 256; b++) {
    if (!bs.includes(b)) { bs.push(b); cs.push(256 + n); n++; }
  }
  const table = new Array(256);
  bs.forEach((b, i) => { table[b] = String.fromCharCode(cs[i]); });
  return table;
})();
const CHAR_TO_BYTE = new Map(BYTE_TO_CHAR.map((c, b) => [c, b]));

/** The GPT-2 pre-tokenizer regex used by ByteLevel (use_regex: true). */
const PRETOKENIZE = /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu;
const utf8 = new TextEncoder();

/** Split plain text (no special tokens) into byte-level pre-tokens, e.g. " am" -> "Ġam". */
export function preTokenize(text) {
  return (text.match(PRETOKENIZE) ?? []).map((t) => Array.from(utf8.encode(t), (b) => BYTE_TO_CHAR[b]).join(''));
}

/** Decode byte-level token strings back to text. */
export function decodeTokens(tokens) {
  const bytes = [];
  for (const t of tokens) for (const ch of t) bytes.push(CHAR_TO_BYTE.get(ch));
  return new TextDecoder().decode(Uint8Array.from(bytes));
}

export class ByteLevelBPE {
  /**
   * @param {string[]} specials  special tokens, ids 0..n-1
   * @param {string[]} words     plain-text pieces whose pre-tokens become whole-word tokens
   */
  constructor(specials, words) {
    this.tokens = [...specials, ...BYTE_TO_CHAR];
    this.specials = specials;
    this.ids = new Map(this.tokens.map((t, i) => [t, i]));
    for (const w of words) {
      for (const p of preTokenize(w)) {
        if (p.length > 1 && !this.ids.has(p)) { this.ids.set(p, this.tokens.length); this.tokens.push(p); }
      }
    }
  }

  get size() { return this.tokens.length; }
  id(token) {
    const i = this.ids.get(token);
    if (i === undefined) throw new Error(`no token ${JSON.stringify(token)}`);
    return i;
  }

  /** Encode text; special tokens are matched literally first (like added_tokens). */
  encode(text) {
    const out = [];
    const alternation = this.specials.map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|');
    const parts = alternation ? text.split(new RegExp(`(${alternation})`)) : [text];
    for (const part of parts) {
      if (!part) continue;
      if (this.specials.includes(part)) { out.push(this.ids.get(part)); continue; }
      for (const p of preTokenize(part)) {
        if (this.ids.has(p)) out.push(this.ids.get(p));
        else for (const ch of p) out.push(this.ids.get(ch));
      }
    }
    return out;
  }

  /** tokenizer.json content (HF tokenizers format). */
  tokenizerJson() {
    const vocab = {};
    this.tokens.forEach((t, i) => { vocab[t] = i; });
    return {
      version: '1.0',
      truncation: null,
      padding: null,
      added_tokens: this.specials.map((content, id) => ({
        id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true,
      })),
      normalizer: null,
      pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
      post_processor: null,
      decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
      model: {
        type: 'BPE',
        dropout: null,
        unk_token: null,
        continuing_subword_prefix: null,
        end_of_word_suffix: null,
        fuse_unk: false,
        byte_fallback: false,
        ignore_merges: true,
        vocab,
        merges: [],
      },
    };
  }
}
