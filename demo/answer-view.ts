/**
 * What the playground shows under a generated answer: its reasoning (folded), its tool
 * calls with a way to answer each, its tokens with their logprobs (on hover or focus) and
 * its figures with the tokens-over-time chart.
 */
import type { TokenLogprob, ToolCall, TurnFigures } from './conversation.js';
import { el } from './dom.js';
import { figuresBlock } from './figures.js';
import { turnFrom, type RunResult } from './run.js';

export interface AnswerParts {
  reasoning?: string;
  tool_calls?: ToolCall[];
  logprobs?: TokenLogprob[];
  figures?: TurnFigures;
  alternatives?: string[];
}

function logprobTitle(t: TokenLogprob): string {
  const top = (t.top_logprobs ?? []).map((x) => `${JSON.stringify(x.token)} ${x.logprob.toFixed(3)}`).join(', ');
  return `${JSON.stringify(t.token)}: logprob ${t.logprob.toFixed(3)} (p ${(Math.exp(t.logprob) * 100).toFixed(1)}%)${top ? `; top: ${top}` : ''}`;
}

function tokensView(logprobs: TokenLogprob[]): HTMLElement {
  const list = el('p', { className: 'tokens' });
  list.setAttribute('aria-label', 'Tokens with their logprobs');
  for (const t of logprobs) {
    const span = el('span', { className: 'token', textContent: t.token, title: logprobTitle(t), tabIndex: 0 });
    span.setAttribute('aria-label', logprobTitle(t));
    // Darker for less likely tokens.
    span.style.setProperty('--p', String(Math.exp(t.logprob)));
    list.append(span);
  }
  return list;
}

function toolCallView(call: ToolCall, onAnswer?: (call: ToolCall, result: string) => void): HTMLElement {
  const row = el('div', { className: 'tool-call' }, el('code', { textContent: `${call.function.name}(${call.function.arguments})` }));
  if (onAnswer) {
    const input = el('input', { placeholder: 'result, e.g. {"temp": 21}' });
    input.setAttribute('aria-label', `Result of ${call.function.name} (${call.id})`);
    const send = el('button', { type: 'button', className: 'answer-tool', textContent: 'Answer' });
    send.addEventListener('click', () => onAnswer(call, input.value));
    input.addEventListener('keydown', (e) => { if (e.key === 'Enter') { e.preventDefault(); send.click(); } });
    row.append(input, send);
  }
  return row;
}

export function answerDetails(parts: AnswerParts, onAnswerTool?: (call: ToolCall, result: string) => void): HTMLElement {
  const box = el('div', { className: 'answer-details' });
  if (parts.reasoning) {
    box.append(el('details', { className: 'reasoning' }, el('summary', { textContent: 'Reasoning' }), el('div', { textContent: parts.reasoning })));
  }
  parts.alternatives?.forEach((text, i) => box.append(el('p', { className: 'alternative', textContent: `Choice ${i + 1}: ${text}` })));
  for (const call of parts.tool_calls ?? []) box.append(toolCallView(call, onAnswerTool));
  if (parts.logprobs?.length) box.append(tokensView(parts.logprobs));
  if (parts.figures) box.append(figuresBlock(parts.figures));
  return box;
}

/** The live view of one answer: its text, what else the model did, its figures. */
export function liveAnswer(into: HTMLElement, title?: string) {
  const text = el('div', { className: 'answer-text' });
  const details = el('div');
  into.replaceChildren(...(title ? [el('h3', { textContent: title })] : []), text, details);
  let frame = 0;
  return (result: RunResult) => {
    // The text as it comes (token by token); the rest at most once per frame.
    text.textContent = result.choices.map((c, i) => (result.choices.length > 1 ? `[${i}] ${c.content}` : c.content)).join('\n\n');
    if (frame) return;
    frame = requestAnimationFrame(() => {
      frame = 0;
      details.replaceChildren(answerDetails(turnFrom(result)), ...(result.error ? [el('p', { className: 'error', textContent: result.error })] : []));
    });
  };
}
