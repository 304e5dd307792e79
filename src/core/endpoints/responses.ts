import type { ChatCompletionCreateParams, ChatMessage, ToolCall, UserContentPart } from '../../protocol/chat.js';
import { APIError, BadRequestError } from '../../protocol/errors.js';
import { ResponseFunctionTool, type InputContentPart, type InputItem, type ResponseCreateParams } from '../../protocol/responses.js';
import type { ResolvedInput } from './response-chain.js';
import { parseRequest } from '../../protocol/validate.js';

/**
 * The Responses API as a chat request: instructions and input items become messages,
 * Responses' flat tools, tool_choice and text.format their chat spellings. Every 400
 * names the Responses param; `mapChatError` turns a later chat-level error's param
 * (`messages[3].content[0].image_url.url`) back into the input item it came from.
 */

/** Where each chat message came from in the Responses request. */
export interface MessageOrigin {
  /** `instructions`, `input`, or `input[i]`. */
  path: string;
  /** A user message whose content parts map 1:1 onto the item's parts. */
  parts?: boolean;
  /** For an assistant message built from function_call items: each call's item path. */
  toolCalls?: string[];
}

export interface ChatConversion {
  chat: ChatCompletionCreateParams;
  origins: MessageOrigin[];
}

/** Refusals that need no model: unsupported settings. */
export function checkResponseParams(params: ResponseCreateParams): void {
  if (params.conversation != null) {
    throw new BadRequestError('conversation is not supported: this server has no Conversations API. Chain responses with previous_response_id, or send the whole conversation in `input`.', {
      param: 'conversation', code: 'unsupported_parameter',
    });
  }
  if (params.truncation === 'auto') {
    throw new BadRequestError("truncation 'auto' is not supported: an input longer than the model's context is a 400. Use 'disabled'.", {
      param: 'truncation', code: 'unsupported_parameter',
    });
  }
  if (params.background) {
    throw new BadRequestError('background responses are not supported: every response runs while its request is open.', {
      param: 'background', code: 'unsupported_parameter',
    });
  }
  if ((params.top_logprobs ?? 0) > 0) {
    throw new BadRequestError('top_logprobs is not supported on /v1/responses; use /v1/chat/completions with logprobs.', {
      param: 'top_logprobs', code: 'unsupported_parameter',
    });
  }
}

/**
 * `resolved` is the conversation from the response store (response-chain.ts): the
 * previous response's items and the new input with item references resolved. Without
 * it, `input` is taken as it is (and an item_reference is a 400).
 */
export function toChatRequest(params: ResponseCreateParams, resolved?: ResolvedInput): ChatConversion {
  checkResponseParams(params);
  const messages: ChatMessage[] = [];
  const origins: MessageOrigin[] = [];
  const push = (message: ChatMessage, origin: MessageOrigin) => {
    messages.push(message);
    origins.push(origin);
  };
  if (params.instructions != null) push({ role: 'system', content: params.instructions }, { path: 'instructions' });

  if (typeof params.input === 'string' && !resolved) {
    push({ role: 'user', content: params.input }, { path: 'input' });
  } else {
    const names = new Map<string, string>();
    const items: readonly InputItem[] = resolved ? resolved.items : (params.input as InputItem[]);
    items.forEach((item, i) => {
      const path = resolved ? resolved.paths[i]! : `input[${i}]`;
      if (item.type === 'reasoning') return;
      if (item.type === 'item_reference') {
        throw new BadRequestError('Item references need the response store.', { param: `${path}`, code: 'unsupported_parameter' });
      }
      if (item.type === 'function_call') {
        names.set(item.call_id, item.name);
        const call: ToolCall = { id: item.call_id, type: 'function', function: { name: item.name, arguments: item.arguments } };
        const last = messages.at(-1);
        const origin = origins.at(-1);
        // Consecutive calls (and the assistant text right before them) are one assistant turn.
        if (last?.role === 'assistant' && origin?.path !== 'instructions') {
          last.tool_calls = [...(last.tool_calls ?? []), call];
          origin!.toolCalls = [...(origin!.toolCalls ?? []), path];
        } else {
          push({ role: 'assistant', content: null, tool_calls: [call] }, { path, toolCalls: [path] });
        }
        return;
      }
      if (item.type === 'function_call_output') {
        const content = typeof item.output === 'string' ? item.output : item.output.map((p) => p.text).join('');
        const name = names.get(item.call_id);
        push({ role: 'tool', tool_call_id: item.call_id, content, ...(name ? { name } : {}) }, { path });
        return;
      }
      // A message.
      const { role, content } = item;
      if (role === 'user') {
        if (typeof content === 'string') return push({ role, content }, { path });
        return push({ role, content: content.map((part, j) => userPart(part, `${path}.content[${j}]`)) }, { path, parts: true });
      }
      const text = typeof content === 'string' ? content : content.map((part, j) => textOf(part, role, `${path}.content[${j}]`)).join('');
      push({ role, content: text } as ChatMessage, { path });
    });
  }

  const chat: ChatCompletionCreateParams = {
    model: params.model,
    messages,
    stream: true,
    stream_options: { include_usage: true },
  };
  const copy = ['temperature', 'top_p', 'seed', 'presence_penalty', 'frequency_penalty', 'user', 'top_k', 'min_p',
    'repetition_penalty', 'min_tokens', 'ignore_eos', 'parallel_tool_calls', 'chat_template_kwargs', 'routing'] as const;
  for (const key of copy) {
    if (params[key] != null) (chat as Record<string, unknown>)[key] = params[key];
  }
  // max_tokens: what every OpenAI-compatible server reads (a remote model gets this request;
  // transformers serve ignores max_completion_tokens). Core reads both alike.
  if (params.max_output_tokens != null) chat.max_tokens = params.max_output_tokens;
  if (params.tools?.length) {
    chat.tools = params.tools.map((tool, i) => {
      if (tool.type !== 'function') {
        throw new BadRequestError(`Tool type '${tool.type}' is not supported by this server; only function tools are.`, {
          param: `tools[${i}].type`, code: 'unsupported_parameter',
        });
      }
      const fn = parseAt<ResponseFunctionTool>(ResponseFunctionTool, tool, `tools[${i}]`);
      return { type: 'function', function: { name: fn.name, description: fn.description, parameters: fn.parameters, strict: fn.strict } };
    });
  }
  const choice = params.tool_choice;
  if (choice != null) chat.tool_choice = typeof choice === 'string' ? choice : { type: 'function', function: { name: choice.name } };
  const format = params.text?.format;
  if (format) {
    chat.response_format = format.type === 'json_schema'
      ? { type: 'json_schema', json_schema: { name: format.name, schema: format.schema, description: format.description, strict: format.strict } }
      : format;
  }
  return { chat, origins };
}

