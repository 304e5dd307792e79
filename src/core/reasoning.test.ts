import { describe, expect, it } from 'vitest';
import { DEFAULT_REASONING_TAGS, opensInPrompt, ReasoningParser, reasoningTags } from './reasoning.js';

function run(text: string, size: number, startInside = false) {
  const parser = new ReasoningParser(DEFAULT_REASONING_TAGS, startInside ? DEFAULT_REASONING_TAGS[0]! : null);
  const events = [];
  for (let i = 0; i < text.length; i += size) events.push(...parser.push(text.slice(i, i + size)));
  events.push(...parser.finish());
  return {
    reasoning: events.filter((e) => e.type === 'reasoning').map((e) => e.text).join(''),
    content: events.filter((e) => e.type === 'content').map((e) => e.text).join(''),
  };
}

describe('reasoning parser', () => {
  it.each([1, 2, 5, 100])('Qwen3 <think> block -> reasoning_content (pieces of %i)', (size) => {
    expect(run('<think>\nThe user greets me. I greet back.\n</think>\n\nHello!', size)).toEqual({
      reasoning: 'The user greets me. I greet back.',
      content: 'Hello!',
    });
  });

  it('DeepSeek-R1 distills: the template opens the block, the reply starts inside it', () => {
    expect(opensInPrompt('<｜Assistant｜><think>\n', DEFAULT_REASONING_TAGS)).toEqual(DEFAULT_REASONING_TAGS[0]);
    expect(run('Let me think: 2+2=4.\n</think>\n\nThe answer is 4.', 3, true)).toEqual({ reasoning: 'Let me think: 2+2=4.', content: 'The answer is 4.' });
  });

  it('Magistral [THINK] blocks', () => {
    expect(run('[THINK]short[/THINK]Answer', 4)).toEqual({ reasoning: 'short', content: 'Answer' });
  });

  it('a reply without a block is content, unchanged', () => {
    expect(run('  Hello <think>not at the start</think>', 3)).toEqual({ reasoning: '', content: '  Hello <think>not at the start</think>' });
    expect(run('<b>bold</b>', 1)).toEqual({ reasoning: '', content: '<b>bold</b>' });
  });

  it('an unfinished block (max_tokens) is all reasoning', () => {
    expect(run('<think>still thinking', 4)).toEqual({ reasoning: 'still thinking', content: '' });
  });

  it('reads the tags from the template', () => {
    expect(reasoningTags('{% if x %}[THINK]{{ r }}[/THINK]{% endif %}')).toEqual([DEFAULT_REASONING_TAGS[1]]);
    expect(reasoningTags(null)).toEqual(DEFAULT_REASONING_TAGS);
  });
});
