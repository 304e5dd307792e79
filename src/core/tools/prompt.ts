import type { ChatMessage, Tool } from '../../protocol/chat.js';

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
export function defaultToolPrompt(tools: Tool[]): string {
  return [
    '# Tools',
    '',
    'You may call one or more functions to assist with the user query.',
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
export function withDefaultToolPrompt(messages: ChatMessage[], tools: Tool[]): ChatMessage[] {
  const prompt = defaultToolPrompt(tools);
  const out: ChatMessage[] = [];
  const first = messages[0];
  let rest = messages;
  if (first && (first.role === 'system' || first.role === 'developer')) {
    out.push({ role: 'system', content: `${textOf(first.content)}\n\n${prompt}` });
    rest = messages.slice(1);
  } else {
    out.push({ role: 'system', content: prompt });
  }
  for (const m of rest) {
    if (m.role === 'assistant' && (m.tool_calls?.length || m.function_call)) {
      const calls = (m.tool_calls ?? []).flatMap((c) => (c.type === 'function' ? [c.function] : []));
      if (m.function_call) calls.push(m.function_call);
      const blocks = calls.map((c) => `<tool_call>\n${JSON.stringify({ name: c.name, arguments: parseJson(c.arguments) })}\n</tool_call>`);
      const text = textOf(m.content ?? '');
      out.push({ role: 'assistant', content: [text, ...blocks].filter(Boolean).join('\n') });
    } else if (m.role === 'tool' || m.role === 'function') {
      const block = `<tool_response>\n${m.role === 'tool' ? textOf(m.content) : m.content ?? ''}\n</tool_response>`;
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

function textOf(content: string | Array<{ type: string; text?: string; refusal?: string }>): string {
  if (typeof content === 'string') return content;
  return content.map((p) => p.text ?? p.refusal ?? '').join('');
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
