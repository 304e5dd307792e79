import type { InitProgressReport } from '@mlc-ai/web-llm';
import type { LoadProgress } from '../../protocol/models.js';

/**
 * web-llm's init reports (`{ progress, timeElapsed, text }`, where `progress` restarts at
 * 0 for each stage) -> our LoadProgress: one monotonic 0..1 over the whole load, the phase,
 * and bytes where web-llm's text gives them (it reports whole MiB, so `loaded` and `total`
 * are exact to 1 MiB).
 *
 * Stages and their share of the bar: downloading weights 0-0.8, loading them from the
 * cache onto the GPU 0.8-0.95 (0-0.9 when nothing had to be downloaded), compiling
 * shaders the rest.
 */
const MiB = 1 << 20;

export function progressMapper(model: string, emit: (p: LoadProgress) => void): (report: InitProgressReport) => void {
  let downloaded = false;
  let last = 0;
  return (report) => {
    const text = report.text ?? '';
    const fraction = Number.isFinite(report.progress) ? Math.min(1, Math.max(0, report.progress)) : null;
    const mbs = /(\d+)MB (?:fetched|loaded)/.exec(text);
    const shard = /\[(\d+)\/(\d+)\]/.exec(text);
    let phase: LoadProgress['phase'] = 'init';
    let overall: number | null = null;
    let bytes: { loaded: number; total: number | null } | null = null;

    if (/^Fetching param cache/.test(text) || /^Start to fetch params/.test(text)) {
      if (/^Fetching/.test(text)) downloaded = true;
      phase = 'download';
      overall = fraction === null ? null : 0.8 * fraction;
    } else if (/^Loading model from cache/.test(text)) {
      overall = fraction === null ? null : downloaded ? 0.8 + 0.15 * fraction : 0.9 * fraction;
    } else if (/^Loading GPU shader modules/.test(text)) {
      const start = downloaded ? 0.95 : 0.9;
      overall = fraction === null ? null : start + (1 - start) * fraction;
    } else if (/^Finish loading/.test(text)) {
      overall = 1;
    }
    if (mbs) {
      const loaded = Number(mbs[1]) * MiB;
      bytes = { loaded, total: fraction && fraction > 0 ? Math.round(loaded / fraction / MiB) * MiB : null };
    }
    if (overall !== null) last = Math.max(last, overall);
    emit({
      model,
      phase,
      progress: overall === null ? null : last,
      loaded: bytes?.loaded ?? null,
      total: bytes?.total ?? null,
      file: shard ? `shard ${shard[1]}/${shard[2]}` : null,
      text,
    });
  };
}
