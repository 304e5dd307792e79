import { it } from 'vitest';
import { createRequire } from 'node:module';
const require = createRequire(import.meta.url);
import { BENCH_MID_SCHEMA, BENCH_MID_INSTANCE } from '../../../../bench/measure.js';
import { syntheticVocab, greedyIds } from '../../../../bench/structured.js';
import { useXGrammarInNode } from '../../../../tests/support/xgrammar-node.js';
import { lowerSchema, validateConstraint } from '../constraint.js';
import { compileLazy } from './index.js';
useXGrammarInNode();
it('perf', async () => {
  const j = JSON.parse(require('fs').readFileSync('/work/wt/realmodels/public/models/bench-0.5b/tokenizer.json','utf8')); const tokens: string[] = []; for (const [t, id] of Object.entries(j.model.vocab as Record<string, number>)) tokens[id] = t; for (const a of j.added_tokens) tokens[a.id] = a.special ? '' : a.content; for (let i = 0; i < tokens.length; i++) tokens[i] ??= ''; const vocab = { tokens, vocabType: 'byte_level' as const, prependSpace: false, vocabSize: 151936, stopTokenIds: [151643] };
  const grammar = await lowerSchema(BENCH_MID_SCHEMA);
  const facts = await validateConstraint({ type: 'grammar', grammar });
  const g = await compileLazy(vocab, () => vocab, [{ text: grammar, root: "root" }, facts.normalized!], { budgetMs: 50000 });
  const p = (g as any).parser;
  const m = g.matcher();
  const ids = greedyIds(vocab, BENCH_MID_INSTANCE);
  let text = '';
  for (const id of ids) {
    const c0 = p.configs;
    const t0 = performance.now();
    const mask = m.nextSync();
    const dt = performance.now() - t0;
    let n = 0; for (const w of mask) { let x = w >>> 0; while (x) { n += x & 1; x >>>= 1; } }
    if (dt > 1) console.log(JSON.stringify(text.slice(-30)), 'ms', dt.toFixed(1), 'new configs', p.configs - c0, 'allowed', n);
    text += vocab.tokens[id];
    m.accept(id);
  }
  console.log('configs', p.configs, 'stacks', p.stacks);
}, 300000);
