import type { ChatCompletionMessageParam } from '@mlc-ai/web-llm';
// Not re-exported by web-llm's index; types only.
import type { ConvTemplateConfig } from '@mlc-ai/web-llm/lib/config';
import type { ChatMessage } from '../../protocol/chat.js';
import { BadRequestError } from '../../protocol/errors.js';
import { messageText } from '../../core/message-text.js';
import { assistantWithCalls, toolResponse } from '../../core/tools/prompt.js';

/**
 * OpenAI messages -> the messages web-llm accepts, and the exact prompt web-llm will
 * build from them with the model's conversation template (`conv_template` of
 * `mlc-chat-config.json`), so core knows the prompt's token count before generation.
 *
 * web-llm renders its own templates (not Jinja) and refuses some conversations OpenAI
 * allows; those are 400s here, before the first chunk: a system message after the first
 * message, a conversation that does not end with a user or tool message (no assistant
 * prefill), a role the template lacks.
 *
 * web-llm's templates do not render tool definitions (its own `tools` field works for
 * five Hermes models only), so `PromptInput.tools` changes nothing here: core sees the
 * same prompt with and without them and falls back to its default tool prompt
 * (src/core/tools/prompt.ts). Tool traffic that still arrives as messages is written the
 * way that prompt teaches: assistant calls as `<tool_call>` blocks, results in the
 * template's `tool` role where it has one, else as a user `<tool_response>`.
 */

export type WebLLMMessage = Extract<ChatCompletionMessageParam, { role: 'system' | 'user' | 'assistant' | 'tool' }>;

export interface ChatPrompt {
  messages: WebLLMMessage[];
  /** `chat_template_kwargs.enable_thinking === false` (Qwen3): web-llm inserts an empty think block. */
  enableThinking?: boolean;
}

/** The template with its `conv_config` overrides applied, as web-llm's `getConversation` does. */
export function effectiveTemplate(template: ConvTemplateConfig, overrides?: Partial<ConvTemplateConfig>): ConvTemplateConfig {
  return { ...template, ...overrides };
}

/**
 * `images`: data URLs of the request's decoded images, keyed `${message}:${part}` (vision
 * models only). A user message with images goes to web-llm as content parts in the user's
 * order, its text parts joined into one (web-llm takes a single text part per message);
 * web-llm's Phi-3.5-vision layout puts a message's images before its text.
 */
export function toWebLLMChat(messages: ChatMessage[], template: ConvTemplateConfig, kwargs?: Record<string, unknown>, images?: Map<string, string>): ChatPrompt {
  const hasTool = 'tool' in (template.roles ?? {});
  const out: WebLLMMessage[] = [];
  const system: string[] = [];
  let leading = true;

  messages.forEach((m, i) => {
    const param = `messages[${i}]`;
    if (m.role === 'system' || m.role === 'developer') {
      if (!leading) {
        throw new BadRequestError(
          `web-llm's conversation templates take system messages only at the start of the conversation; messages[${i}] comes later.`,
          { param, code: 'unsupported_message_order' },
        );
      }
      system.push(messageText(m.content));
      return;
    }
    leading = false;
    switch (m.role) {
      case 'user': {
        const content = m.content as string | Array<{ type: string; text?: string }>;
        const urls = Array.isArray(content) ? content.map((_, j) => images?.get(`${i}:${j}`)) : [];
        if (!urls.some((u) => u !== undefined)) {
          out.push({ role: 'user', content: messageText(content) });
          return;
        }
        const parts: Array<{ type: 'text'; text: string } | { type: 'image_url'; image_url: { url: string } }> = [];
        let text: { type: 'text'; text: string } | null = null;
        (content as Array<{ type: string; text?: string }>).forEach((p, j) => {
          const url = urls[j];
          if (url !== undefined) parts.push({ type: 'image_url', image_url: { url } });
          else if (p.type === 'text') {
            if (text) text.text += p.text ?? '';
            else parts.push((text = { type: 'text', text: p.text ?? '' }));
          }
        });
        out.push({ role: 'user', content: parts });
        return;
      }
      case 'assistant': {
        if (Array.isArray(m.content) && m.content.some((p) => (p as { type: string }).type === 'image_url')) {
          throw new BadRequestError("web-llm takes images in user messages only.", { param, code: 'unsupported_content' });
        }
        out.push({ role: 'assistant', content: assistantWithCalls(m) });
        return;
      }
      case 'tool':
      case 'function': {
        const content = m.role === 'tool' ? messageText(m.content) : m.content ?? '';
        if (hasTool) out.push({ role: 'tool', content, tool_call_id: m.role === 'tool' ? m.tool_call_id : m.name });
        else out.push({ role: 'user', content: toolResponse(content) });
        return;
      }
    }
  });

  if (system.length) out.unshift({ role: 'system', content: system.join('\n\n') });

  const last = out[out.length - 1];
  if (!last || (last.role !== 'user' && last.role !== 'tool')) {
    throw new BadRequestError(
      "web-llm's conversation templates need the conversation to end with a user (or tool) message; continuing an assistant message is not supported.",
      { param: 'messages', code: 'unsupported_message_order' },
    );
  }
  const enableThinking = kwargs?.enable_thinking;
  return { messages: out, ...(enableThinking === false ? { enableThinking: false } : {}) };
}

