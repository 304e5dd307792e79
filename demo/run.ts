/**
 * One streamed chat request through the public client, folded into what the playground
 * shows: each choice's text, reasoning, tool calls and logprobs, and the live figures
 * (time to first token, tokens/s, token counts, arrival time of every token).
 */
import { APIError, APIUserAbortError, type ChatCompletionChunk, type WebInfer } from '../src/client/index.js';
import type { TokenLogprob, ToolCall, Turn, TurnFigures } from './conversation.js';

export interface ChoiceResult {
  content: string;
  reasoning: string;
  tool_calls: ToolCall[];
  logprobs: TokenLogprob[];
  finish: string | null;
}

export interface RunResult {
  choices: ChoiceResult[];
  figures: TurnFigures;
  state: 'running' | 'done' | 'stopped' | 'error';
  error?: string;
}

export function describeError(err: unknown): string {
  if (err instanceof APIError) return `${err.status} ${err.type}${err.param ? ` (${err.param})` : ''}: ${err.message}`;
  return err instanceof Error ? err.message : String(err);
}

function choiceOf(result: RunResult, index: number): ChoiceResult {
  return (result.choices[index] ??= { content: '', reasoning: '', tool_calls: [], logprobs: [], finish: null });
}

/** Folds one chunk in; true when it carried a generated token. */
function fold(result: RunResult, chunk: ChatCompletionChunk): boolean {
  let token = false;
  for (const c of chunk.choices) {
    const choice = choiceOf(result, c.index);
    const d = c.delta;
    if (d.content) { choice.content += d.content; token = true; }
    if (d.reasoning_content) { choice.reasoning += d.reasoning_content; token = true; }
    for (const t of d.tool_calls ?? []) {
      const call = (choice.tool_calls[t.index] ??= { id: '', type: 'function', function: { name: '', arguments: '' } });
      if (t.id) call.id = t.id;
      if (t.function?.name) call.function.name += t.function.name;
      if (t.function?.arguments) { call.function.arguments += t.function.arguments; token = true; }
    }
    if (c.logprobs?.content) choice.logprobs.push(...c.logprobs.content);
    if (c.finish_reason) choice.finish = c.finish_reason;
  }
  if (chunk.usage) {
    result.figures.promptTokens = chunk.usage.prompt_tokens;
    result.figures.completionTokens = chunk.usage.completion_tokens;
  }
  return token;
}

/** A display frame: the host batches the chunks that are ready into one message per frame. */
const FRAME_MS = 16;

/**
 * Decode speed between the first and the last token, as the caller sees them; when the
 * whole answer arrived within one frame (a fast model: one batch), tokens over the time
 * since the request instead (a span that short would give a meaningless figure).
 */
function setTokensPerSecond(f: TurnFigures): void {
  const n = f.completionTokens ?? f.timeline.length;
  const first = f.timeline[0];
  const last = f.timeline.at(-1);
  if (first === undefined || last === undefined || n < 2) return;
  f.oneBatch = last - first <= FRAME_MS;
  f.tokPerS = f.oneBatch ? (n * 1000) / last : ((n - 1) * 1000) / (last - first);
}

export async function runChat(
  client: WebInfer,
  request: Record<string, unknown> & { model: string },
  signal: AbortSignal,
  onUpdate: (result: RunResult) => void,
): Promise<RunResult> {
  const result: RunResult = {
    choices: [],
    state: 'running',
    figures: { model: request.model, ttftMs: null, tokPerS: null, promptTokens: null, completionTokens: null, finish: null, timeline: [] },
  };
  const started = performance.now();
  try {
    const stream = await client.chat.completions.create({ ...request, stream: true, stream_options: { include_usage: true } } as never, { signal });
    for await (const chunk of stream as AsyncIterable<ChatCompletionChunk>) {
      if (fold(result, chunk)) {
        const at = performance.now() - started;
        result.figures.ttftMs ??= at;
        result.figures.timeline.push(at);
      }
      setTokensPerSecond(result.figures);
      onUpdate(result);
    }
    result.state = 'done';
  } catch (err) {
    result.state = err instanceof APIUserAbortError ? 'stopped' : 'error';
    if (result.state === 'error') result.error = describeError(err);
  }
  result.figures.finish = result.choices[0]?.finish ?? null;
  setTokensPerSecond(result.figures);
  onUpdate(result);
  return result;
}

/** An answer as a conversation turn (choice 0 the message, other choices kept beside it). */
export function turnFrom(result: RunResult): Turn {
  const [first, ...others] = result.choices;
  return {
    role: 'assistant',
    content: first?.content ?? '',
    ...(first?.reasoning ? { reasoning: first.reasoning } : {}),
    ...(first?.tool_calls.length ? { tool_calls: first.tool_calls } : {}),
    ...(first?.logprobs.length ? { logprobs: first.logprobs } : {}),
    figures: result.figures,
    ...(others.length ? { alternatives: others.map((c) => c.content) } : {}),
  };
}
