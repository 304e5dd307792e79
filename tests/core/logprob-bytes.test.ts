import { describe, expect, it } from 'vitest';
import { runChoice } from '../../src/core/choice.js';
import type { GeneratedToken, GenerateOptions, LoadedModel } from '../../src/core/engine.js';

/**
 * logprobs' `bytes` are each token's own bytes (OpenAI: so that tokens that split a
 * character can be joined): 'é' as two byte-level BPE tokens (Ã, ©: 0xC3, 0xA9) each
 * decodes alone to U+FFFD, but their bytes join to 'é'.
 */
const tokens = ['Ã', '©', 'Ġok', ''];
const model = (withVocab: boolean) => ({
  id: 'm',
  ...(withVocab ? { tokenVocabulary: async () => ({ tokens, vocabType: 'byte_level', prependSpace: false, vocabSize: 4, stopTokenIds: [3] }) } : {}),
  async *generate(): AsyncIterable<GeneratedToken> {
    yield { id: 0, text: '', tokenText: '\uFFFD', isEos: false, logprob: -0.5, top: [{ id: 1, text: '\uFFFD', logprob: -1 }] };
    yield { id: 1, text: 'é', tokenText: '\uFFFD', isEos: false, logprob: -0.25, top: [] };
    yield { id: 2, text: ' ok', tokenText: ' ok', isEos: false, logprob: -0.1, top: [] };
  },
}) as unknown as LoadedModel;

const options = { maxTokens: 3, topLogprobs: 1 } as unknown as GenerateOptions;

async function logprobs(m: LoadedModel) {
  const out = [];
  for await (const e of runChoice(m, { tokenIds: [1], text: '' }, options, [], new AbortController().signal)) {
    if (e.kind === 'text') out.push(...(e.logprobs ?? []));
  }
  return out;
}

describe('logprobs bytes', () => {
  it('are the raw bytes of tokens that split a character, from the vocabulary', async () => {
    const lp = await logprobs(model(true));
    expect(lp.map((l) => l.bytes)).toEqual([[0xc3], [0xa9], [0x20, 0x6f, 0x6b]]);
    expect(lp[0]!.top_logprobs[0]!.bytes).toEqual([0xa9]);
    expect(new TextDecoder().decode(Uint8Array.from(lp.flatMap((l) => l.bytes)))).toBe('é ok');
  });
  it('fall back to the token text\'s UTF-8 where the engine exposes no vocabulary', async () => {
    const lp = await logprobs(model(false));
    expect(lp.map((l) => l.bytes)).toEqual([[0xef, 0xbf, 0xbd], [0xef, 0xbf, 0xbd], [0x20, 0x6f, 0x6b]]);
  });
});
