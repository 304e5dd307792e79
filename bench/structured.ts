/**
 * Grammar compile time for `npm run bench`: a mid-sized JSON schema lowered to our EBNF,
 * then compiled by xgrammar against a vocabulary, cold (no cache).
 */
import type { TokenVocabulary } from '../src/core/engine.js';
import { lowerSchema } from '../src/core/grammar/constraint.js';
import { compileUncached } from '../src/core/grammar/matcher.js';
import { xgrammar } from '../src/core/grammar/xgrammar.js';

export interface CompileBench {
  initMs: number;
  lowerMs: number;
  ebnfBytes: number;
  vocabs: Array<{ name: string; size: number; compileMs: number }>;
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
    // Compile time grows with vocabulary size x grammar positions (a maxLength of n is n
    // positions); real 150k-token vocabularies cost ~5x the 32k figure.
    ['synthetic byte-level BPE', syntheticVocab(32_000)],
  ] as const) {
    vocabs.push({ name, size: vocab.vocabSize, compileMs: await compileUncached(vocab, grammar) });
  }
  return { initMs, lowerMs, ebnfBytes: ebnf.length, vocabs };
}

async function tinyVocab(): Promise<TokenVocabulary> {
  const json = await (await fetch('/models/tiny-chat/tokenizer.json')).json();
  const tokens: string[] = [];
  for (const [token, id] of Object.entries(json.model.vocab as Record<string, number>)) tokens[id] = token;
  for (const added of json.added_tokens as Array<{ id: number; content: string; special: boolean }>) tokens[added.id] = added.special ? '' : added.content;
  return { tokens, vocabType: 'byte_level', prependSpace: false, vocabSize: tokens.length, stopTokenIds: [2] };
}

/** 256 byte symbols plus pseudo-words (some with the Ġ space marker), like a real BPE vocab. */
function syntheticVocab(size: number): TokenVocabulary {
  const tokens: string[] = [];
  const seen = new Set<string>();
  for (let b = 0; b < 256; b++) {
    const ch = b >= 0x21 && b <= 0x7e ? String.fromCharCode(b) : String.fromCodePoint(0x100 + b);
    tokens.push(ch);
    seen.add(ch);
  }
  const syllables = ['a', 'e', 'i', 'o', 'u', 'th', 'er', 'in', 'an', 're', 'on', 'at', 'en', 'nd', 'st', 'es', 'ing', 'ion', 'ed', 'al', 'ou', 'or', 'is', 'it', 'ar', '{"', '":', '},', '0', '12', '.', ',', '(', ')'];
  let seed = 7;
  const rand = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 0x100000000);
  while (tokens.length < size) {
    let word = rand() < 0.5 ? '\u0120' : '';
    const n = 1 + Math.floor(rand() * 4);
    for (let i = 0; i < n; i++) word += syllables[Math.floor(rand() * syllables.length)];
    if (seen.has(word)) continue;
    seen.add(word);
    tokens.push(word);
  }
  return { tokens, vocabType: 'byte_level', prependSpace: false, vocabSize: size, stopTokenIds: [0] };
}
