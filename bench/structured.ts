/**
 * Grammar figures for `npm run bench`: the mid-sized JSON schema lowered to our EBNF, then,
 * for the tiny model's vocabulary and byte-level BPE vocabularies of 32k and 151,936 tokens
 * (Qwen2.5's size): xgrammar's tokenizer tables, cold and warm compile, and the time of each
 * token's mask while a valid instance is accepted byte by byte.
 */
import type { TokenVocabulary } from '../src/core/engine.js';
import { lowerSchema } from '../src/core/grammar/constraint.js';
import { benchGrammar, type GrammarBench } from '../src/core/grammar/matcher.js';
import { xgrammar } from '../src/core/grammar/xgrammar.js';
import { BENCH_MID_INSTANCE } from './measure.js';

export interface CompileBench {
  initMs: number;
  lowerMs: number;
  ebnfBytes: number;
  vocabs: Array<{ name: string; size: number } & Omit<GrammarBench, 'maskUs'> & { maskP50Us: number; maskP99Us: number; steps: number }>;
}

export async function compileBench(schema: unknown): Promise<CompileBench> {
  let t = performance.now();
  await xgrammar();
  const initMs = performance.now() - t;
  t = performance.now();
  const ebnf = await lowerSchema(schema);
  const lowerMs = performance.now() - t;
  const grammar = { type: 'grammar' as const, grammar: ebnf };
  const vocabs = [];
  for (const [name, vocab] of [
    ['tiny-chat (byte-level BPE)', await tinyVocab()],
    ['synthetic byte-level BPE', syntheticVocab(32_000)],
    ['synthetic byte-level BPE', syntheticVocab(151_936)],
  ] as const) {
    const { maskUs, ...rest } = await benchGrammar(vocab, grammar, byteIds(vocab, BENCH_MID_INSTANCE));
    const sorted = [...maskUs].sort((a, b) => a - b);
    vocabs.push({ name, size: vocab.vocabSize, ...rest, maskP50Us: sorted[sorted.length >> 1]!, maskP99Us: sorted[Math.floor(sorted.length * 0.99)]!, steps: sorted.length });
  }
  return { initMs, lowerMs, ebnfBytes: ebnf.length, vocabs };
}

/** GPT-2's byte-level alphabet: printable bytes stand for themselves, the rest are shifted past U+0100. */
function byteLevelChar(b: number): string {
  const printable = (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
  if (printable) return String.fromCharCode(b);
  let n = 0;
  for (let x = 0; x < b; x++) if (!((x >= 0x21 && x <= 0x7e) || (x >= 0xa1 && x <= 0xac) || (x >= 0xae && x <= 0xff))) n++;
  return String.fromCodePoint(0x100 + n);
}

/** The text as single-byte tokens of `vocab` (every byte-level vocabulary has them). */
export function byteIds(vocab: TokenVocabulary, text: string): number[] {
  const ids = new Map(vocab.tokens.map((t, i) => [t, i]));
  return [...new TextEncoder().encode(text)].map((b) => {
    const id = ids.get(byteLevelChar(b));
    if (id === undefined) throw new Error(`no token for byte ${b}`);
    return id;
  });
}

async function tinyVocab(): Promise<TokenVocabulary> {
  const json = await (await fetch('/models/tiny-chat/tokenizer.json')).json();
  const tokens: string[] = [];
  for (const [token, id] of Object.entries(json.model.vocab as Record<string, number>)) tokens[id] = token;
  for (const added of json.added_tokens as Array<{ id: number; content: string; special: boolean }>) tokens[added.id] = added.special ? '' : added.content;
  return { tokens, vocabType: 'byte_level', prependSpace: false, vocabSize: tokens.length, stopTokenIds: [2] };
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
