import type {
  ChatCompletion,
  ChatCompletionChunk,
  ChatCompletionCreateParams,
  ChatMessage,
  ChoiceLogprobs,
  FinishReason,
} from '../../protocol/chat.js';
import type { Usage } from '../../protocol/common.js';
import { BadRequestError } from '../../protocol/errors.js';
import type { Modality } from '../../protocol/models.js';
import type { LoadedModel, PreparedPrompt } from '../engine.js';
import { runChoice } from '../choice.js';
import { planGeneration, type GenerationPlan } from '../plan.js';
import { addDelta, newMessageParts, OutputShaper, prepareStructured, resolveStructured, toMessage, type MessageParts, type OutputDelta, type OutputSpec } from '../structured.js';
import { mediaLimits } from '../media/limits.js';
import { hasMedia, resolveMedia, type MediaContext } from '../media/resolve.js';
import { foldChunks } from '../fold.js';

/** Chat Completions semantics on top of any engine. */

export interface ChatJob {
  id: string;
  created: number;
  params: ChatCompletionCreateParams;
  model: LoadedModel;
  prompt: PreparedPrompt;
  plan: GenerationPlan;
  /** How each choice's text becomes content, reasoning_content and tool_calls. */
  output: OutputSpec;
}

/**
 * Request checks that need no model: combinations OpenAI itself refuses, and (`structured`)
 * whether this runtime can enforce the request's schemas and tools; a request a remote
 * server answers first leaves that to the server.
 */
export function checkChatParams(params: ChatCompletionCreateParams, structured = true): void {
  if (params.top_logprobs != null && !params.logprobs) {
    throw new BadRequestError('top_logprobs requires logprobs to be true.', { param: 'top_logprobs' });
  }
  if ((params.functions?.length ?? 0) > 0 || params.function_call != null) {
    throw new BadRequestError("The deprecated 'functions' / 'function_call' are not supported; use 'tools' / 'tool_choice'.", {
      param: params.functions?.length ? 'functions' : 'function_call',
      code: 'unsupported_parameter',
    });
  }
  // response_format schemas, tools, tool_choice: every problem is a 400 here (structured.ts).
  if (structured) resolveStructured(params);
}

const NEEDS: Partial<Record<string, Modality>> = { image_url: 'image', input_audio: 'audio', video_url: 'video' };

/** Content a model cannot take is a 400 naming the part, before anything is rendered. */
export function checkModalities(messages: ChatMessage[], model: Pick<LoadedModel, 'id' | 'modalities'>): void {
  const accepts = new Set<Modality>(model.modalities);
  messages.forEach((message, i) => {
    if (!Array.isArray(message.content)) return;
    message.content.forEach((part, j) => {
      if (part.type === 'file') {
        throw new BadRequestError(`File content parts are not supported by model '${model.id}'.`, {
          param: `messages[${i}].content[${j}]`, code: 'unsupported_content',
        });
      }
      const needs: Modality | null = NEEDS[part.type] ?? null;
      if (needs && !accepts.has(needs)) {
        throw new BadRequestError(`Model '${model.id}' does not accept ${needs} input.`, {
          param: `messages[${i}].content[${j}]`, code: 'unsupported_content',
        });
      }
    });
  });
}

export async function prepareChatJob(
  params: ChatCompletionCreateParams,
  model: LoadedModel,
  ids: { id: string; created: number },
  media: Partial<MediaContext> = {},
): Promise<ChatJob> {
  checkModalities(params.messages, model);
  // Images and audio are fetched, checked and decoded before the prompt is rendered.
  const resolved = media.resolved ?? (hasMedia(params.messages)
    ? await resolveMedia(params.messages, { ...media, limits: media.limits ?? mediaLimits() })
    : undefined);
  // Tools, response_format and reasoning: the prompt, the grammar and the output shape.
  const structured = await prepareStructured(params, model, {
    ...(resolved ? { media: resolved } : {}),
    messages: params.messages,
    templateKwargs: params.chat_template_kwargs ?? undefined,
  }, media.signal);
  const prompt = structured.prompt;
  const requested = params.max_completion_tokens ?? params.max_tokens ?? null;
  const maxParam = params.max_completion_tokens != null ? 'max_completion_tokens' : 'max_tokens';
  const topLogprobs = params.logprobs ? (params.top_logprobs ?? 0) : null;
  const plan = planGeneration(params, model, prompt.tokenIds.length, requested, topLogprobs, maxParam);
  for (const choice of plan.choices) {
    choice.grammar = structured.grammar;
    choice.tokenMask = structured.tokenMask;
  }
  return { ...ids, params, model, prompt, plan, output: structured.output };
}

