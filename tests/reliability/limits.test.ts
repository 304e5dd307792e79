import { describe, expect, it } from 'vitest';
import { checkRequestShape, jsonTooDeepAt } from '../../src/protocol/limits.js';
import { BadRequestError } from '../../src/protocol/errors.js';
import { refuseOverContext, checkLogitBias } from '../../src/core/model-bounds.js';
import type { LoadedModel } from '../../src/core/engine.js';
import { nested } from './malformed.js';

const refusal = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    return e as BadRequestError;
  }
  throw new Error('not refused');
};

describe('request shape limits', () => {
  it('the text scan names the path where nesting passes 64 levels, strings and escapes skipped', () => {
    expect(jsonTooDeepAt(`{"a":${nested(63)}}`, 64)).toBeNull();
    expect(jsonTooDeepAt(`{"a":${nested(64)}}`, 64)).toEqual(['a', ...Array(63).fill(0)]);
    expect(jsonTooDeepAt(`{"x":"[[[[\\"[[[","list":[1,{"k":${nested(70)}}]}`, 64)).toEqual(['list', 1, 'k', ...Array(61).fill(0)]);
  });

  it('parsed values: depth, array length and key count, each a 400 naming the path', () => {
    const deep: unknown[] = [];
    let at = deep;
    for (let i = 0; i < 3000; i++) { const next: unknown[] = []; at.push(next); at = next; }
    expect(refusal(() => checkRequestShape({ model: 'm', prediction: deep }))).toMatchObject({ status: 400, code: 'json_too_deep', param: expect.stringMatching(/^prediction\[0\]/) });
    expect(refusal(() => checkRequestShape({ messages: new Array(100_001).fill(1) }))).toMatchObject({ code: 'array_above_max_length', param: 'messages' });
    const keys = Object.fromEntries(Array.from({ length: 10_001 }, (_, i) => [`k${i}`, 1]));
    expect(refusal(() => checkRequestShape({ logit_bias: keys }))).toMatchObject({ code: 'object_above_max_keys', param: 'logit_bias' });
    expect(() => checkRequestShape({ model: 'm', messages: [{ role: 'user', content: [{ type: 'text', text: 'x' }] }] })).not.toThrow();
  });
});

describe('model bounds', () => {
  const model = (contextLength: number, vocabSize: number, longest = 8): LoadedModel => ({
    id: 'm', contextLength, tokenVocabulary: () => ({ tokens: ['a'.repeat(longest), 'b'], vocabType: 'byte_level', prependSpace: false, vocabSize, stopTokenIds: [] }),
  }) as unknown as LoadedModel;

  it('a prompt refused from its size names the message that alone is too long, else messages', async () => {
    const m = model(100, 10);
    // 64 bytes a token at most (the floor): 6,336 bytes may be 99 tokens; 6,400 are at least 100, the whole context.
    await expect(refuseOverContext(m, ['x'.repeat(6336)], ['messages[0]'], 'messages')).resolves.toBeUndefined();
    await expect(refuseOverContext(m, ['hi', 'x'.repeat(6400)], ['messages[0]', 'messages[1]'], 'messages')).rejects.toMatchObject({ code: 'context_length_exceeded', param: 'messages[1]' });
    await expect(refuseOverContext(m, ['x'.repeat(3200), 'x'.repeat(3200)], ['messages[0]', 'messages[1]'], 'messages')).rejects.toMatchObject({ param: 'messages' });
    // A vocabulary with longer tokens makes the bound looser.
    await expect(refuseOverContext(model(100, 10, 200), ['x'.repeat(6400)], ['messages[0]'], 'messages')).resolves.toBeUndefined();
  });

  it('logit_bias keys past the vocabulary are a 400 naming the key', async () => {
    await expect(checkLogitBias(model(100, 10), { 9: 1 })).resolves.toBeUndefined();
    await expect(checkLogitBias(model(100, 10), { 10: 1 })).rejects.toMatchObject({ status: 400, param: 'logit_bias.10' });
  });
});
