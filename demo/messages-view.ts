/**
 * The conversation as an editable list: each message's role, its text, its attachments
 * and, for answers, what the model did (answer-view.ts); Delete and Regenerate.
 */
import { answerDetails } from './answer-view.js';
import type { Attachment, ToolCall, Turn, TurnRole } from './conversation.js';
import { el } from './dom.js';

export interface TurnActions {
  /** A turn was edited in place (save it). */
  changed(): void;
  /** The list must be drawn again (a turn was removed, or its role changed). */
  rerender(): void;
  /** Drop turn `index` and those after it, and answer again. */
  regenerate(index: number): void;
  answerTool(call: ToolCall, result: string): void;
  canGenerate(): boolean;
}

export function attachmentChip(a: Attachment, onRemove?: () => void): HTMLLIElement {
  const preview = a.kind === 'image'
    ? el('img', { src: a.dataUrl, alt: a.name, className: 'thumb' })
    : el('audio', { src: a.dataUrl, controls: true, className: 'clip' });
  const chip = el('li', { className: 'chip' }, preview, el('span', { textContent: a.name }));
  if (onRemove) {
    const remove = el('button', { type: 'button', className: 'quiet small', textContent: '×' });
    remove.setAttribute('aria-label', `Remove ${a.name}`);
    remove.addEventListener('click', onRemove);
    chip.append(remove);
  }
  return chip;
}

/** One message: its role, its text (editable), its attachments and, for answers, what the model did. */
function turnView(turns: Turn[], turn: Turn, index: number, actions: TurnActions): HTMLLIElement {
  const n = index + 1;
  const role = el('select', { className: 'role' }, ...(['user', 'assistant', 'tool'] as TurnRole[]).map((r) => new Option(r, r, false, r === turn.role)));
  role.setAttribute('aria-label', `Role of message ${n}`);
  role.addEventListener('change', () => { turn.role = role.value as TurnRole; actions.changed(); actions.rerender(); });
  const content = el('textarea', { className: 'content', value: turn.content, rows: Math.min(8, Math.max(1, turn.content.split('\n').length)) });
  content.setAttribute('aria-label', `Message ${n} (${turn.role})`);
  content.addEventListener('input', () => { turn.content = content.value; actions.changed(); });
  const remove = el('button', { type: 'button', className: 'quiet small delete', textContent: 'Delete' });
  remove.setAttribute('aria-label', `Delete message ${n}`);
  remove.addEventListener('click', () => { turns.splice(index, 1); actions.changed(); actions.rerender(); });
  const head = el('div', { className: 'turn-head' }, role);
  if (turn.role === 'tool') {
    const callId = el('input', { className: 'call-id', value: turn.tool_call_id ?? '', placeholder: 'tool_call_id' });
    callId.setAttribute('aria-label', `Tool call id of message ${n}`);
    callId.addEventListener('input', () => { turn.tool_call_id = callId.value; actions.changed(); });
    head.append(callId);
  }
  head.append(el('span', { className: 'spacer' }));
  if (turn.role === 'assistant') {
    const again = el('button', { type: 'button', className: 'quiet small regenerate', textContent: 'Regenerate' });
    again.setAttribute('aria-label', `Regenerate message ${n}`);
    again.disabled = !actions.canGenerate();
    again.addEventListener('click', () => actions.regenerate(index));
    head.append(again);
  }
  head.append(remove);
  const item = el('li', { className: `turn ${turn.role}` }, head, content);
  if (turn.attachments?.length) item.append(el('ul', { className: 'attachments' }, ...turn.attachments.map((a) => attachmentChip(a))));
  if (turn.role === 'assistant') item.append(answerDetails(turn, actions.answerTool));
  return item;
}

export function renderTurns(list: HTMLOListElement, turns: Turn[], actions: TurnActions): void {
  list.replaceChildren(...turns.map((turn, i) => turnView(turns, turn, i, actions)));
}
