import type { ChatMessage, Tool } from '../protocol/chat.js';
import { BadRequestError } from '../protocol/errors.js';
import type { PromptInput } from '../core/engine.js';
import { messageText } from '../core/message-text.js';

/**
 * OpenAI messages -> the shape Hugging Face chat templates expect: string content,
 * `developer` as `system`, tool-call arguments as objects, legacy `function` messages as
 * `tool` results. Image/audio/video parts become the `{type:'image'}` / `{type:'audio'}` / `{type:'video'}`
 * placeholders that multimodal templates render.
 */
export interface TemplateMessage {
  role: string;
  content: string | Array<Record<string, unknown>>;
  name?: string;
  tool_calls?: Array<{ id: string; type: 'function'; function: { name: string; arguments: unknown } }>;
  tool_call_id?: string;
  reasoning_content?: string;
}

export function toTemplateMessages(messages: ChatMessage[], keepMediaParts = false): TemplateMessage[] {
  return messages.map((m): TemplateMessage => {
    switch (m.role) {
      case 'system':
      case 'developer':
        return withName({ role: 'system', content: messageText(m.content) }, m.name);
      case 'user':
        return withName({ role: 'user', content: userContent(m.content, keepMediaParts) }, m.name);
      case 'assistant': {
        const out: TemplateMessage = { role: 'assistant', content: messageText(m.content ?? '') };
        const calls = (m.tool_calls ?? []).flatMap((c) =>
          c.type === 'function'
            ? [{ id: c.id, type: 'function' as const, function: { name: c.function.name, arguments: parseArguments(c.function.arguments) } }]
            : [],
        );
        if (m.function_call) calls.push({ id: 'call_legacy', type: 'function', function: { name: m.function_call.name, arguments: parseArguments(m.function_call.arguments) } });
        if (calls.length) out.tool_calls = calls;
        if (m.reasoning_content) out.reasoning_content = m.reasoning_content;
        return withName(out, m.name);
      }
      case 'tool':
        return withName({ role: 'tool', content: messageText(m.content), tool_call_id: m.tool_call_id }, m.name);
      case 'function':
        return { role: 'tool', content: m.content ?? '', name: m.name };
    }
  });
}

/** Anything with Hugging Face's `apply_chat_template` (a tokenizer, a processor). */
interface ChatTemplater {
  apply_chat_template(messages: never, options: never): unknown;
}

/**
 * Renders a chat request with the model's own Jinja template, as text. Templates raise
 * for conversations they do not support (e.g. roles out of order): a 400 naming `messages`.
 */
export function renderChatTemplate(templater: ChatTemplater, input: PromptInput, keepMediaParts = false): string {
  try {
    return templater.apply_chat_template(toTemplateMessages(input.messages, keepMediaParts) as never, {
      tools: toTemplateTools(input.tools),
      add_generation_prompt: true,
      tokenize: false,
      ...input.templateKwargs,
    } as never) as string;
  } catch (err) {
    throw new BadRequestError(`The model's chat template rejected these messages: ${(err as Error).message}`, { param: 'messages' });
  }
}

/** OpenAI tool definitions are already the shape HF templates take (`{type, function}`). */
export function toTemplateTools(tools: Tool[] | undefined): Array<Record<string, unknown>> | undefined {
  const fns = tools?.filter((t) => t.type === 'function');
  return fns?.length ? fns : undefined;
}


function userContent(content: Extract<ChatMessage, { role: 'user' }>['content'], keepMediaParts: boolean) {
  if (typeof content === 'string' || !keepMediaParts) return messageText(content);
  return content.map((p) => {
    if (p.type === 'text') return { type: 'text', text: p.text };
    if (p.type === 'image_url') return { type: 'image' };
    if (p.type === 'input_audio') return { type: 'audio' };
    if (p.type === 'video_url') return { type: 'video' };
    return { type: 'text', text: '' };
  });
}

function parseArguments(args: string): unknown {
  try {
    return JSON.parse(args);
  } catch {
    return args;
  }
}

function withName<T extends TemplateMessage>(message: T, name: string | null | undefined): T {
  if (name) message.name = name;
  return message;
}
