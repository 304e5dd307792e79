import { PreTrainedTokenizer } from '@huggingface/transformers';
import { nextTask } from '../../core/tasks.js';

/**
 * `tokenizer.encode(text, { add_special_tokens: false })` that gives the event loop a turn
 * every `sliceMs`: a prompt of megabytes takes seconds to tokenize (≈2 s per MB for a
 * byte-level BPE on this VM), and the engine host would stall every other stream meanwhile.
 *
 * Exact by construction, not by a guess about where text may be cut: it runs the very
 * steps of @huggingface/tokenizers' `Tokenizer.encode_text` (added-token split, normalizer,
 * pre-tokenizer, model) with the tokenizer's own objects, and cuts only (1) the
 * pre-tokenizer's regex walk, which is lazy anyway, and (2) the model's list of words,
 * which BPE/WordPiece/Unigram encode one word at a time; plus (3) a long SentencePiece
 * word only where no merge can cross (safeCuts). Not cut: the added-token split and the
 * normalizer (one fast pass each), and a word of a non-BPE model with no pre-tokenizer.
 * tests/reliability/cooperative-encode.test.ts checks equal ids over every fixture.
 */
export async function encodeCooperatively(tokenizer: PreTrainedTokenizer, text: string, sliceMs = 10): Promise<number[]> {
  const inner = innerOf(tokenizer);
  if (!inner) return tokenizer.encode(text, { add_special_tokens: false });
  let sliceStart = performance.now();
  const breathe = async () => {
    if (performance.now() - sliceStart < sliceMs) return;
    await nextTask();
    sliceStart = performance.now();
  };
  const tokens: string[] = [];
  const sections = stripAround(inner, inner.splitter_unnormalized.split(text));
  for (const [sectionIndex, section] of sections.entries()) {
    if (section.length === 0) continue;
    if (inner.added_tokens_map.has(section)) { tokens.push(section); continue; }
    let processed = section;
    if (inner.remove_space === true) processed = processed.trim().split(/\s+/).join(' ');
    if (inner.do_lowercase_and_remove_accent) return tokenizer.encode(text, { add_special_tokens: false });
    if (inner.normalizer !== null) processed = inner.normalizer(processed);
    if (processed.length === 0) continue;
    for (const sub of stripAround(inner, inner.splitter_normalized.split(processed))) {
      if (sub.length === 0) continue;
      if (inner.added_tokens_map.has(sub)) { tokens.push(sub); continue; }
      // Words from the pre-tokenizer one by one; a batch of them at a time to the model,
      // which encodes each word on its own (`model.encode`), then fuses unknowns over the
      // whole list when it does (`model(words)` is fuse_unk(encode(words))).
      const model = inner.model;
      const cuts = safeCuts(model);
      const out: string[] = [];
      let batch: string[] = [];
      for (const word of lazyWords(inner.pre_tokenizer, sub, sectionIndex)) {
        if (cuts && word.length > LONG_WORD) pushAll(batch, cutWord(word, cuts));
        else batch.push(word);
        if (batch.length < WORDS_PER_BATCH) continue;
        pushAll(out, model.encode(batch));
        batch = [];
        await breathe();
      }
      if (batch.length > 0) pushAll(out, model.encode(batch));
      pushAll(tokens, model.fuse_unk ? fuseUnknown(out, model.tokens_to_ids, model.unk_token_id) : out);
      await breathe();
    }
  }
  const processed = inner.post_processor ? inner.post_processor(tokens, null, false).tokens : tokens;
  const ids: number[] = [];
  for (const t of processed) {
    ids.push(inner.added_tokens_map.get(t)?.id ?? inner.model.tokens_to_ids.get(t) ?? inner.model.unk_token_id!);
    if (ids.length % 4096 === 0) await breathe();
  }
  return ids;
}

const WORDS_PER_BATCH = 256;

/**
 * The pre-tokenizer's words, lazily where its own steps are lazy: a Split (regex_split walks
 * `text.matchAll(pattern)`: the same matches, found one at a time) and a Sequence whose
 * later steps apply word by word (`pre_tokenize(words)` maps and flattens). The regex
 * pass is the larger half of the cost for a byte-level BPE (~1.2 s of ~1.6 s per 0.5 MB).
 * Any other pre-tokenizer runs whole.
 */
