import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { BENCH_MID_SCHEMA } from '../../../../bench/measure.js';
import { syntheticVocab } from '../../../../bench/structured.js';
import { useXGrammarInNode } from '../../../../tests/support/xgrammar-node.js';
import type { GrammarConstraint, LoadedModel, TokenMask, TokenVocabulary } from '../../engine.js';
import { lowerSchema } from '../constraint.js';
import { setGrammarEngine, tokenMaskSource } from '../matcher.js';
import { LazyTokenMask } from './engine.js';
import { tokenBytes } from '../utf8.js';

/**
 * The lazy engine against xgrammar: the same constraint, random valid prefixes (each step
 * a random token both allow), and at every step the two allowed sets must be identical,
 * on a byte-level BPE vocabulary (tiny-chat, 316 tokens), a SentencePiece byte-fallback
 * one (tiny-random-mistral) and a 32k byte-level one.
 */
beforeAll(() => useXGrammarInNode());

/** A vocabulary from a tokenizer.json the way the transformers engine builds it. */
export function vocabFromTokenizer(dir: string, vocabType: TokenVocabulary['vocabType'], stop: number): TokenVocabulary {
  const json = JSON.parse(readFileSync(`public/models/${dir}/tokenizer.json`, 'utf8'));
  const tokens: string[] = [];
  for (const [token, id] of Object.entries(json.model.vocab as Record<string, number>)) tokens[id] = token;
  for (const added of json.added_tokens as Array<{ id: number; content: string; special: boolean }>) tokens[added.id] = added.special ? '' : added.content;
  for (let i = 0; i < tokens.length; i++) tokens[i] ??= '';
  return { tokens, vocabType, prependSpace: false, vocabSize: tokens.length, stopTokenIds: [stop] };
}

const owner = (vocab: TokenVocabulary) => ({ tokenVocabulary: () => vocab }) as unknown as LoadedModel;

function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 0x100000000);
}

function wholeUtf8(b: number[]): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(Uint8Array.from(b));
    return true;
  } catch {
    return false;
  }
}

function allowed(mask: Int32Array, size: number): number[] {
  const out: number[] = [];
  for (let id = 0; id < size; id++) if (mask[id >> 5]! & (1 << (id & 31))) out.push(id);
  return out;
}

async function differential(vocab: TokenVocabulary, constraint: GrammarConstraint, seeds: number, steps: number): Promise<number> {
  const lazy = await tokenMaskSource(owner(vocab), constraint);
  setGrammarEngine('xgrammar');
  const reference = await tokenMaskSource(owner(vocab), constraint).finally(() => setGrammarEngine('lazy'));
  let compared = 0;
  const bytes = tokenBytes(vocab) ?? vocab.tokens.map((t) => new TextEncoder().encode(t));
  for (let seed = 1; seed <= seeds; seed++) {
    const a: TokenMask = await lazy.create();
    const b: TokenMask = await reference.create();
    expect(a).toBeInstanceOf(LazyTokenMask);
    const rand = rng(seed * 7919);
    const text: string[] = [];
    const written: number[] = [];
    for (let step = 0; step < steps; step++) {
      const ours = allowed(await a.next(), vocab.vocabSize);
      let theirs = allowed(await b.next(), vocab.vocabSize);
      // xgrammar lets free text end inside a multi-byte character (invalid UTF-8); ours does not.
      if (!wholeUtf8(written)) theirs = theirs.filter((id) => !vocab.stopTokenIds.includes(id));
      if (ours.join() !== theirs.join()) {
        const diff = (x: number[], y: number[]) => x.filter((id) => !y.includes(id)).slice(0, 8).map((id) => JSON.stringify(vocab.tokens[id]));
        throw new Error(`after ${JSON.stringify(text.join(''))}: only lazy allows ${diff(ours, theirs)}, only xgrammar allows ${diff(theirs, ours)}`);
      }
      compared++;
      if (ours.length === 0) break;
      // Stop tokens rarely, so prefixes get long.
      const pool = ours.length > 1 ? ours.filter((id) => !vocab.stopTokenIds.includes(id)) : ours;
      const id = pool[Math.floor(rand() * pool.length)]!;
      text.push(vocab.tokens[id]!);
      written.push(...(bytes[id] ?? []));
      expect(a.accept(id)).toBe(true);
      expect(b.accept(id)).toBe(true);
      if (a.isTerminated() || b.isTerminated()) {
        expect(a.isTerminated()).toBe(b.isTerminated());
        break;
      }
    }
    a.dispose();
    b.dispose();
  }
  return compared;
}

const SMALL_SCHEMA = {
  type: 'object',
  properties: {
    name: { type: 'string', maxLength: 12 },
    kind: { enum: ['a', 'bé', 'ĉ日本'] },
    n: { type: 'integer', minimum: -5, maximum: 300 },
    x: { type: 'number' },
    tags: { type: 'array', items: { type: 'string' }, maxItems: 3 },
    ok: { type: ['boolean', 'null'] },
  },
  required: ['name', 'kind', 'n'],
  additionalProperties: false,
};

