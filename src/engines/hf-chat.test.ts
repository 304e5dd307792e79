import { describe, expect, it } from 'vitest';
import type { ChatMessage } from '../protocol/chat.js';
import { toTemplateMessages } from './hf-chat.js';

describe('toTemplateMessages', () => {
  it('keeps a tool message\'s name (sent by LangChain) for templates that render it, and leaves it out when absent', () => {
    const messages: ChatMessage[] = [
      { role: 'tool', content: '{"temp":21}', tool_call_id: 'call_1', name: 'get_weather' },
      { role: 'tool', content: [{ type: 'text', text: '22' }], tool_call_id: 'call_2' },
    ];
    expect(toTemplateMessages(messages)).toEqual([
      { role: 'tool', content: '{"temp":21}', tool_call_id: 'call_1', name: 'get_weather' },
      { role: 'tool', content: '22', tool_call_id: 'call_2' },
    ]);
  });
});
