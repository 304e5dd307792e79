import type { SamplingParams, TokenAlternative } from './engine.js';
import type { Rng } from './rng.js';

/**
 * Turns one step's logits into the next token. Engines that expose logits call this, so
 * every backend gets the same sampling semantics, seeds and logprobs.
 */

export interface SamplerOptions {
  params: SamplingParams;
  rng: Rng;
  eosIds: readonly number[];
  minTokens: number;
  ignoreEos: boolean;
  /** Alternatives to report per token; null = no logprobs. */
  topLogprobs: number | null;
  /** Prompt ids: the repetition penalty looks at them too (HF semantics). */
  promptIds: readonly number[];
}

export interface SampledToken {
  id: number;
  logprob?: number;
  /** Top alternatives as ids; the engine turns them into text. */
  top?: Array<Omit<TokenAlternative, 'text'>>;
}

export class Sampler {
  private readonly counts = new Map<number, number>();
  private readonly seen: Set<number>;
  private step = 0;

  constructor(private readonly opts: SamplerOptions) {
    this.seen = new Set(opts.promptIds);
  }

  /**
   * Picks the next token. `logits` is modified in place. `allowed` is a grammar's token
   * bitmask (bit i of word i >> 5 set = token i allowed; see TokenMask).
   */
  sample(logits: Float32Array, allowed?: Int32Array | null): SampledToken {
    const { params, topLogprobs } = this.opts;
    // Logprobs are the model's own distribution, before any processing (vLLM's default).
    const report = topLogprobs === null ? undefined : logSoftmaxStats(logits);

    if (allowed) applyTokenMask(logits, allowed);
    const eosBefore = allowed ? this.opts.eosIds.map((id) => logits[id]!) : null;
    this.applyBiasAndPenalties(logits);
    // The grammar is complete and allows only the end, which min_tokens / ignore_eos
    // suppressed: the grammar wins (the alternative is output that breaks it).
    if (eosBefore && !hasFinite(logits)) this.opts.eosIds.forEach((id, i) => { logits[id] = eosBefore[i]!; });
    const id = params.temperature === 0 || params.topK === 1 ? argmax(logits) : this.draw(logits);

    this.step++;
    this.counts.set(id, (this.counts.get(id) ?? 0) + 1);
    this.seen.add(id);
    if (!report) return { id };
    return {
      id,
      logprob: report.logprob(id),
      top: topIds(report.raw, topLogprobs!).map((t) => ({ id: t, logprob: report.logprob(t) })),
    };
  }

  private applyBiasAndPenalties(logits: Float32Array): void {
    const { params, eosIds, minTokens, ignoreEos } = this.opts;
    for (const [id, bias] of params.logitBias) if (id < logits.length) logits[id]! += bias;
    if (ignoreEos || this.step < minTokens) for (const id of eosIds) logits[id] = -Infinity;
    const rp = params.repetitionPenalty;
    if (rp !== 1) {
      for (const id of this.seen) {
        const v = logits[id]!;
        logits[id] = v > 0 ? v / rp : v * rp;
      }
    }
    if (params.presencePenalty !== 0 || params.frequencyPenalty !== 0) {
      for (const [id, count] of this.counts) {
        logits[id]! -= params.presencePenalty + params.frequencyPenalty * count;
      }
    }
  }

  private draw(logits: Float32Array): number {
    const { params, rng } = this.opts;
    const n = logits.length;
    const probs = new Float32Array(n);
    let max = -Infinity;
    for (let i = 0; i < n; i++) if (logits[i]! > max) max = logits[i]!;
    let sum = 0;
    const invT = 1 / params.temperature;
    for (let i = 0; i < n; i++) {
      const p = Math.exp((logits[i]! - max) * invT);
      probs[i] = p;
      sum += p;
    }
    for (let i = 0; i < n; i++) probs[i]! /= sum;

    const candidates = nucleus(probs, params);
    let total = 0;
    for (const i of candidates) total += probs[i]!;
    let r = rng() * total;
    for (const i of candidates) {
      r -= probs[i]!;
      if (r <= 0) return i;
    }
    return candidates[candidates.length - 1]!;
  }
}

