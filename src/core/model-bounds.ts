import type { ChatMessage } from '../protocol/chat.js';
import { BadRequestError } from '../protocol/errors.js';
import type { LoadedModel } from './engine.js';

/**
 * Refusals that need the loaded model but not the prompt's tokens: they run before the
 * request takes its turn in the queue, so a far-too-long prompt costs milliseconds, not
 * seconds of tokenizing while every other request waits.
 */

/**
 * No token is longer than this floor allows for: special tokens are blank in the
 * vocabulary but can still match their text (`<|reserved_special_token_250|>`).
 */
const MIN_TOKEN_BYTES = 64;

const tokenBytesCache = new WeakMap<LoadedModel, number | null>();
const encoder = new TextEncoder();

/** The most bytes one token of this model can stand for; null when the engine does not say. */
export async function maxTokenBytes(model: LoadedModel): Promise<number | null> {
  if (tokenBytesCache.has(model)) return tokenBytesCache.get(model)!;
  let most: number | null = null;
  if (model.tokenVocabulary) {
    const vocab = await model.tokenVocabulary();
    most = MIN_TOKEN_BYTES;
    // Byte-level strings are one char per byte; otherwise UTF-8 bytes (SentencePiece's
    // `▁` counts 3 for its one space: an over-estimate, which keeps the bound safe).
    for (const token of vocab.tokens) {
      const bytes = vocab.vocabType === 'byte_level' ? token.length : utf8Length(token);
      if (bytes > most) most = bytes;
    }
  }
  tokenBytesCache.set(model, most);
  return most;
}

/**
 * Text that every chat template writes into the prompt as it is (trimmed at most): what
 * users, system/developer prompts and tool results say. Assistant turns are left out
 * (templates may drop their reasoning).
 */
export function verbatimTexts(messages: readonly ChatMessage[]): string[] {
  return messages.map((m) => {
    if (m.role === 'assistant') return '';
    const content = m.content as unknown;
    if (typeof content === 'string') return content.trim();
    if (!Array.isArray(content)) return '';
    return content.map((p: { type?: string; text?: unknown }) => (p.type === 'text' && typeof p.text === 'string' ? p.text : '')).join('').trim();
  });
}

/**
 * Refuses (400 context_length_exceeded) texts that cannot fit the model's context
 * whatever the tokenizer does: at least ceil(bytes / maxTokenBytes) tokens. `params` names
 * each text (`messages[3]`); a single text over the limit is named, else `whole`.
 */
export async function refuseOverContext(model: LoadedModel, texts: readonly string[], params: readonly string[], whole: string): Promise<void> {
  const limit = model.contextLength;
  if (limit === null) return;
  // Cheap first: under `limit` UTF-16 units is under 3 * limit bytes, too few for `limit`
  // tokens of at least MIN_TOKEN_BYTES each.
  const chars = texts.reduce((n, t) => n + t.length, 0);
  if (chars < limit) return;
  const perToken = await maxTokenBytes(model);
  if (perToken === null) return;
  const bytes = texts.map(utf8Length);
  const total = bytes.reduce((a, b) => a + b, 0);
  const atLeast = Math.ceil(total / perToken);
  if (atLeast < limit) return;
  const largest = bytes.indexOf(Math.max(...bytes));
  const alone = Math.ceil(bytes[largest]! / perToken) >= limit;
  throw new BadRequestError(
    `This model's maximum context length is ${limit} tokens. However, your ${whole} come to at least ${atLeast} tokens ` +
      `(${total} bytes of text, and no token of this model is longer than ${perToken} bytes). Please reduce the length of the ${whole}.`,
    { param: alone ? params[largest]! : whole, code: 'context_length_exceeded' },
  );
}

/** logit_bias keys must be token ids of this model's vocabulary. */
export async function checkLogitBias(model: LoadedModel, bias: Record<string, number> | null | undefined): Promise<void> {
  if (!bias || !model.tokenVocabulary) return;
  const keys = Object.keys(bias);
  if (keys.length === 0) return;
  const { vocabSize } = await model.tokenVocabulary();
  const outside = keys.find((k) => Number(k) >= vocabSize);
  if (outside !== undefined) {
    throw new BadRequestError(
      `Invalid key in 'logit_bias': ${outside} is not a token id of model '${model.id}' (its vocabulary has ids 0 to ${vocabSize - 1}).`,
      { param: `logit_bias.${outside}`, code: 'invalid_value' },
    );
  }
}

function utf8Length(text: string): number {
  // Exact without allocating for ASCII; TextEncoder for the rest.
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0x7f) return encoder.encode(text).length;
  return text.length;
}