const PLACEHOLDER = { user: '{user_message}', assistant: '{assistant_message}', tool: '{tool_message}' } as const;
const EMPTY_THINKING = '<think>\n\n</think>\n\n';

/**
 * The prompt pieces web-llm prefills for a fresh conversation, in order: a port of
 * web-llm's `Conversation.getPromptArray` for text messages (including its use of
 * `String.replace`, whose `$` patterns it inherits). web-llm tokenizes each piece on its
 * own and prefixes `system_prefix_token_ids`; tests/webllm checks this port against
 * web-llm's real Conversation.
 */
export function renderPrompt(chat: ChatPrompt, template: ConvTemplateConfig): string[] {
  const t = template;
  if (!t.seps?.length) throw new Error('conv_template has no seps');
  const first = chat.messages[0];
  const systemMessage = first?.role === 'system' ? (first.content as string) : t.system_message;
  const systemPrompt = systemMessage === '' && t.render_empty_system_message === false ? '' : t.system_template.replace('{system_message}', systemMessage);
  const ret: string[] = systemPrompt !== '' ? [systemPrompt] : [];
  const turns: Array<[role: 'user' | 'assistant' | 'tool', content: string | undefined]> = [];
  for (const m of chat.messages) {
    if (m.role === 'system') continue;
    turns.push([m.role, messageText(m.content as string | Array<{ type: string; text?: string }>)]);
  }
  turns.push(['assistant', chat.enableThinking === false ? EMPTY_THINKING : undefined]);
  const contentSep = t.role_content_sep || t.role_content_sep === '' ? t.role_content_sep : ': ';
  const emptySep = t.role_empty_sep || t.role_empty_sep === '' ? t.role_empty_sep : ': ';
  turns.forEach(([role, content], i) => {
    const roleStr = t.roles[role as keyof typeof t.roles];
    if (roleStr === undefined) throw new Error(`Role is not supported: ${role}`);
    if (i === turns.length - 1) {
      ret.push(content === undefined ? roleStr + emptySep : roleStr + contentSep + content);
      return;
    }
    let message = t.role_templates?.[role as keyof typeof t.role_templates]?.replace(PLACEHOLDER[role], content ?? '');
    message = message?.replace('{function_string}', '');
    if (message === undefined) message = content ?? '';
    const rolePrefix = t.add_role_after_system_message === false && systemPrompt !== '' && i === 0 ? '' : roleStr + contentSep;
    ret.push(rolePrefix + message + t.seps[i % t.seps.length]);
  });
  return ret;
}

