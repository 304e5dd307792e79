import type { TokenLogprob } from '../protocol/chat.js';
import type { GenerateOptions, GeneratedToken, LoadedModel, PreparedPrompt } from './engine.js';
import { StopMatcher } from './stop.js';
import { tokenBytesOf, type TokenBytesOf } from './token-bytes.js';

/**
 * One choice's generation: engine tokens in, OpenAI text pieces out, with stop strings
 * applied and each token's logprob released together with the text it produced.
 */
export type ChoiceEvent =
  /** `tokens`: how many generated tokens this text came out of (since the previous text event). */
  | { kind: 'text'; text: string; logprobs: TokenLogprob[] | null; tokens: number }
  /** `cachedTokens`: prompt tokens served from the engine's prefix cache (absent: the engine has none). */
  | { kind: 'end'; finishReason: 'stop' | 'length'; completionTokens: number; cachedTokens?: number };

const encoder = new TextEncoder();

export async function* runChoice(
  model: LoadedModel,
  prompt: PreparedPrompt,
  options: GenerateOptions,
  stops: readonly string[],
  signal: AbortSignal,
): AsyncGenerator<ChoiceEvent> {
  const matcher = new StopMatcher(stops);
  const wantLogprobs = options.topLogprobs !== null;
  const bytesOf = wantLogprobs ? await tokenBytesOf(model) : null;
  // Logprob entries wait until all of their token's text has been emitted (at a stop:
  // until any of it has, since the rest is cut).
  const pending: Array<{ start: number; end: number; entry: TokenLogprob }> = [];
  let produced = 0;
  let emitted = 0;
  let tokens = 0;
  /** Tokens whose text has not come out in a text event yet. */
  let unreported = 0;
  const counted = () => {
    const n = unreported;
    unreported = 0;
    return n;
  };
  let finishReason: 'stop' | 'length' = 'length';
  let cachedTokens: number | undefined;

  const release = (all: boolean, stopped = false): TokenLogprob[] | null => {
    if (!wantLogprobs) return null;
    let count = 0;
    const out = (p: { start: number; end: number }) => all || p.end <= emitted || (stopped && p.start < emitted);
    while (count < pending.length && out(pending[count]!)) count++;
    return pending.splice(0, count).map((p) => p.entry);
  };

  for await (const token of model.generate(prompt, options, signal)) {
    tokens++;
    unreported++;
    cachedTokens ??= token.cachedTokens;
    if (token.isEos) {
      // The engine may hand over held-back text with the end token (an incomplete character).
      if (token.text) {
        const step = matcher.push(token.text);
        emitted += step.text.length;
        if (step.text) yield { kind: 'text', text: step.text, logprobs: null, tokens: counted() };
      }
      finishReason = 'stop';
      break;
    }
    const start = produced;
    produced += token.text.length;
    if (wantLogprobs) pending.push({ start, end: produced, entry: toLogprob(token, bytesOf) });
    const step = matcher.push(token.text);
    emitted += step.text.length;
    if (step.stopped) {
      const logprobs = release(false, true);
      if (step.text || logprobs?.length) yield { kind: 'text', text: step.text, logprobs, tokens: counted() };
      finishReason = 'stop';
      pending.length = 0;
      break;
    }
    if (step.text) yield { kind: 'text', text: step.text, logprobs: release(false), tokens: counted() };
  }
  signal.throwIfAborted();

  const rest = matcher.flush();
  emitted += rest.length;
  const logprobs = release(true);
  if (rest || logprobs?.length) yield { kind: 'text', text: rest, logprobs, tokens: counted() };
  yield { kind: 'end', finishReason, completionTokens: tokens, ...(cachedTokens === undefined ? {} : { cachedTokens }) };
}

function toLogprob(token: GeneratedToken, bytesOf: TokenBytesOf | null): TokenLogprob {
  const bytes = (id: number, text: string) => bytesOf?.(id) ?? Array.from(encoder.encode(text));
  return {
    token: token.tokenText,
    logprob: token.logprob ?? 0,
    bytes: bytes(token.id, token.tokenText),
    top_logprobs: (token.top ?? []).map((t) => ({
      token: t.text,
      logprob: t.logprob,
      bytes: bytes(t.id, t.text),
    })),
  };
}
