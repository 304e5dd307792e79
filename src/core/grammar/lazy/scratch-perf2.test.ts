import { it } from 'vitest';
import { BENCH_MID_SCHEMA, BENCH_MID_INSTANCE } from '../../../../bench/measure.js';
import { syntheticVocab, byteIds } from '../../../../bench/structured.js';
import { useXGrammarInNode } from '../../../../tests/support/xgrammar-node.js';
import { lowerSchema, validateConstraint } from '../constraint.js';
import { compileLazy } from './index.js';
useXGrammarInNode();
it('perf', async () => {
  const vocab = syntheticVocab(151936);
  const grammar = await lowerSchema(BENCH_MID_SCHEMA);
  const facts = await validateConstraint({ type: 'grammar', grammar });
  const g = await compileLazy(vocab, () => vocab, facts.normalized!, { budgetMs: 50000 });
  const p = (g as any).parser;
  const m = g.matcher();
  const ids = byteIds(vocab, BENCH_MID_INSTANCE);
  let text = '';
  for (const id of ids) {
    const c0 = p.configs;
    const t0 = performance.now();
    const mask = m.nextSync();
    const dt = performance.now() - t0;
    let n = 0; for (const w of mask) { let x = w >>> 0; while (x) { n += x & 1; x >>>= 1; } }
    if (dt > 3) console.log(JSON.stringify(text.slice(-30)), 'ms', dt.toFixed(1), 'new configs', p.configs - c0, 'allowed', n);
    text += vocab.tokens[id];
    m.accept(id);
  }
  console.log('configs', p.configs, 'stacks', p.stacks);
}, 300000);