function* lazyWords(pre: PreTokenizer | null, text: string, sectionIndex: number): Generator<string> {
  if (pre === null) { yield text; return; }
  const steps = Array.isArray(pre.tokenizers) ? pre.tokenizers : [pre];
  const [first, ...rest] = steps;
  const split = first && (lazySplit(first, text) ?? lazyByteLevel(first, text));
  if (!split) { yield* preTokenize(pre, text, sectionIndex); return; }
  for (const word of split) {
    let words = [word];
    for (const step of rest) if (step) words = step.pre_tokenize(words, { section_index: sectionIndex });
    yield* words;
  }
}

/** ByteLevel's own regex (`use_regex`), one match at a time, each mapped to its byte characters as ByteLevel does. */
function lazyByteLevel(pre: PreTokenizer, text: string): Generator<string> | null {
  const config = pre.config;
  if (config?.type !== 'ByteLevel' || !pre.use_regex || !(pre.pattern instanceof RegExp) || !pre.text_encoder || !pre.byte_encoder) return null;
  const { pattern, text_encoder: bytes, byte_encoder: chars } = pre as Required<PreTokenizer> & { pattern: RegExp };
  const prefixed = pre.add_prefix_space && !text.startsWith(' ') ? ` ${text}` : text;
  return (function* () {
    for (const match of prefixed.matchAll(pattern)) yield Array.from(bytes.encode(match[0]), (b) => chars[b]!).join('');
  })();
}

const LONG_WORD = 256;
const MARK = '\u2581'; // SentencePiece's space

/**
 * A tokenizer without a pre-tokenizer (SentencePiece-style BPE: phi3, mistral, gemma)
 * hands the model a whole message as one word (≈0.9 s per 100 KB). BPE merges a pair only
 * if it is in `merges`, so no symbol can ever span a point between `x` and `▁` when no
 * merge joins a left part ending in `x` to a right part starting with `▁`: the word
 * encodes as its parts cut there, each on its own (merge order within a part is by rank,
 * then position, either way). The set of such `x` that do have a merge, from the merges;
 * null for models where a cut changes more than merges (BPE suffixes, ignore_merges) or
 * that are not BPE.
 */
function safeCuts(model: object): Set<string> | null {
  if (cutsCache.has(model)) return cutsCache.get(model)!;
  let joined: Set<string> | null = null;
  const m = model as unknown as { merges?: unknown; bpe_ranks?: unknown; end_of_word_suffix?: string; continuing_subword_suffix?: string | null; ignore_merges?: boolean };
  if (Array.isArray(m.merges) && m.bpe_ranks instanceof Map && !m.end_of_word_suffix && !m.continuing_subword_suffix && !m.ignore_merges) {
    joined = new Set();
    for (const [left, right] of m.merges as Array<[string, string]>) {
      if (right.startsWith(MARK)) joined.add(String.fromCodePoint(left.codePointAt(left.length - 1 - (isLowSurrogate(left, left.length - 1) ? 1 : 0))!));
    }
  }
  cutsCache.set(model, joined);
  return joined;
}
const cutsCache = new WeakMap<object, Set<string> | null>();

/** The word cut before each `▁` that no merge can join to the character before it. */
function cutWord(word: string, joined: Set<string>): string[] {
  const parts: string[] = [];
  let start = 0;
  let prev = '';
  let i = 0;
  for (const ch of word) {
    if (ch === MARK && i > start && !joined.has(prev)) {
      parts.push(word.slice(start, i));
      start = i;
    }
    prev = ch;
    i += ch.length;
  }
  parts.push(word.slice(start));
  return parts;
}

function isLowSurrogate(text: string, i: number): boolean {
  const c = text.charCodeAt(i);
  return i > 0 && c >= 0xdc00 && c <= 0xdfff;
}

function preTokenize(pre: PreTokenizer | null, text: string, sectionIndex: number): string[] {
  return pre === null ? [text] : pre(text, { section_index: sectionIndex });
}

