import type { ChatCompletionChunk } from '../../protocol/chat.js';
import type { Usage } from '../../protocol/common.js';
import type {
  OutputFunctionCall,
  OutputItem,
  OutputMessage,
  OutputReasoning,
  Response,
  ResponseCreateParams,
  ResponseStreamEvent,
} from '../../protocol/responses.js';
import { AbortError, isAbort } from '../abort.js';

/**
 * A chat chunk stream (one choice, ending with its usage chunk) as the Responses API's
 * streaming events, in OpenAI's order: response.created, response.in_progress; per output
 * item output_item.added, its content parts and deltas, output_item.done; then
 * response.completed (response.incomplete when max_output_tokens cut it). The
 * non-streamed Response is the last event's `response` (foldResponse).
 */

export interface ResponseIds {
  id: string;
  created: number;
  model: string;
}

type Event = ResponseStreamEvent;
/** An event before it gets its sequence number. */
type Unnumbered = Event extends infer E ? (E extends Event ? Omit<E, 'sequence_number'> : never) : never;

export function responseId(prefix: 'resp' | 'msg' | 'fc' | 'fco' | 'rs'): string {
  return `${prefix}_${crypto.randomUUID().replace(/-/g, '')}`;
}

/** The Response object, the request's settings echoed the way OpenAI echoes them. */
export function responseObject(params: ResponseCreateParams, ids: ResponseIds, fields: Pick<Response, 'status' | 'output'> & Partial<Response>): Response {
  return {
    id: ids.id,
    object: 'response',
    created_at: ids.created,
    completed_at: null,
    background: false,
    error: null,
    incomplete_details: null,
    instructions: params.instructions ?? null,
    max_output_tokens: params.max_output_tokens ?? null,
    max_tool_calls: null,
    model: ids.model,
    parallel_tool_calls: params.parallel_tool_calls ?? true,
    previous_response_id: params.previous_response_id ?? null,
    reasoning: { effort: typeof params.reasoning?.effort === 'string' ? params.reasoning.effort : null, summary: null },
    service_tier: 'default',
    store: params.store !== false,
    temperature: params.temperature ?? null,
    text: { format: params.text?.format ?? { type: 'text' } },
    tool_choice: params.tool_choice ?? 'auto',
    tools: (params.tools ?? []) as Response['tools'],
    top_logprobs: 0,
    top_p: params.top_p ?? null,
    truncation: 'disabled',
    usage: null,
    user: params.user ?? null,
    metadata: params.metadata ?? {},
    ...fields,
  };
}

export function responseUsage(usage: Usage) {
  return {
    input_tokens: usage.prompt_tokens,
    input_tokens_details: { cached_tokens: usage.prompt_tokens_details?.cached_tokens ?? 0 },
    output_tokens: usage.completion_tokens,
    output_tokens_details: { reasoning_tokens: usage.completion_tokens_details?.reasoning_tokens ?? 0 },
    total_tokens: usage.total_tokens,
  };
}