function userPart(part: InputContentPart, path: string): UserContentPart {
  switch (part.type) {
    case 'input_text':
      return { type: 'text', text: part.text };
    case 'input_image':
      if (part.file_id != null) {
        throw new BadRequestError('file_id is not supported: this server stores no files. Send the image as image_url (a URL or a data: URL).', {
          param: `${path}.file_id`, code: 'unsupported_parameter',
        });
      }
      if (part.image_url == null) {
        throw new BadRequestError(`Missing required parameter: '${path}.image_url'.`, { param: `${path}.image_url`, code: 'missing_required_parameter' });
      }
      return { type: 'image_url', image_url: { url: part.image_url, ...(part.detail ? { detail: part.detail } : {}) } };
    default:
      throw new BadRequestError(`A user message cannot contain '${part.type}' parts; use input_text or input_image.`, {
        param: `${path}.type`, code: 'invalid_value',
      });
  }
}

function textOf(part: InputContentPart, role: string, path: string): string {
  if (part.type === 'input_text' || part.type === 'output_text') return part.text;
  if (part.type === 'refusal' && role === 'assistant') return part.refusal;
  throw new BadRequestError(`A ${role} message can only contain text parts.`, { param: `${path}.type`, code: 'invalid_value' });
}

/** `parseRequest` on a piece of the body: the param is named from the body's root. */
function parseAt<T>(schema: Parameters<typeof parseRequest>[0], value: unknown, prefix: string): T {
  try {
    return parseRequest(schema, value) as T;
  } catch (err) {
    if (!(err instanceof BadRequestError)) throw err;
    const param = err.param ? `${prefix}${err.param.startsWith('[') ? '' : '.'}${err.param}` : prefix;
    throw new BadRequestError(err.param ? err.message.split(`'${err.param}'`).join(`'${param}'`) : err.message, { param, code: err.code });
  }
}

/** A chat-level error (thrown after the conversion) with the Responses param in it. */
export function mapChatError(err: unknown, origins: readonly MessageOrigin[], format?: { type: string } | null): unknown {
  if (!(err instanceof APIError) || !err.param) return err;
  const param = responsesParam(err.param, origins, format?.type === 'json_schema');
  if (param === err.param) return err;
  const message = err.message.split(err.param).join(param).replace(/\bmessages\b/g, 'input');
  const mapped = new APIError(err.status, message, { param, code: err.code, type: err.type });
  mapped.name = err.name;
  return mapped;
}

/** `schemaFormat`: text.format is a json_schema, so a bare response_format problem is its schema's. */
export function responsesParam(param: string, origins: readonly MessageOrigin[], schemaFormat = false): string {
  const message = /^messages\[(\d+)\](.*)$/.exec(param);
  if (message) {
    const origin = origins[Number(message[1])];
    if (!origin) return 'input';
    const rest = message[2]!;
    const part = /^\.content\[(\d+)\](.*)$/.exec(rest);
    if (part && origin.parts) {
      const inner = part[2]!.replace(/^\.image_url\.url/, '.image_url').replace(/^\.image_url\.detail/, '.detail');
      return `${origin.path}.content[${part[1]}]${inner}`;
    }
    const call = /^\.tool_calls\[(\d+)\]/.exec(rest);
    if (call && origin.toolCalls) return origin.toolCalls[Number(call[1])] ?? origin.path;
    return origin.path;
  }
  if (param === 'messages') return 'input';
  if (param === 'max_tokens' || param === 'max_completion_tokens') return 'max_output_tokens';
  if (param === 'response_format' && schemaFormat) return 'text.format.schema';
  if (param.startsWith('response_format')) return param.replace(/^response_format(\.json_schema)?/, 'text.format');
  const tool = /^tools\[(\d+)\]\.function(.*)$/.exec(param);
  if (tool) return `tools[${tool[1]}]${tool[2]}`;
  if (param.startsWith('tool_choice')) return 'tool_choice';
  return param;
}
