/**
 * The playground's conversation as data: a system prompt and editable turns, kept in
 * localStorage across reloads, and converted to and from OpenAI's `messages` JSON (for
 * requests, export and import). No DOM here.
 */
import type { ChatMessage } from '../src/client/index.js';

export type TurnRole = 'user' | 'assistant' | 'tool';

/** A file the user attached, kept as a data: URL (the request sends it as such). */
export interface Attachment {
  kind: 'image' | 'audio';
  name: string;
  dataUrl: string;
  /** Audio only: what `input_audio.format` says. */
  format?: 'wav' | 'mp3';
}

export interface ToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

/** What a generated answer measured (shown under it; not part of the exported JSON). */
export interface TurnFigures {
  model: string;
  ttftMs: number | null;
  tokPerS: number | null;
  /** The answer arrived in one batch: tokPerS is over the whole request, TTFT included. */
  oneBatch?: boolean;
  promptTokens: number | null;
  completionTokens: number | null;
  finish: string | null;
  /** Arrival time (ms after the request) of each streamed token: the chart. */
  timeline: number[];
}

export interface TokenLogprob {
  token: string;
  logprob: number;
  top_logprobs?: Array<{ token: string; logprob: number }>;
}

export interface Turn {
  role: TurnRole;
  content: string;
  attachments?: Attachment[];
  tool_calls?: ToolCall[];
  tool_call_id?: string;
  reasoning?: string;
  figures?: TurnFigures;
  logprobs?: TokenLogprob[];
  /** With n > 1: the other choices' texts (the message is choice 0). */
  alternatives?: string[];
}

export interface Conversation {
  system: string;
  turns: Turn[];
}

const KEY = 'webinfer-playground:conversation';

export function emptyConversation(): Conversation {
  return { system: '', turns: [] };
}

export function loadConversation(storage: Storage = localStorage): Conversation {
  try {
    const saved = JSON.parse(storage.getItem(KEY) ?? 'null') as Conversation | null;
    if (saved && typeof saved.system === 'string' && Array.isArray(saved.turns)) return saved;
  } catch { /* a damaged entry: start afresh */ }
  return emptyConversation();
}

/** Saves; a conversation over the storage quota (big attachments) is kept without them. */
export function saveConversation(conversation: Conversation, storage: Storage = localStorage): void {
  try {
    storage.setItem(KEY, JSON.stringify(conversation));
  } catch {
    const lean = { ...conversation, turns: conversation.turns.map(({ attachments: _, ...t }) => t) };
    try { storage.setItem(KEY, JSON.stringify(lean)); } catch { /* nothing more to drop */ }
  }
}

function attachmentPart(a: Attachment) {
  if (a.kind === 'image') return { type: 'image_url' as const, image_url: { url: a.dataUrl } };
  return { type: 'input_audio' as const, input_audio: { data: a.dataUrl.slice(a.dataUrl.indexOf(',') + 1), format: a.format ?? 'wav' } };
}

/** The OpenAI `messages` array: what a request sends and what Export writes. */
export function toMessages(conversation: Conversation): ChatMessage[] {
  const messages: ChatMessage[] = [];
  if (conversation.system.trim()) messages.push({ role: 'system', content: conversation.system });
  for (const turn of conversation.turns) {
    if (turn.role === 'tool') {
      messages.push({ role: 'tool', tool_call_id: turn.tool_call_id ?? '', content: turn.content });
    } else if (turn.role === 'assistant') {
      messages.push({
        role: 'assistant',
        content: turn.content || (turn.tool_calls?.length ? null : ''),
        ...(turn.tool_calls?.length ? { tool_calls: turn.tool_calls } : {}),
      } as ChatMessage);
    } else if (turn.attachments?.length) {
      messages.push({ role: 'user', content: [{ type: 'text', text: turn.content }, ...turn.attachments.map(attachmentPart)] } as ChatMessage);
    } else {
      messages.push({ role: 'user', content: turn.content });
    }
  }
  return messages;
}

function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content.filter((p) => p?.type === 'text').map((p) => String(p.text)).join('\n');
}

function attachmentsOf(content: unknown): Attachment[] {
  if (!Array.isArray(content)) return [];
  return content.flatMap((p, i): Attachment[] => {
    if (p?.type === 'image_url') return [{ kind: 'image', name: `image ${i}`, dataUrl: String(p.image_url?.url ?? '') }];
    if (p?.type === 'input_audio') {
      const format = p.input_audio?.format === 'mp3' ? 'mp3' : 'wav';
      return [{ kind: 'audio', name: `audio ${i}`, format, dataUrl: `data:audio/${format === 'mp3' ? 'mpeg' : 'wav'};base64,${p.input_audio?.data ?? ''}` }];
    }
    return [];
  });
}

/**
 * Reads an OpenAI `messages` array (Import). System and developer messages become the
 * system prompt; a wrong shape throws with the index that is wrong.
 */
export function fromMessages(json: unknown): Conversation {
  const list = Array.isArray(json) ? json : (json as { messages?: unknown } | null)?.messages;
  if (!Array.isArray(list)) throw new Error('Expected a JSON array of messages (or an object with "messages").');
  const conversation = emptyConversation();
  const system: string[] = [];
  list.forEach((m, i) => {
    const role = (m as { role?: unknown } | null)?.role;
    if (role === 'system' || role === 'developer') system.push(textOf(m.content));
    else if (role === 'user') {
      const attachments = attachmentsOf(m.content);
      conversation.turns.push({ role, content: textOf(m.content), ...(attachments.length ? { attachments } : {}) });
    } else if (role === 'assistant') {
      conversation.turns.push({ role, content: textOf(m.content), ...(Array.isArray(m.tool_calls) ? { tool_calls: m.tool_calls } : {}) });
    } else if (role === 'tool') conversation.turns.push({ role, content: textOf(m.content), tool_call_id: String(m.tool_call_id ?? '') });
    else throw new Error(`messages[${i}].role must be system, developer, user, assistant or tool.`);
  });
  conversation.system = system.join('\n\n');
  return conversation;
}