/** regex_split of @huggingface/tokenizers (Split, `Isolated`), one word at a time; null for other pre-tokenizers. */
function lazySplit(pre: PreTokenizer, text: string): Generator<string> | null {
  const config = pre.config;
  if (config?.type !== 'Split' || config.invert || config.behavior?.toLowerCase() === 'removed' || !(pre.pattern instanceof RegExp)) return null;
  const pattern = pre.pattern;
  return (function* () {
    let prev = 0;
    for (const match of text.matchAll(pattern)) {
      if (prev < match.index) yield text.slice(prev, match.index);
      if (match[0].length > 0) yield match[0];
      prev = match.index + match[0].length;
    }
    if (prev < text.length) yield text.slice(prev);
  })();
}

/** The added tokens' lstrip/rstrip, as encode_text applies them to a split. */
function stripAround(inner: InnerTokenizer, parts: string[]): string[] {
  parts.forEach((part, i) => {
    const added = inner.added_tokens_map.get(part);
    if (!added) return;
    if (added.lstrip && i > 0) parts[i - 1] = parts[i - 1]!.trimEnd();
    if (added.rstrip && i < parts.length - 1) parts[i + 1] = parts[i + 1]!.trimStart();
  });
  return parts;
}

/** @huggingface/tokenizers' fuse_unk, as its Model applies it to a model call's tokens: a run of unknown tokens becomes one. */
function fuseUnknown(tokens: string[], ids: Map<string, number>, unk: number | undefined): string[] {
  const fused: string[] = [];
  let i = 0;
  while (i < tokens.length) {
    fused.push(tokens[i]!);
    if ((ids.get(tokens[i]!) ?? unk) !== unk) { ++i; continue; }
    while (++i < tokens.length && (ids.get(tokens[i]!) ?? unk) === unk) {
      if (ids.get(fused.at(-1)!) !== unk) fused[fused.length - 1] = fused.at(-1)! + tokens[i]!;
    }
  }
  return fused;
}

function pushAll(into: string[], from: string[]): void {
  for (const t of from) into.push(t);
}

/** The parts of @huggingface/tokenizers' Tokenizer that encode_text uses (not exported as types). */
interface InnerTokenizer {
  splitter_unnormalized: { split(text: string): string[] };
  splitter_normalized: { split(text: string): string[] };
  added_tokens_map: Map<string, { id: number; lstrip: boolean; rstrip: boolean }>;
  remove_space?: boolean;
  do_lowercase_and_remove_accent?: boolean;
  normalizer: ((text: string) => string) | null;
  pre_tokenizer: PreTokenizer | null;
  model: { encode(words: string[]): string[]; fuse_unk?: boolean; tokens_to_ids: Map<string, number>; unk_token_id?: number };
  post_processor: ((tokens: string[], pair: null, addSpecial: boolean) => { tokens: string[] }) | null;
  encode_text: unknown;
}

interface PreTokenizer {
  (text: string, options: { section_index: number }): string[];
  pre_tokenize(words: string[], options: { section_index: number }): string[];
  config?: { type?: string; invert?: boolean; behavior?: string };
  pattern?: unknown;
  tokenizers?: Array<PreTokenizer | null>;
  // ByteLevel's
  use_regex?: boolean;
  add_prefix_space?: boolean;
  text_encoder?: TextEncoder;
  byte_encoder?: Record<number, string>;
}

/** The inner tokenizer when it has the encode_text shape this mirrors; else null (plain encode). */
function innerOf(tokenizer: PreTrainedTokenizer): InnerTokenizer | null {
  const inner = (tokenizer as unknown as { _tokenizer?: Partial<InnerTokenizer> })._tokenizer;
  if (!inner || typeof inner.encode_text !== 'function' || !inner.splitter_unnormalized || !inner.splitter_normalized ||
      !(inner.added_tokens_map instanceof Map) || typeof inner.model?.encode !== 'function') return null;
  // A subclass with its own encode (none today) is not mirrored.
  if (tokenizer.encode !== PreTrainedTokenizer.prototype.encode) return null;
  return inner as InnerTokenizer;
}
