import type { z } from 'zod';
import { ChatCompletionChunk } from '../../protocol/chat.js';
import type { Usage } from '../../protocol/common.js';
import { Completion } from '../../protocol/completions.js';
import { APIError } from '../../protocol/errors.js';

/**
 * The server's answer in OpenAI's exact chunk shape, whatever the server's dialect: missing
 * `logprobs` / `finish_reason` filled, vLLM's `reasoning` as `reasoning_content`, usage in
 * its own last chunk (transformers serve puts it on the finish chunk), unknown fields
 * dropped. `model` is the id the app registered, and `system_fingerprint` says a remote
 * server answered.
 */
export const REMOTE_FINGERPRINT = 'webinfer-remote';

type Raw = Record<string, any>;

export interface ChunkShape {
  /** The registered model id. */
  model: string;
  /** Whether the caller asked for usage (stream_options.include_usage, or a non-streaming request). */
  includeUsage: boolean;
  server: string;
}

/** How one endpoint's chunks look: chat completions, or legacy completions. */
export interface Dialect<C> {
  object: string;
  schema: z.ZodType<C>;
  choice(raw: Raw): unknown;
}

export const CHAT: Dialect<ChatCompletionChunk> = {
  object: 'chat.completion.chunk',
  schema: ChatCompletionChunk,
  choice: (c) => ({ index: c.index ?? 0, delta: delta(c.delta ?? {}), logprobs: c.logprobs ?? null, finish_reason: c.finish_reason ?? null }),
};

export const COMPLETION: Dialect<Completion> = {
  object: 'text_completion',
  schema: Completion,
  choice: (c) => ({ index: c.index ?? 0, text: typeof c.text === 'string' ? c.text : '', logprobs: c.logprobs ?? null, finish_reason: c.finish_reason ?? null }),
};

/** Streamed chunks: one raw chunk in, the normalized ones out; `finish()` yields the usage chunk. */
export function chunkShaper<C>(shape: ChunkShape, dialect: Dialect<C>) {
  let usage: Usage | null = null;
  let head: { id: string; created: number } | null = null;
  return {
    push(raw: unknown): C[] {
      const chunk = checkObject(raw, shape.server);
      head ??= { id: String(chunk.id ?? newId()), created: Number.isInteger(chunk.created) ? chunk.created : now() };
      if (chunk.usage) usage = chunk.usage;
      const choices = Array.isArray(chunk.choices) ? chunk.choices : [];
      if (!choices.length) return [];
      return [build(head, shape, dialect, choices.map((c: Raw) => dialect.choice(c)))];
    },
    finish(): C[] {
      if (!shape.includeUsage || !usage || !head) return [];
      return [{ ...build(head, shape, dialect, []), usage: parseUsage(usage, shape.server) }];
    },
  };
}

/** A non-streaming legacy completion: its choices as one chunk, then the usage chunk. */
export function textCompletionAsChunks(raw: unknown, shape: ChunkShape): Completion[] {
  const body = checkObject(raw, shape.server);
  if (!body.usage) throw badResponse(shape.server, 'an answer without usage');
  const shaper = chunkShaper(shape, COMPLETION);
  return [...shaper.push(body), ...shaper.finish()];
}

/** A non-streaming answer split into the chunks a stream of it would have been (core folds them back). */
export function completionAsChunks(raw: unknown, shape: ChunkShape): ChatCompletionChunk[] {
  const body = checkObject(raw, shape.server);
  if (!body.usage) throw badResponse(shape.server, 'an answer without usage');
  const shaper = chunkShaper(shape, CHAT);
  const choices: Raw[] = Array.isArray(body.choices) ? body.choices : [];
  const out = choices.flatMap((c) => {
    const message: Raw = c.message ?? {};
    const calls: Raw[] = Array.isArray(message.tool_calls) ? message.tool_calls : [];
    return [
      { index: c.index ?? 0, delta: { ...message, role: 'assistant', tool_calls: calls.map((call, index) => ({ index, ...call })) }, logprobs: c.logprobs ?? null },
      { index: c.index ?? 0, delta: {}, finish_reason: c.finish_reason ?? 'stop' },
    ];
  });
  return [
    ...out.flatMap((choice) => shaper.push({ id: body.id, created: body.created, choices: [choice] })),
    ...(shaper.push({ id: body.id, created: body.created, choices: [], usage: body.usage }), shaper.finish()),
  ];
}

function build<C>(head: { id: string; created: number }, shape: ChunkShape, dialect: Dialect<C>, choices: unknown[]): C {
  const candidate = {
    id: head.id,
    object: dialect.object,
    created: head.created,
    model: shape.model,
    system_fingerprint: REMOTE_FINGERPRINT,
    choices,
    ...(shape.includeUsage ? { usage: null } : {}),
  };
  const parsed = dialect.schema.safeParse(candidate);
  if (!parsed.success) throw badResponse(shape.server, `a chunk that is not OpenAI's shape (${parsed.error.issues[0]?.path.join('.')}: ${parsed.error.issues[0]?.message})`);
  return parsed.data;
}

function delta(d: Raw): Raw {
  const out: Raw = {};
  if (d.role === 'assistant') out.role = 'assistant';
  if (typeof d.content === 'string') out.content = d.content;
  if (typeof d.refusal === 'string') out.refusal = d.refusal;
  const reasoning = d.reasoning_content ?? d.reasoning;
  if (typeof reasoning === 'string' && reasoning) out.reasoning_content = reasoning;
  if (Array.isArray(d.tool_calls) && d.tool_calls.length) {
    out.tool_calls = d.tool_calls.map((t: Raw, i: number) => ({
      index: t.index ?? i,
      ...(t.id ? { id: t.id } : {}),
      ...(t.type || t.id ? { type: 'function' } : {}),
      ...(t.function ? { function: { ...(t.function.name ? { name: t.function.name } : {}), ...(t.function.arguments != null ? { arguments: String(t.function.arguments) } : {}) } } : {}),
    }));
  }
  return out;
}

function parseUsage(usage: unknown, server: string): Usage {
  const u = checkObject(usage, server);
  const prompt = Number(u.prompt_tokens ?? 0);
  const completion = Number(u.completion_tokens ?? 0);
  const out: Usage = { prompt_tokens: prompt, completion_tokens: completion, total_tokens: Number(u.total_tokens ?? prompt + completion) };
  if (u.prompt_tokens_details?.cached_tokens != null) out.prompt_tokens_details = { cached_tokens: u.prompt_tokens_details.cached_tokens };
  if (u.completion_tokens_details?.reasoning_tokens) out.completion_tokens_details = { reasoning_tokens: u.completion_tokens_details.reasoning_tokens };
  return out;
}

export function checkObject(value: unknown, server: string): Raw {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw badResponse(server, 'something that is not a JSON object');
  return value as Raw;
}

/** The server answered, but not in OpenAI's shape: a 502, not our bug. */
export function badResponse(server: string, what: string): APIError {
  return new APIError(502, `${server} sent ${what}.`, { type: 'server_error', code: 'remote_bad_response' });
}

function newId(): string {
  return `chatcmpl-${crypto.randomUUID().replace(/-/g, '').slice(0, 24)}`;
}

function now(): number {
  return Math.floor(Date.now() / 1000);
}
