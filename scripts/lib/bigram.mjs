/**
 * Bigram weights over a weighted chat corpus, the heart of every tiny test model:
 * W[a][b] = log(count(a->b) + BACKOFF * P_unigram(b) + EPSILON), so greedy decoding
 * follows the corpus while every token keeps a finite log-probability.
 */
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