/** The candidate ids after top-k, min-p and top-p, most likely first. */
function nucleus(probs: Float32Array, params: SamplingParams): Uint32Array {
  const n = probs.length;
  let maxP = 0;
  for (let i = 0; i < n; i++) if (probs[i]! > maxP) maxP = probs[i]!;
  // min_p keeps tokens at least min_p times as likely as the best one.
  const floor = params.minP > 0 ? params.minP * maxP : 0;
  const k = params.topK > 0 ? Math.min(params.topK, n) : n;
  const topP = params.topP;
  if (k === n && topP >= 1) return indicesAtLeast(probs, floor);

  // Only likely tokens can be in the nucleus: find a threshold whose candidates already
  // hold top_p of the mass (or k tokens; either bounds the prefix taken below), then sort
  // just those instead of the vocab.
  let threshold = Math.max(floor, maxP * 1e-3);
  for (;;) {
    const ids = indicesAtLeast(probs, threshold);
    let mass = 0;
    for (const i of ids) mass += probs[i]!;
    if (mass >= topP || ids.length >= k || threshold <= floor) {
      const sorted = Array.from(ids).sort((a, b) => probs[b]! - probs[a]!);
      const out: number[] = [];
      let acc = 0;
      for (const i of sorted) {
        // The most likely token is always a candidate (top_p = 0 is greedy, not empty).
        if (out.length >= k || (acc >= topP && out.length > 0)) break;
        out.push(i);
        acc += probs[i]!;
      }
      return Uint32Array.from(out);
    }
    threshold = threshold < 1e-30 ? floor : Math.max(floor, threshold / 1000);
  }
}

function indicesAtLeast(probs: Float32Array, threshold: number): Uint32Array {
  const out: number[] = [];
  for (let i = 0; i < probs.length; i++) if (probs[i]! > 0 && probs[i]! >= threshold) out.push(i);
  return Uint32Array.from(out);
}

/** Sets every token the bitmask does not allow to -Infinity. */
export function applyTokenMask(logits: Float32Array, allowed: Int32Array): void {
  const n = logits.length;
  for (let word = 0; word * 32 < n; word++) {
    const bits = word < allowed.length ? allowed[word]! : 0;
    if (bits === -1) continue;
    const end = Math.min(n, word * 32 + 32);
    for (let i = word * 32; i < end; i++) if (((bits >>> (i & 31)) & 1) === 0) logits[i] = -Infinity;
  }
}

function hasFinite(values: Float32Array): boolean {
  for (let i = 0; i < values.length; i++) if (values[i]! > -Infinity) return true;
  return false;
}

export function argmax(values: ArrayLike<number>): number {
  let best = 0;
  let bestValue = -Infinity;
  for (let i = 0; i < values.length; i++) {
    if (values[i]! > bestValue) { bestValue = values[i]!; best = i; }
  }
  return best;
}

function logSoftmaxStats(logits: Float32Array) {
  const raw = Float32Array.from(logits);
  let max = -Infinity;
  for (let i = 0; i < raw.length; i++) if (raw[i]! > max) max = raw[i]!;
  let sum = 0;
  for (let i = 0; i < raw.length; i++) sum += Math.exp(raw[i]! - max);
  const logZ = max + Math.log(sum);
  return { raw, logprob: (id: number) => raw[id]! - logZ };
}

/** Ids of the k largest values, largest first (k is small: at most 20). */
function topIds(values: Float32Array, k: number): number[] {
  if (k <= 0) return [];
  const ids: number[] = [];
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (ids.length === k && v <= values[ids[k - 1]!]!) continue;
    let pos = ids.length === k ? k - 1 : ids.length;
    if (ids.length < k) ids.push(i);
    while (pos > 0 && values[ids[pos - 1]!]! < v) { ids[pos] = ids[pos - 1]!; pos--; }
    ids[pos] = i;
  }
  return ids;
}
