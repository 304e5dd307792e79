import type { PreTrainedTokenizer } from '@huggingface/transformers';
import type { ModelTokenizer } from '../core/engine.js';

/** A transformers.js tokenizer as core's ModelTokenizer (tokenize, detokenize, counts). */
export function modelTokenizer(tokenizer: PreTrainedTokenizer): ModelTokenizer {
  let byId: string[] | null = null;
  const vocab = () => {
    if (!byId) {
      byId = [];
      for (const [token, id] of tokenizer.get_vocab() as Map<string, number>) byId[id] = token;
    }
    return byId;
  };
  return {
    encode: (text, { addSpecialTokens, pair }) =>
      tokenizer.encode(text, { add_special_tokens: addSpecialTokens, ...(pair !== undefined ? { text_pair: pair } : {}) }),
    decode: (ids, options = {}) => tokenizer.decode(ids, { skip_special_tokens: options.skipSpecialTokens ?? false }),
    tokenStrings: (ids) => ids.map((id) => vocab()[id] ?? ''),
    get vocabSize() {
      return vocab().length;
    },
  };
}
