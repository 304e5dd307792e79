import type { ChatMessage, Tool } from '../../protocol/chat.js';
import { messageText } from '../message-text.js';

/**
 * The default tool prompt, for chat templates that ignore `tools` (HF's `tool_prompt`
 * idea, in Qwen2.5's Hermes wording). It goes at the end of the first system message (or
 * into a new one), and the conversation's tool traffic is written the same way:
 *
 *   # Tools
 *
 *   You may call one or more functions to assist with the user query.
 *
 *   You are provided with function signatures within <tools></tools> XML tags:
 *   <tools>
 *   {"type": "function", "function": {...}}      (one line per tool)
 *   </tools>
 *
 *   For each function call, return a json object with function name and arguments within <tool_call></tool_call> XML tags:
 *   <tool_call>
 *   {"name": <function-name>, "arguments": <args-json-object>}
 *   </tool_call>
 *
 * Assistant `tool_calls` become `<tool_call>` blocks in the assistant's content; `tool`
 * results become a user turn of `<tool_response>` blocks.
 */
export const DEFAULT_TOOL_INSTRUCTION = 'You may call one or more functions to assist with the user query.';

/** `instruction`: Hugging Face's `tool_prompt`, in place of the default's first line. */
export function defaultToolPrompt(tools: Tool[], instruction: string | null = null): string {
  return [
    '# Tools',
    '',
    instruction ?? DEFAULT_TOOL_INSTRUCTION,
    '',
    'You are provided with function signatures within <tools></tools> XML tags:',
    '<tools>',
    ...tools.map((t) => JSON.stringify(t)),
    '</tools>',
    '',
    'For each function call, return a json object with function name and arguments within <tool_call></tool_call> XML tags:',
    '<tool_call>',
    '{"name": <function-name>, "arguments": <args-json-object>}',
    '</tool_call>',
  ].join('\n');
}

/** The conversation with the default tool prompt and tool traffic written as text. */
export function withDefaultToolPrompt(messages: ChatMessage[], tools: Tool[], instruction: string | null = null): ChatMessage[] {
  const prompt = defaultToolPrompt(tools, instruction);
  const out: ChatMessage[] = [];
  const first = messages[0];
  let rest = messages;
  if (first && (first.role === 'system' || first.role === 'developer')) {
    out.push({ role: 'system', content: `${messageText(first.content)}\n\n${prompt}` });
    rest = messages.slice(1);
  } else {
    out.push({ role: 'system', content: prompt });
  }
  for (const m of rest) {
    if (m.role === 'assistant' && (m.tool_calls?.length || m.function_call)) {
      out.push({ role: 'assistant', content: assistantWithCalls(m) });
    } else if (m.role === 'tool' || m.role === 'function') {
      const block = toolResponse(m.role === 'tool' ? messageText(m.content) : m.content ?? '');
      const last = out[out.length - 1];
      if (last?.role === 'user' && typeof last.content === 'string' && last.content.startsWith('<tool_response>')) {
        last.content += `\n${block}`;
      } else {
        out.push({ role: 'user', content: block });
      }
    } else {
      out.push(m);
    }
  }
  return out;
}

type AssistantMessage = Extract<ChatMessage, { role: 'assistant' }>;

/** An assistant turn's text followed by its calls, as Hermes `<tool_call>` blocks. */
export function assistantWithCalls(m: AssistantMessage): string {
  const calls = (m.tool_calls ?? []).flatMap((c) => (c.type === 'function' ? [c.function] : []));
  if (m.function_call) calls.push(m.function_call);
  const blocks = calls.map((c) => `<tool_call>\n${JSON.stringify({ name: c.name, arguments: parseJson(c.arguments) })}\n</tool_call>`);
  return [messageText(m.content ?? ''), ...blocks].filter(Boolean).join('\n');
}

/** A tool's result as a Hermes `<tool_response>` block. */
export function toolResponse(content: string): string {
  return `<tool_response>\n${content}\n</tool_response>`;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