const tiny = () => vocabFromTokenizer('tiny-chat', 'byte_level', 2);
// As the transformers engine hands it: SentencePiece's Strip decoder means a prepended space.
const mistral = () => ({ ...vocabFromTokenizer('tiny-random-mistral', 'byte_fallback', 2), prependSpace: true });

describe('lazy engine = xgrammar (allowed sets at every step of random valid prefixes)', () => {
  it('mid-sized schema, tiny-chat (byte-level BPE, 316 tokens)', async () => {
    const grammar = await lowerSchema(BENCH_MID_SCHEMA);
    expect(await differential(tiny(), { type: 'grammar', grammar }, 4, 150)).toBeGreaterThan(100);
  }, 120_000);

  it('small schema with Unicode enums, byte-level and SentencePiece byte-fallback vocabularies', async () => {
    const grammar = await lowerSchema(SMALL_SCHEMA);
    await differential(tiny(), { type: 'grammar', grammar }, 6, 120);
    await differential(mistral(), { type: 'grammar', grammar }, 6, 120);
  }, 120_000);

  it('json_object and regexes (including one that backtracks in naive engines)', async () => {
    await differential(tiny(), { type: 'json_object' }, 6, 100);
    await differential(mistral(), { type: 'json_object' }, 4, 100);
    await differential(tiny(), { type: 'regex', pattern: '[A-Z]{2}-[0-9]{4}' }, 3, 20);
    await differential(tiny(), { type: 'regex', pattern: '(a+)+b' }, 3, 30);
    await differential(tiny(), { type: 'regex', pattern: '(é|日本)+[^a-z]{1,3}' }, 4, 30);
  }, 120_000);

  it('a user EBNF grammar as written (comments, bounded and unbounded repeats, classes, Unicode)', async () => {
    const grammar = [
      '# greetings, then items',
      'root ::= greeting ( "," ws item )* "!"   # a trailing comment',
      'greeting ::= "hi" | "h\u00e9llo" | [A-Z]{2,3} | "#"',
      'item ::= [a-z]+ | "[" [^\\]"\\n]{1,4} "]" | "\u65e5\u672c"{1,2}',
      'ws ::= [ \\t]?',
    ].join('\n');
    await differential(tiny(), { type: 'grammar', grammar }, 6, 40);
    await differential(mistral(), { type: 'grammar', grammar }, 6, 40);
  }, 120_000);

  it('a non-ASCII class range is matched as UTF-8 (where xgrammar 0.1.27 lets raw bytes through on byte-level vocabularies)', async () => {
    const vocab = tiny();
    const source = await tokenMaskSource(owner(vocab), { type: 'grammar', grammar: 'root ::= [\\u00e0-\\u00ff]' });
    const mask = await source.create();
    const byteChar = (b: number) => vocab.tokens.find((t) => t.length === 1 && new TextEncoder().encode(t).length > 0 && t === String.fromCharCode(b))!;
    // à..ÿ is C3 A0..C3 BF: only the byte C3 ('Ã' in GPT-2's alphabet) may come first, then A0..BF.
    expect(allowed(await mask.next(), vocab.vocabSize).map((id) => vocab.tokens[id])).toEqual([byteChar(0xc3)]);
    expect(mask.accept(vocab.tokens.indexOf(byteChar(0xc3)))).toBe(true);
    const second = allowed(await mask.next(), vocab.vocabSize).map((id) => vocab.tokens[id]!);
    expect(second.length).toBe(32);
  });

  it('structural tags with free text: a thinking block up to its stop string, tool calls after a trigger', async () => {
    const inner = { type: 'grammar', grammar: await lowerSchema({ type: 'object', properties: { a: { type: 'integer' } }, required: ['a'] }) };
    const thinking = { type: 'sequence', elements: [{ type: 'tag', begin: '<think>', content: { type: 'any_text' }, end: '</think>' }, inner] };
    const triggered = { type: 'triggered_tags', triggers: ['<tool_call>'], tags: [{ type: 'tag', begin: '<tool_call>', content: inner, end: '</tool_call>' }] };
    for (const format of [thinking, triggered]) {
      const constraint = { type: 'structural_tag' as const, structuralTag: { type: 'structural_tag', format } };
      await differential(tiny(), constraint, 8, 60);
      await differential(mistral(), constraint, 4, 60);
    }
  }, 120_000);

  it('small schema on a 32k byte-level BPE vocabulary', async () => {
    const grammar = await lowerSchema(SMALL_SCHEMA);
    await differential(syntheticVocab(32_000), { type: 'grammar', grammar }, 3, 60);
  }, 180_000);
});
