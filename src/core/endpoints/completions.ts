import type { TokenLogprob } from '../../protocol/chat.js';
import type { Usage } from '../../protocol/common.js';
import type { Completion, CompletionChoice, CompletionCreateParams, CompletionLogprobs } from '../../protocol/completions.js';
import { APIError, BadRequestError } from '../../protocol/errors.js';
import { fingerprint, usage } from './chat.js';
import { runChoice } from '../choice.js';
import type { LoadedModel, PreparedPrompt } from '../engine.js';
import { planGeneration, type GenerationPlan } from '../plan.js';
import { foldChunks } from '../fold.js';

/** Legacy text completions (`/v1/completions`) on top of any engine. */

/** OpenAI's default `max_tokens` for the legacy endpoint. */
export const LEGACY_DEFAULT_MAX_TOKENS = 16;

export interface CompletionJob {
  id: string;
  created: number;
  params: CompletionCreateParams;
  model: LoadedModel;
  /** One entry per prompt of the batch, each with its own plan (n choices). */
  prompts: Array<{ prompt: PreparedPrompt; plan: GenerationPlan }>;
}

/** Token-id prompts (OpenAI accepts them) get a clear 400 before schema validation. */
export function checkPromptShape(body: unknown): void {
  const prompt = typeof body === 'object' && body !== null ? (body as { prompt?: unknown }).prompt : undefined;
  if (Array.isArray(prompt) && prompt.length > 0 && (typeof prompt[0] === 'number' || Array.isArray(prompt[0]))) {
    throw new BadRequestError('Token-id prompts are not supported here; send the prompt as text (a string or an array of strings).', {
      param: 'prompt',
      code: 'unsupported_parameter',
    });
  }
}

/** Request checks that need no model. */
export function checkCompletionParams(params: CompletionCreateParams): void {
  if (params.suffix != null && params.suffix !== '') {
    throw new BadRequestError(
      'suffix (fill-in-the-middle) is not supported: no model here has an insertion template. Send the text before the gap as the prompt, without suffix.',
      { param: 'suffix', code: 'unsupported_parameter' },
    );
  }
  const n = params.n ?? 1;
  if (params.best_of != null && params.best_of !== n) {
    throw new BadRequestError(
      `best_of (${params.best_of}) different from n (${n}) is not supported: completions are not ranked server-side. Use n instead.`,
      { param: 'best_of', code: 'unsupported_parameter' },
    );
  }
  if (params.echo && params.logprobs != null) {
    throw new BadRequestError(
      'echo together with logprobs needs log probabilities of the prompt tokens, which this runtime does not compute. Drop echo or logprobs.',
      { param: 'logprobs', code: 'unsupported_parameter' },
    );
  }
}

export async function prepareCompletionJob(
  params: CompletionCreateParams,
  model: LoadedModel,
  ids: { id: string; created: number },
): Promise<CompletionJob> {
  const texts = typeof params.prompt === 'string' ? [params.prompt] : params.prompt;
  const prompts: CompletionJob['prompts'] = [];
  for (const [i, text] of texts.entries()) {
    const param = typeof params.prompt === 'string' ? 'prompt' : `prompt[${i}]`;
    const prompt = await model.prepareText(text);
    if (prompt.tokenIds.length === 0) {
      throw new BadRequestError('The prompt is empty: give at least one token of text.', { param, code: 'invalid_value' });
    }
    const requested = params.max_tokens ?? LEGACY_DEFAULT_MAX_TOKENS;
    const topLogprobs = params.logprobs ?? null;
    let plan: GenerationPlan;
    try {
      plan = planGeneration(params, model, prompt.tokenIds.length, requested, topLogprobs, 'max_tokens');
    } catch (err) {
      // The planner speaks of chat messages; here the text is the prompt.
      if (err instanceof APIError && err.param === 'messages') {
        throw new BadRequestError(err.message.replace(/messages/g, 'prompt'), { param, code: err.code });
      }
      throw err;
    }
    prompts.push({ prompt, plan });
  }
  return { ...ids, params, model, prompts };
}

/**
 * The chunk sequence of a job: per choice (prompt-major: index = prompt * n + choice) the
 * echoed prompt if asked, text chunks, and a finish chunk; then, if asked, a usage chunk
 * with no choices. The non-streaming response is these chunks folded together.
 */
