/**
 * Compare: the same conversation answered by two sides (two models, or two settings of
 * one), each in its own pane with its figures, and a Keep button that makes it the answer.
 * One after the other: the engine serves one request at a time, so both get it to themselves
 * and their TTFT and tok/s compare fairly.
 */
import { liveAnswer } from './answer-view.js';
import { el } from './dom.js';
import type { RunResult } from './run.js';

export interface CompareSide {
  side: string;
  title: string;
  run(view: (result: RunResult) => void): Promise<RunResult>;
}

export async function compareSides(into: HTMLElement, sides: CompareSide[], signal: AbortSignal, keep: (result: RunResult) => void): Promise<void> {
  const panes = sides.map((s) => {
    const pane = el('section', { className: 'pane' });
    pane.dataset.side = s.side;
    pane.setAttribute('aria-label', `Answer ${s.side.toUpperCase()}`);
    return { ...s, pane, view: liveAnswer(pane, s.title) };
  });
  into.replaceChildren(...panes.map((p) => p.pane));
  for (const p of panes) {
    if (signal.aborted) break;
    const result = await p.run(p.view);
    const button = el('button', { type: 'button', className: 'quiet small keep', textContent: `Keep ${p.side.toUpperCase()}` });
    button.addEventListener('click', () => keep(result));
    p.pane.append(button);
    p.pane.dataset.state = result.state;
  }
}
