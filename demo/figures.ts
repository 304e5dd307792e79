/**
 * Live figures: an answer's TTFT, tokens/s and token counts with a small chart of tokens
 * over time, and a load's bytes, speed and time left.
 */
import type { LoadProgress } from '../src/client/index.js';
import type { TurnFigures } from './conversation.js';
import { el } from './dom.js';
import { formatBytes } from './models.js';

const SVG = 'http://www.w3.org/2000/svg';


/** "TTFT 12 ms · 85 tok/s · 9 prompt + 13 completion tokens · stop" */
export function figuresText(f: TurnFigures): string {
  return [
    `TTFT ${f.ttftMs === null ? '—' : `${Math.round(f.ttftMs)} ms`}`,
    `${f.tokPerS === null ? '—' : f.tokPerS.toFixed(f.tokPerS < 10 ? 1 : 0)} tok/s${f.oneBatch ? ' (whole request: one batch)' : ''}`,
    `${f.promptTokens ?? '?'} prompt + ${f.completionTokens ?? f.timeline.length} completion tokens`,
    ...(f.finish ? [`finish: ${f.finish}`] : []),
  ].join(' · ');
}

/** Cumulative tokens (y) against time since the request (x), as a small SVG line. */
export function tokenChart(timeline: number[]): SVGSVGElement {
  const w = 160;
  const h = 36;
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('viewBox', `0 0 ${w} ${h}`);
  svg.setAttribute('class', 'chart');
  svg.setAttribute('role', 'img');
  const end = timeline.at(-1) ?? 0;
  svg.setAttribute('aria-label', `${timeline.length} tokens over ${Math.round(end)} ms`);
  if (timeline.length < 2 || end <= 0) return svg;
  const points = [[0, h], ...timeline.map((t, i) => [(t / end) * w, h - ((i + 1) / timeline.length) * h])];
  const line = document.createElementNS(SVG, 'polyline');
  line.setAttribute('points', points.map(([x, y]) => `${x!.toFixed(1)},${y!.toFixed(1)}`).join(' '));
  svg.append(line);
  return svg;
}

/** The figures line and chart under an answer. */
export function figuresBlock(f: TurnFigures): HTMLElement {
  return el('div', { className: 'figures' }, el('span', { className: 'figures-text', textContent: figuresText(f) }), tokenChart(f.timeline));
}

/** Tracks one load: bytes so far, speed since the first byte, time left. */
export function loadMeter() {
  let start = 0;
  let total = 0;
  return (p: LoadProgress): string => {
    const now = performance.now();
    if (p.phase === 'ready' && start && total) return `${formatBytes(total)} in ${((now - start) / 1000).toFixed(1)} s · ${formatBytes(total / Math.max(0.001, (now - start) / 1000))}/s`;
    if (p.phase !== 'download' || !p.total) return p.phase === 'init' ? 'Initializing…' : p.text;
    const loaded = p.loaded ?? 0;
    total = p.total;
    start ||= now;
    const seconds = (now - start) / 1000;
    const speed = seconds > 0.05 ? loaded / seconds : 0;
    const left = speed > 0 ? Math.max(0, (p.total - loaded) / speed) : null;
    return `${formatBytes(loaded)} of ${formatBytes(p.total)}`
      + (speed ? ` · ${formatBytes(speed)}/s` : '')
      + (left !== null ? ` · ${left < 1 ? '<1' : Math.round(left)} s left` : '');
  };
}