export async function* completionChunks(job: CompletionJob, signal: AbortSignal, includeUsage: boolean): AsyncGenerator<Completion> {
  const base = {
    id: job.id,
    object: 'text_completion' as const,
    created: job.created,
    model: job.model.id,
    system_fingerprint: fingerprint(job.model),
  };
  const usageField = includeUsage ? { usage: null } : {};
  const wantLogprobs = job.params.logprobs != null;
  const n = job.params.n ?? 1;
  const chunk = (choice: CompletionChoice): Completion => ({ ...base, choices: [choice], ...usageField });
  let promptTokens = 0;
  let completionTokens = 0;
  // Summed over prompts, each prompt's first choice (its prompt counts once).
  let cachedTokens: number | undefined;

  for (const [p, { prompt, plan }] of job.prompts.entries()) {
    promptTokens += prompt.tokenIds.length;
    for (const [c, options] of plan.choices.entries()) {
      const index = p * n + c;
      let offset = 0;
      if (job.params.echo) {
        offset = prompt.text.length;
        yield chunk({ index, text: prompt.text, logprobs: null, finish_reason: null });
      }
      for await (const event of runChoice(job.model, prompt, options, plan.stops, signal)) {
        if (event.kind === 'text') {
          let logprobs: CompletionLogprobs | null = null;
          if (wantLogprobs) {
            logprobs = legacyLogprobs(event.logprobs ?? [], offset);
            for (const t of logprobs.tokens) offset += t.length;
          }
          yield chunk({ index, text: event.text, logprobs, finish_reason: null });
        } else {
          completionTokens += event.completionTokens;
          if (c === 0 && event.cachedTokens !== undefined) cachedTokens = (cachedTokens ?? 0) + event.cachedTokens;
          const logprobs = wantLogprobs ? legacyLogprobs([], offset) : null;
          yield chunk({ index, text: '', logprobs, finish_reason: event.finishReason });
        }
      }
    }
  }
  if (includeUsage) yield { ...base, choices: [], usage: usage(promptTokens, completionTokens, cachedTokens) };
}

/**
 * The legacy logprobs shape. `top_logprobs[i]` maps the top alternatives to their
 * logprobs and always includes the sampled token (so up to logprobs + 1 entries).
 */
export function legacyLogprobs(entries: TokenLogprob[], startOffset: number): CompletionLogprobs {
  const out: CompletionLogprobs = { tokens: [], token_logprobs: [], top_logprobs: [], text_offset: [] };
  let offset = startOffset;
  for (const entry of entries) {
    out.tokens.push(entry.token);
    out.token_logprobs.push(entry.logprob);
    const top: Record<string, number> = {};
    for (const alt of entry.top_logprobs) top[alt.token] = alt.logprob;
    top[entry.token] ??= entry.logprob;
    out.top_logprobs.push(top);
    out.text_offset.push(offset);
    offset += entry.token.length;
  }
  return out;
}

/** Folds a chunk stream (with its usage chunk) into the non-streaming response. */
export async function collectCompletion(chunks: AsyncIterable<Completion>): Promise<Completion> {
  type Acc = { text: string; logprobs: CompletionLogprobs | null; finish: CompletionChoice['finish_reason'] };
  const { head, usage: total, choices } = await foldChunks<Completion, CompletionChoice, Acc>(
    chunks,
    () => ({ text: '', logprobs: null, finish: null }),
    (acc, c) => {
      acc.text += c.text;
      if (c.logprobs) {
        acc.logprobs ??= { tokens: [], token_logprobs: [], top_logprobs: [], text_offset: [] };
        acc.logprobs.tokens.push(...c.logprobs.tokens);
        acc.logprobs.token_logprobs.push(...c.logprobs.token_logprobs);
        acc.logprobs.top_logprobs.push(...c.logprobs.top_logprobs);
        acc.logprobs.text_offset.push(...c.logprobs.text_offset);
      }
      if (c.finish_reason) acc.finish = c.finish_reason;
    },
  );
  return {
    id: head.id,
    object: 'text_completion',
    created: head.created,
    model: head.model,
    system_fingerprint: head.system_fingerprint,
    choices: choices.map(([index, c]) => ({
      index,
      text: c.text,
      // A request that asked for logprobs gets the (possibly empty) legacy object.
      logprobs: c.logprobs,
      finish_reason: c.finish ?? 'stop',
    })),
    usage: total,
  };
}
