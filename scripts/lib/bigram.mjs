/**
 * Bigram weights over a weighted chat corpus, the heart of every tiny test model:
 * W[a][b] = log(count(a->b) + BACKOFF * P_unigram(b) + EPSILON), so greedy decoding
 * follows the corpus while every token keeps a finite log-probability.
 */
import { decodeTokens } from './bytelevel-bpe.mjs';

const BACKOFF = 0.5; // weight of the unigram back-off distribution in every row
const EPSILON = 1e-4; // floor so every token keeps a finite log-probability

/** `corpus`: [weight, text] pairs; each text is encoded and framed by `start` and `eos`. */
export function bigramLogCounts({ V, corpus, encode, start, eos }) {
  const counts = Array.from({ length: V }, () => new Float64Array(V));
  const unigram = new Float64Array(V);
  for (const [w, text] of corpus) {
    const ids = [start, ...encode(text), eos];
    for (let i = 0; i + 1 < ids.length; i++) {
      counts[ids[i]][ids[i + 1]] += w;
      unigram[ids[i + 1]] += w;
    }
  }
  const total = unigram.reduce((a, b) => a + b, 0);
  const W = new Float32Array(V * V);
  for (let a = 0; a < V; a++) {
    for (let b = 0; b < V; b++) W[a * V + b] = Math.log(counts[a][b] + BACKOFF * (unigram[b] / total) + EPSILON);
  }
  return W;
}

/**
 * Self-check: greedy decoding from `start` must give `answer` then `eos`, every step winning
 * by at least log(1.5) so float noise in ORT cannot flip it. `row(id)` gives the next-token
 * logits after `id`; `what` names the model (and case) in errors. Returns answer ids + eos.
 */
export function assertGreedyAnswer({ tok, row, start, eos, answer, what }) {
  const V = tok.size;
  const expected = [...tok.encode(answer), eos];
  const chain = [];
  let cur = start;
  // Past the expected length the chain is wrong anyway.
  for (let step = 0; step < expected.length && cur !== eos; step++) {
    const r = row(cur);
    let best = 0, second = -Infinity;
    for (let b = 1; b < V; b++) if (r[b] > r[best]) best = b;
    for (let b = 0; b < V; b++) if (b !== best && r[b] > second) second = r[b];
    if (r[best] - second < Math.log(1.5)) throw new Error(`${what}: weak greedy margin after ${tok.tokens[cur]}`);
    chain.push(best);
    cur = best;
  }
  if (JSON.stringify(chain) !== JSON.stringify(expected)) {
    throw new Error(`${what}: greedy chain ${JSON.stringify(chain.map((i) => tok.tokens[i]))} != ${JSON.stringify(answer)}`);
  }
  if (decodeTokens(expected.slice(0, -1).map((i) => tok.tokens[i])) !== answer) throw new Error(`${what}: decode mismatch for ${answer}`);
  return expected;
}
