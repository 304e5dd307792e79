/**
 * Grammar figures for `npm run bench`: the mid-sized JSON schema lowered to our EBNF, then,
 * for the tiny model's vocabulary, byte-level BPE vocabularies of 32k and 151,936 tokens
 * (synthetic; Qwen2.5's size) and, where linked in, bench-0.5b's BPE tokenizer (151,643 tokens),
 * for each grammar engine (the lazy engine, the default, and xgrammar): the per-vocabulary
 * tables, cold and warm compile, and each token's mask while a valid instance is accepted
 * as the vocabulary's greedy longest-match tokens, in a first and a second generation.
 */
import type { TokenVocabulary } from '../src/core/engine.js';
import { lowerSchema } from '../src/core/grammar/constraint.js';
import { benchGrammar, type GrammarBench, type GrammarEngine } from '../src/core/grammar/matcher.js';
import { xgrammar } from '../src/core/grammar/xgrammar.js';
import { BENCH_MID_INSTANCE } from './measure.js';

type VocabFigures = { name: string; size: number; engine: GrammarEngine; steps: number } & Omit<GrammarBench, 'maskUs' | 'maskAgainUs'> & {
  maskP50Us: number;
  maskP99Us: number;
  maskMaxUs: number;
  againP50Us: number;
  againP99Us: number;
};

export interface CompileBench {
  initMs: number;
  lowerMs: number;
  ebnfBytes: number;
  vocabs: VocabFigures[];
}

/** `engines`: which engines, and the largest vocabulary xgrammar is run on (its compile takes minutes at 152k). */
export async function compileBench(schema: unknown, xgrammarMaxVocab = Infinity): Promise<CompileBench> {
  let t = performance.now();
  await xgrammar();
  const initMs = performance.now() - t;
  t = performance.now();
  const ebnf = await lowerSchema(schema);
  const lowerMs = performance.now() - t;
  const grammar = { type: 'grammar' as const, grammar: ebnf };
  const vocabs: VocabFigures[] = [];
  const list: Array<[string, TokenVocabulary]> = [
    ['tiny-chat (byte-level BPE)', await tokenizerVocab('/models/tiny-chat/tokenizer.json', [2])],
    ['synthetic byte-level BPE', syntheticVocab(32_000)],
    ['synthetic byte-level BPE', syntheticVocab(151_936)],
  ];
  const qwen = await tokenizerVocab('/models/bench-0.5b/tokenizer.json', [151643], 151_936).catch(() => null);
  if (qwen) list.push(['bench-0.5b tokenizer (BPE trained at Qwen2.5 size)', qwen]);
  for (const [name, vocab] of list) {
    const ids = greedyIds(vocab, BENCH_MID_INSTANCE);
    for (const engine of ['lazy', 'xgrammar'] as const) {
      if (engine === 'xgrammar' && vocab.vocabSize > xgrammarMaxVocab) continue;
      const { maskUs, maskAgainUs, ...rest } = await benchGrammar(vocab, grammar, ids, engine);
      const first = [...maskUs].sort((a, b) => a - b);
      const again = [...maskAgainUs].sort((a, b) => a - b);
      vocabs.push({
        name, size: vocab.vocabSize, engine, steps: first.length, ...rest,
        maskP50Us: pct(first, 0.5), maskP99Us: pct(first, 0.99), maskMaxUs: first[first.length - 1]!,
        againP50Us: pct(again, 0.5), againP99Us: pct(again, 0.99),
      });
    }
  }
  return { initMs, lowerMs, ebnfBytes: ebnf.length, vocabs };
}

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;
}

/** GPT-2's byte-level alphabet: printable bytes stand for themselves, the rest are shifted past U+0100. */
function byteLevelChar(b: number): string {
  const printable = (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
  if (printable) return String.fromCharCode(b);
  let n = 0;
  for (let x = 0; x < b; x++) if (!((x >= 0x21 && x <= 0x7e) || (x >= 0xa1 && x <= 0xac) || (x >= 0xae && x <= 0xff))) n++;
  return String.fromCodePoint(0x100 + n);
}

/**
 * The text as tokens of a byte-level `vocab`, longest match first (close to what a model
 * writes: multi-character tokens, some crossing JSON punctuation).
 */
export function greedyIds(vocab: TokenVocabulary, text: string): number[] {
  const ids = new Map<string, number>();
  vocab.tokens.forEach((t, i) => { if (t && !ids.has(t)) ids.set(t, i); });
  const chars = [...new TextEncoder().encode(text)].map(byteLevelChar).join('');
  const out: number[] = [];
  for (let at = 0; at < chars.length;) {
    let len = Math.min(24, chars.length - at);
    while (len > 0 && !ids.has(chars.slice(at, at + len))) len--;
    if (len === 0) throw new Error(`no token for ${JSON.stringify(chars[at])}`);
    out.push(ids.get(chars.slice(at, at + len))!);
    at += len;
  }
  return out;
}

/** A byte-level tokenizer.json's vocabulary (special tokens blanked), the way the transformers engine hands it. */
async function tokenizerVocab(url: string, stopTokenIds: number[], vocabSize?: number): Promise<TokenVocabulary> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: ${response.status}`);
  const json = await response.json();
  const tokens: string[] = [];
  for (const [token, id] of Object.entries(json.model.vocab as Record<string, number>)) tokens[id] = token;
  for (const added of json.added_tokens as Array<{ id: number; content: string; special: boolean }>) tokens[added.id] = added.special ? '' : added.content;
  const size = Math.max(vocabSize ?? 0, tokens.length);
  for (let i = 0; i < size; i++) tokens[i] ??= '';
  return { tokens, vocabType: 'byte_level', prependSpace: false, vocabSize: size, stopTokenIds };
}

/** The 256 byte symbols plus pseudo-words (some with the Ġ space marker), like a real BPE vocab. */
export function syntheticVocab(size: number): TokenVocabulary {
  const tokens: string[] = [];
  const seen = new Set<string>();
  for (let b = 0; b < 256; b++) {
    const ch = byteLevelChar(b);
    tokens.push(ch);
    seen.add(ch);
  }
  const syllables = ['a', 'e', 'i', 'o', 'u', 'th', 'er', 'in', 'an', 're', 'on', 'at', 'en', 'nd', 'st', 'es', 'ing', 'ion', 'ed', 'al', 'ou', 'or', 'is', 'it', 'ar', '{"', '":', '},', '0', '12', '.', ',', '(', ')'];
  let seed = 7;
  const rand = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 0x100000000);
  while (tokens.length < size) {
    let word = rand() < 0.5 ? '\u0120' : '';
    const n = 1 + Math.floor(rand() * 5);
    for (let i = 0; i < n; i++) word += syllables[Math.floor(rand() * syllables.length)];
    if (seen.has(word)) continue;
    seen.add(word);
    tokens.push(word);
  }
  return { tokens, vocabType: 'byte_level', prependSpace: false, vocabSize: size, stopTokenIds: [0] };
}
