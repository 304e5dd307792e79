import type {
  ChatCompletion,
  ChatCompletionChunk,
  ChatCompletionCreateParams,
  ChatMessage,
  ChoiceLogprobs,
  FinishReason,
} from '../protocol/chat.js';
import type { Usage } from '../protocol/common.js';
import { BadRequestError } from '../protocol/errors.js';
import type { Modality } from '../protocol/models.js';
import type { LoadedModel, PreparedPrompt } from './engine.js';
import { runChoice } from './choice.js';
import { planGeneration, type GenerationPlan } from './plan.js';
import { mediaLimits } from './media/limits.js';
import { hasMedia, resolveMedia, type MediaContext } from './media/resolve.js';

/** Chat Completions semantics on top of any engine. */

export interface ChatJob {
  id: string;
  created: number;
  params: ChatCompletionCreateParams;
  model: LoadedModel;
  prompt: PreparedPrompt;
  plan: GenerationPlan;
}

/** Request checks that need no model: combinations OpenAI itself refuses. */
export function checkChatParams(params: ChatCompletionCreateParams): void {
  if (params.top_logprobs != null && !params.logprobs) {
    throw new BadRequestError('top_logprobs requires logprobs to be true.', { param: 'top_logprobs' });
  }
  const format = params.response_format?.type;
  if (format && format !== 'text') {
    throw new BadRequestError(
      `response_format '${format}' needs grammar-constrained decoding, which is not available yet; the output would not be enforced.`,
      { param: 'response_format', code: 'unsupported_parameter' },
    );
  }
  const toolsWanted = (params.tools?.length ?? 0) > 0 && params.tool_choice !== 'none';
  if (toolsWanted || (params.functions?.length ?? 0) > 0) {
    throw new BadRequestError('Tool calling is not available yet: calls would not be parsed or enforced.', {
      param: params.functions?.length ? 'functions' : 'tools',
      code: 'unsupported_parameter',
    });
  }
}

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
      const needs: Modality | null = part.type === 'image_url' ? 'image' : part.type === 'input_audio' ? 'audio' : null;
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
  const prompt = await model.prepareChat({
    ...(resolved ? { media: resolved } : {}),
    messages: params.messages,
    tools: params.tool_choice === 'none' ? undefined : params.tools ?? undefined,
    templateKwargs: params.chat_template_kwargs ?? undefined,
  });
  const requested = params.max_completion_tokens ?? params.max_tokens ?? null;
  const maxParam = params.max_completion_tokens != null ? 'max_completion_tokens' : 'max_tokens';
  const topLogprobs = params.logprobs ? (params.top_logprobs ?? 0) : null;
  const plan = planGeneration(params, model, prompt.tokenIds.length, requested, topLogprobs, maxParam);
  return { ...ids, params, model, prompt, plan };
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

  for (const [index, options] of job.plan.choices.entries()) {
    yield { ...base, choices: [{ index, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null }], ...usageField };
    for await (const event of runChoice(job.model, job.prompt, options, job.plan.stops, signal)) {
      if (event.kind === 'text') {
        const logprobs: ChoiceLogprobs | null = wantLogprobs ? { content: event.logprobs ?? [], refusal: null } : null;
        yield { ...base, choices: [{ index, delta: { content: event.text }, logprobs, finish_reason: null }], ...usageField };
      } else {
        completionTokens += event.completionTokens;
        yield { ...base, choices: [{ index, delta: {}, logprobs: null, finish_reason: event.finishReason }], ...usageField };
      }
    }
  }
  if (includeUsage) {
    yield { ...base, choices: [], usage: usage(job.prompt.tokenIds.length, completionTokens) };
  }
}

export function usage(promptTokens: number, completionTokens: number): Usage {
  return { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens };
}

export function fingerprint(model: LoadedModel): string {
  return `webinfer-${model.engine}-${model.device}`;
}

/** Folds a chunk stream (with its usage chunk) into the non-streaming response. */
export async function collectChat(chunks: AsyncIterable<ChatCompletionChunk>): Promise<ChatCompletion> {
  const choices = new Map<number, { content: string; logprobs: ChoiceLogprobs | null; finish: FinishReason | null }>();
  let head: ChatCompletionChunk | undefined;
  let total: Usage | undefined;
  for await (const chunk of chunks) {
    head ??= chunk;
    if (chunk.usage) total = chunk.usage;
    for (const c of chunk.choices) {
      let acc = choices.get(c.index);
      if (!acc) choices.set(c.index, (acc = { content: '', logprobs: null, finish: null }));
      if (c.delta.content) acc.content += c.delta.content;
      if (c.logprobs) {
        acc.logprobs ??= { content: [], refusal: null };
        acc.logprobs.content!.push(...(c.logprobs.content ?? []));
      }
      if (c.finish_reason) acc.finish = c.finish_reason;
    }
  }
  if (!head || !total) throw new Error('generation ended without a usage chunk');
  return {
    id: head.id,
    object: 'chat.completion',
    created: head.created,
    model: head.model,
    system_fingerprint: head.system_fingerprint,
    choices: [...choices.entries()]
      .sort(([a], [b]) => a - b)
      .map(([index, c]) => ({
        index,
        message: { role: 'assistant' as const, content: c.content, refusal: null },
        logprobs: c.logprobs,
        finish_reason: c.finish ?? 'stop',
      })),
    usage: total,
  };
}
