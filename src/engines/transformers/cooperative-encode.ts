import { PreTrainedTokenizer } from '@huggingface/transformers';
import { nextTask } from '../../core/tasks.js';

/**
 * `tokenizer.encode(text, { add_special_tokens: false })` that gives the event loop a turn
 * every `sliceMs`: a prompt of megabytes takes seconds to tokenize (≈1 s per MB for a
 * byte-level BPE on this VM), and the engine host would stall every other stream meanwhile.
 *
 * Exact by construction, not by a proof about where text may be cut: it runs the very
 * steps of @huggingface/tokenizers' `Tokenizer.encode_text` (added-token split, normalizer,
 * pre-tokenizer, model) with the tokenizer's own objects, and cuts only the model's list of
 * pre-tokenized words, which BPE/WordPiece/Unigram encode one word at a time. A model that
 * fuses unknown tokens across words (`fuse_unk`) gets its words whole. Not cut: one
 * pre-tokenizer pass over a section (regex, fast) and one word (a tokenizer without a
 * pre-tokenizer, SentencePiece-style, sees a whole section as one word: its cost is
 * bounded by the context bound in core/model-bounds.ts instead).
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
      // which encodes each word on its own.
      if (inner.model.fuse_unk) { pushAll(tokens, inner.model(preTokenize(inner.pre_tokenizer, sub, sectionIndex))); await breathe(); continue; }
      let batch: string[] = [];
      for (const word of lazyWords(inner.pre_tokenizer, sub, sectionIndex)) {
        batch.push(word);
        if (batch.length < WORDS_PER_BATCH) continue;
        pushAll(tokens, inner.model(batch));
        batch = [];
        await breathe();
      }
      if (batch.length > 0) pushAll(tokens, inner.model(batch));
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
  model: ((words: string[]) => string[]) & { fuse_unk?: boolean; tokens_to_ids: Map<string, number>; unk_token_id?: number };
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
      !(inner.added_tokens_map instanceof Map) || typeof inner.model !== 'function') return null;
  // A subclass with its own encode (none today) is not mirrored.
  if (tokenizer.encode !== PreTrainedTokenizer.prototype.encode) return null;
  return inner as InnerTokenizer;
}
