import { describe, expect, it } from 'vitest';
import { IncrementalDetokenizer } from '../../src/core/detokenizer.js';

/** A byte-level tokenizer: token id = byte value; decode is lossy UTF-8 (U+FFFD for bad bytes). */
const decodeBytes = (ids: number[]) => new TextDecoder().decode(Uint8Array.from(ids));
const bytes = (text: string) => Array.from(new TextEncoder().encode(text));

function stream(ids: number[]): { pieces: string[]; rest: string } {
  const d = new IncrementalDetokenizer(decodeBytes);
  const pieces = ids.map((id) => d.push(id));
  return { pieces, rest: d.flush() };
}

describe('IncrementalDetokenizer', () => {
  it('emits ASCII one token at a time', () => {
    expect(stream(bytes('abc')).pieces).toEqual(['a', 'b', 'c']);
  });

  it('never emits U+FFFD for a multi-byte character split over tokens', () => {
    const text = 'a€b 😀 ü';
    const { pieces, rest } = stream(bytes(text));
    expect(pieces.join('') + rest).toBe(text);
    expect(pieces.join('')).not.toContain('\uFFFD');
    // '€' is three bytes: nothing until the third arrives, then the whole character.
    const euro = stream(bytes('€')).pieces;
    expect(euro).toEqual(['', '', '€']);
  });

  it('reproduces long mixed text exactly', () => {
    const text = 'Grüße, 世界! Emoji: 👩‍💻 and more ascii at the end.';
    const { pieces, rest } = stream(bytes(text));
    expect(pieces.join('') + rest).toBe(text);
  });

  it('flushes an incomplete character at the very end', () => {
    const { pieces, rest } = stream([...bytes('ok'), 0xe2, 0x82]);
    expect(pieces.join('')).toBe('ok');
    expect(rest).toBe('\uFFFD');
  });

  it('emits genuinely invalid bytes once the next token shows they are not incomplete', () => {
    const { pieces, rest } = stream([0xff, 0x61]);
    expect(pieces.join('') + rest).toBe('\uFFFDa');
  });

  it('keeps spaces a word-piece tokenizer only shows in context', () => {
    // A SentencePiece-like vocab: '▁' marks a space, dropped at the start of a decode.
    const vocab = ['▁Hello', '▁world', '!'];
    const decode = (ids: number[]) => ids.map((i) => vocab[i]).join('').replace(/▁/g, ' ').replace(/^ /, '');
    const d = new IncrementalDetokenizer(decode);
    const out = [0, 1, 2].map((id) => d.push(id)).join('') + d.flush();
    expect(out).toBe('Hello world!');
  });

  it('never calls decode with an empty list', () => {
    const d = new IncrementalDetokenizer((ids) => {
      if (ids.length === 0) throw new Error('empty decode');
      return decodeBytes(ids);
    });
    expect(d.push(0x61)).toBe('a');
    expect(d.flush()).toBe('');
  });
});
