import type { LoadedModel } from './engine.js';
import { tokenBytes } from './grammar/utf8.js';

/**
 * Each token's own bytes, for logprobs' `bytes`: a token that is part of a UTF-8 character
 * (byte-level BPE, SentencePiece byte fallback) decodes alone to U+FFFD, but OpenAI's
 * `bytes` are the token's raw bytes, so that a client can join them into the character.
 * Built once per model from its vocabulary; null where the engine exposes none (its
 * decoded text is then the best there is).
 */
export type TokenBytesOf = (id: number) => number[] | null;

const built = new WeakMap<LoadedModel, Promise<TokenBytesOf | null>>();

export function tokenBytesOf(model: LoadedModel): Promise<TokenBytesOf | null> {
  let hit = built.get(model);
  if (!hit) {
    hit = (async () => {
      if (!model.tokenVocabulary) return null;
      const table = tokenBytes(await model.tokenVocabulary());
      if (!table) return null;
      return (id: number) => {
        const bytes = table[id];
        return bytes ? Array.from(bytes) : null;
      };
    })().catch(() => null);
    built.set(model, hit);
  }
  return hit;
}