export async function* responseEvents(
  chunks: AsyncIterable<ChatCompletionChunk>,
  params: ResponseCreateParams,
  ids: ResponseIds,
  signal: AbortSignal,
): AsyncGenerator<Event> {
  let seq = 0;
  const numbered = (e: Unnumbered): Event => ({ ...e, sequence_number: seq++ }) as Event;
  const output: OutputItem[] = [];
  const snapshot = (fields: Partial<Response> & Pick<Response, 'status'>) =>
    responseObject(params, ids, { output: structuredClone(output), ...fields });

  let message: OutputMessage | null = null;
  let reasoning: OutputReasoning | null = null;
  /** Function calls by the chat tool-call index; the one still open is the last. */
  const calls = new Map<number, OutputFunctionCall>();
  let openCall: OutputFunctionCall | null = null;
  let usage: Usage | null = null;
  let truncated = false;

  const indexOf = (item: OutputItem) => output.indexOf(item);
  function* open(item: OutputItem): Generator<Event> {
    output.push(item);
    yield numbered({ type: 'response.output_item.added', output_index: output.length - 1, item: structuredClone(item) });
  }
  function* closeMessage(status: OutputMessage['status']): Generator<Event> {
    if (!message) return;
    const item = message;
    message = null;
    const at = { item_id: item.id, output_index: indexOf(item), content_index: 0 };
    const part = item.content[0]!;
    yield numbered({ type: 'response.output_text.done', ...at, text: part.text, logprobs: [] });
    yield numbered({ type: 'response.content_part.done', ...at, part: structuredClone(part) });
    item.status = status;
    yield numbered({ type: 'response.output_item.done', output_index: at.output_index, item: structuredClone(item) });
  }
  function* closeReasoning(status: OutputReasoning['status']): Generator<Event> {
    if (!reasoning) return;
    const item = reasoning;
    reasoning = null;
    const at = { item_id: item.id, output_index: indexOf(item), content_index: 0 };
    const part = item.content[0]!;
    yield numbered({ type: 'response.reasoning_text.done', ...at, text: part.text });
    yield numbered({ type: 'response.content_part.done', ...at, part: structuredClone(part) });
    item.status = status;
    yield numbered({ type: 'response.output_item.done', output_index: at.output_index, item: structuredClone(item) });
  }
  function* closeCall(status: OutputFunctionCall['status']): Generator<Event> {
    if (!openCall) return;
    const item = openCall;
    openCall = null;
    const at = { item_id: item.id, output_index: indexOf(item) };
    yield numbered({ type: 'response.function_call_arguments.done', ...at, arguments: item.arguments, name: item.name });
    item.status = status;
    yield numbered({ type: 'response.output_item.done', output_index: at.output_index, item: structuredClone(item) });
  }
  function* closeAll(status: OutputItem['status']): Generator<Event> {
    yield* closeReasoning(status);
    yield* closeMessage(status);
    yield* closeCall(status);
  }

  yield numbered({ type: 'response.created', response: snapshot({ status: 'in_progress' }) });
  yield numbered({ type: 'response.in_progress', response: snapshot({ status: 'in_progress' }) });
  try {
    for await (const chunk of chunks) {
      if (chunk.usage) usage = chunk.usage;
      const choice = chunk.choices[0];
      if (!choice) continue;
      const { delta } = choice;
      if (delta.reasoning_content) {
        if (!reasoning) {
          yield* closeMessage('completed');
          yield* closeCall('completed');
          reasoning = { type: 'reasoning', id: responseId('rs'), summary: [], content: [], status: 'in_progress' };
          yield* open(reasoning);
          reasoning.content.push({ type: 'reasoning_text', text: '' });
          yield numbered({ type: 'response.content_part.added', item_id: reasoning.id, output_index: indexOf(reasoning), content_index: 0, part: { type: 'reasoning_text', text: '' } });
        }
        reasoning.content[0]!.text += delta.reasoning_content;
        yield numbered({ type: 'response.reasoning_text.delta', item_id: reasoning.id, output_index: indexOf(reasoning), content_index: 0, delta: delta.reasoning_content });
      }
      if (delta.content) {
        if (!message) {
          yield* closeReasoning('completed');
          yield* closeCall('completed');
          message = { type: 'message', id: responseId('msg'), status: 'in_progress', role: 'assistant', content: [] };
          yield* open(message);
          const part = { type: 'output_text' as const, text: '', annotations: [], logprobs: [] };
          message.content.push(part);
          yield numbered({ type: 'response.content_part.added', item_id: message.id, output_index: indexOf(message), content_index: 0, part: structuredClone(part) });
        }
        message.content[0]!.text += delta.content;
        yield numbered({ type: 'response.output_text.delta', item_id: message.id, output_index: indexOf(message), content_index: 0, delta: delta.content, logprobs: [] });
      }
      for (const tc of delta.tool_calls ?? []) {
        let call = calls.get(tc.index);
        if (!call) {
          yield* closeReasoning('completed');
          yield* closeMessage('completed');
          yield* closeCall('completed');
          call = { type: 'function_call', id: responseId('fc'), call_id: tc.id ?? responseId('fc'), name: tc.function?.name ?? '', arguments: '', status: 'in_progress' };
          calls.set(tc.index, call);
          openCall = call;
          yield* open(call);
        }
        const args = tc.function?.arguments;
        if (args) {
          call.arguments += args;
          yield numbered({ type: 'response.function_call_arguments.delta', item_id: call.id, output_index: indexOf(call), delta: args });
        }
      }
      if (choice.finish_reason === 'length') truncated = true;
    }
  } catch (err) {
    if (isAbort(err) || signal.aborted) throw err;
    const error = { code: 'server_error', message: err instanceof Error ? err.message : String(err) };
    yield numbered({ type: 'response.failed', response: snapshot({ status: 'failed', error }) });
    throw err;
  }
  if (signal.aborted) throw new AbortError();
  const status = truncated ? 'incomplete' : 'completed';
  yield* closeAll(status);
  // A reply of nothing at all is still a (empty) message, as OpenAI answers.
  if (output.length === 0) {
    message = { type: 'message', id: responseId('msg'), status: 'in_progress', role: 'assistant', content: [] };
    yield* open(message);
    const part = { type: 'output_text' as const, text: '', annotations: [], logprobs: [] };
    message.content.push(part);
    yield numbered({ type: 'response.content_part.added', item_id: message.id, output_index: 0, content_index: 0, part: structuredClone(part) });
    yield* closeMessage(status);
  }
  const final = snapshot({
    status,
    completed_at: truncated ? null : Math.floor(Date.now() / 1000),
    incomplete_details: truncated ? { reason: 'max_output_tokens' } : null,
    usage: usage ? responseUsage(usage) : null,
  });
  yield numbered({ type: truncated ? 'response.incomplete' : 'response.completed', response: final });
}

/** The non-streamed Response: the last lifecycle event's. */
export async function foldResponse(events: AsyncIterable<ResponseStreamEvent>): Promise<Response> {
  let last: Response | null = null;
  for await (const event of events) {
    if ('response' in event) last = event.response;
  }
  if (!last || last.status === 'in_progress') throw new Error('the response stream ended before the response did');
  return last;
}
