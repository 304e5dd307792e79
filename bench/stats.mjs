/** Statistics shared by the bench sections: medians, and paired ratios with 95% intervals. */

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Two-sided 95% critical values of Student's t by degrees of freedom (normal beyond 30). */
const T95 = [NaN, 12.71, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131, 2.12, 2.11, 2.101, 2.093, 2.086, 2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042];

/** The geometric mean of per-round ratios of tokens/s, its 95% interval, and the verdict against `target`. */
export function pairedRatio(samples, baseline, target, key = 'decodeTokPerS') {
  const logs = samples.map((s, i) => Math.log(s[key] / baseline[i][key]));
  const { mean, half } = meanInterval(logs);
  const [ratio, lo, hi] = [Math.exp(mean), Math.exp(mean - half), Math.exp(mean + half)];
  const verdict = lo >= target ? 'ok' : hi < target ? 'MISSED' : ratio >= target ? 'ok (interval reaches below)' : 'MISSED (interval reaches above)';
  return { ratio, lo, hi, verdict };
}

/** Mean and the half-width of its 95% confidence interval (Student's t; normal beyond 30 samples). */
export function meanInterval(xs) {
  const n = xs.length;
  const mean = xs.reduce((a, b) => a + b, 0) / n;
  const sd = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1));
  return { mean, half: ((T95[n - 1] ?? 1.96) * sd) / Math.sqrt(n) };
}