/**
 * The full chunk sequence of a job, OpenAI's shape: per choice a role chunk, content
 * chunks, a finish chunk; then, if asked, a usage chunk with no choices.
 */
export async function* chatChunks(job: ChatJob, signal: AbortSignal, includeUsage: boolean): AsyncGenerator<ChatCompletionChunk> {
  const base = {
    id: job.id,
    object: 'chat.completion.chunk' as const,
    created: job.created,
    model: job.model.id,
    system_fingerprint: fingerprint(job.model),
  };
  const usageField = includeUsage ? { usage: null } : {};
  const wantLogprobs = job.params.logprobs === true;
  let completionTokens = 0;
  // The first choice's prompt reuse (the prompt counts once in usage, as its tokens do).
  let cachedTokens: number | undefined;
  // Tokens of reasoning blocks, their tags included (OpenAI's completion_tokens_details).
  let reasoningTokens = 0;

  for (const [index, options] of job.plan.choices.entries()) {
    yield { ...base, choices: [{ index, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null }], ...usageField };
    // Text -> content / reasoning_content / tool_calls deltas (structured.ts).
    const shaper = new OutputShaper(job.output, wantLogprobs);
    const chunk = ({ logprobs: lp, ...delta }: OutputDelta): ChatCompletionChunk => {
      const logprobs: ChoiceLogprobs | null = wantLogprobs ? { content: lp ?? [], refusal: null } : null;
      return { ...base, choices: [{ index, delta, logprobs, finish_reason: null }], ...usageField };
    };
    for await (const event of runChoice(job.model, job.prompt, options, job.plan.stops, signal)) {
      if (event.kind === 'text') {
        const before = shaper.inReasoning;
        const deltas = shaper.push(event.text, event.logprobs);
        if (before || shaper.inReasoning) reasoningTokens += event.tokens;
        for (const delta of deltas) yield chunk(delta);
      } else {
        for (const delta of shaper.finish()) yield chunk(delta);
        completionTokens += event.completionTokens;
        if (index === 0) cachedTokens = event.cachedTokens;
        const finish = event.finishReason === 'stop' && shaper.toolCalls > 0 ? 'tool_calls' : event.finishReason;
        yield { ...base, choices: [{ index, delta: {}, logprobs: null, finish_reason: finish }], ...usageField };
      }
    }
  }
  if (includeUsage) {
    // Only when the model did reason: usage stays OpenAI's plain shape otherwise.
    const details = reasoningTokens > 0 ? { completion_tokens_details: { reasoning_tokens: reasoningTokens } } : {};
    yield { ...base, choices: [], usage: { ...usage(job.prompt.tokenIds.length, completionTokens, cachedTokens), ...details } };
  }
}

/** `cachedTokens` (engines with a prefix cache) adds `prompt_tokens_details.cached_tokens`. */
export function usage(promptTokens: number, completionTokens: number, cachedTokens?: number): Usage {
  const details = cachedTokens === undefined ? {} : { prompt_tokens_details: { cached_tokens: cachedTokens } };
  return { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens, ...details };
}

export function fingerprint(model: LoadedModel): string {
  return `webinfer-${model.engine}-${model.device}`;
}

/** Folds a chunk stream (with its usage chunk) into the non-streaming response. */
export async function collectChat(chunks: AsyncIterable<ChatCompletionChunk>): Promise<ChatCompletion> {
  type Acc = { parts: MessageParts; logprobs: ChoiceLogprobs | null; finish: FinishReason | null };
  const { head, usage: total, choices } = await foldChunks<ChatCompletionChunk, ChatCompletionChunk['choices'][number], Acc>(
    chunks,
    () => ({ parts: newMessageParts(), logprobs: null, finish: null }),
    (acc, c) => {
      addDelta(acc.parts, c.delta);
      if (c.logprobs) {
        acc.logprobs ??= { content: [], refusal: null };
        acc.logprobs.content!.push(...(c.logprobs.content ?? []));
      }
      if (c.finish_reason) acc.finish = c.finish_reason;
    },
  );
  return {
    id: head.id,
    object: 'chat.completion',
    created: head.created,
    model: head.model,
    system_fingerprint: head.system_fingerprint,
    choices: choices.map(([index, c]) => ({
      index,
      message: toMessage(c.parts),
      logprobs: c.logprobs,
      finish_reason: c.finish ?? 'stop',
    })),
    usage: total,
  };
}
