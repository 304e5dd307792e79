import { describe, expect, it } from 'vitest';
import type { LoadedModel } from '../../src/core/engine.js';
import { prepareStructured } from '../../src/core/structured.js';
import { useXGrammarInNode } from '../support/xgrammar-node.js';

useXGrammarInNode();

/**
 * A grammar whose parses double with every byte (`s ::= "a" s "b" | "a" s "bb" | ""`) is
 * only found too ambiguous while decoding. Each step must stay cheap until the lazy engine
 * refuses it, and the refusal is the 400 naming response_format, not an engine error (it
 * once took 1.8 s, then 7.7 s, ... per token, freezing the host).
 */
const model = {
  id: 'm',
  chatTemplate: null,
  prepareChat: async () => ({ tokenIds: [1], text: 'x' }),
  tokenVocabulary: () => ({ tokens: ['a', 'b', 'bb', ''], vocabType: 'raw', prependSpace: false, vocabSize: 4, stopTokenIds: [3] }),
} as unknown as LoadedModel;

describe('an ambiguous grammar while decoding', () => {
  it('is refused as grammar_too_complex naming response_format, with every step bounded', async () => {
    const params = { model: 'm', messages: [{ role: 'user' as const, content: 'x' }], response_format: { type: 'grammar', grammar: 'root ::= s\ns ::= "a" s "b" | "a" s "bb" | ""' } };
    const prepared = await prepareStructured(params as never, model, { messages: params.messages });
    const mask = await prepared.tokenMask!.create();
    let refusal: unknown = null;
    let slowest = 0;
    for (let i = 0; i < 40 && !refusal; i++) {
      const started = performance.now();
      try {
        await mask.next();
        mask.accept(0);
      } catch (err) {
        refusal = err;
      }
      slowest = Math.max(slowest, performance.now() - started);
    }
    expect(refusal).toMatchObject({ status: 400, param: 'response_format', code: 'grammar_too_complex' });
    expect(slowest).toBeLessThan(1000);
  });
});
