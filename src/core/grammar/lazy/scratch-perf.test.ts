import { it } from 'vitest';
import { createRequire } from 'node:module';
const require = createRequire(import.meta.url);
import { BENCH_MID_SCHEMA, BENCH_MID_INSTANCE } from '../../../../bench/measure.js';
import { syntheticVocab, greedyIds } from '../../../../bench/structured.js';
import { useXGrammarInNode } from '../../../../tests/support/xgrammar-node.js';
import { lowerSchema, validateConstraint } from '../constraint.js';
import { compileLazy } from './index.js';
import { buildTrie } from './trie.js';
useXGrammarInNode();
it('perf', async () => {
  for (const size of [32000, 151936, 0]) {
    const vocab = size ? syntheticVocab(size) : (() => { const j = JSON.parse(require('fs').readFileSync('/work/wt/realmodels/public/models/bench-0.5b/tokenizer.json','utf8')); const tokens: string[] = []; for (const [t, id] of Object.entries(j.model.vocab as Record<string, number>)) tokens[id] = t; for (const a of j.added_tokens) tokens[a.id] = a.special ? '' : a.content; for (let i = 0; i < tokens.length; i++) tokens[i] ??= ''; return { tokens, vocabType: 'byte_level' as const, prependSpace: false, vocabSize: 151936, stopTokenIds: [151643] }; })();
    let t = performance.now();
    const trie = await buildTrie(vocab, async () => {});
    console.log(size, 'trie ms', (performance.now() - t).toFixed(1), 'nodes', trie.byte.length);
    const grammar = await lowerSchema(BENCH_MID_SCHEMA);
    const facts = await validateConstraint({ type: 'grammar', grammar });
    t = performance.now();
    const g = await compileLazy(vocab, () => vocab, [{ text: grammar, root: "root" }, facts.normalized!], { budgetMs: 5000 });
    console.log('compile ms (incl trie)', (performance.now() - t).toFixed(1));
    t = performance.now();
    const g2 = await compileLazy(vocab, () => vocab, [{ text: grammar, root: "root" }, facts.normalized!], { budgetMs: 5000 });
    console.log('warm ms', (performance.now() - t).toFixed(3));
    for (let round = 0; round < 2; round++) {
      const m = g.matcher();
      const times: number[] = [];
      for (const id of greedyIds(vocab, BENCH_MID_INSTANCE)) {
        const t0 = performance.now();
        m.nextSync();
        times.push(performance.now() - t0);
        if (!m.accept(id)) throw new Error('refused');
      }
      times.sort((a, b) => a - b);
      console.log('round', round, 'steps', times.length, 'p50', times[times.length >> 1]!.toFixed(3), 'p99', times[Math.floor(times.length * 0.99)]!.toFixed(3), 'max', times[times.length - 1]!.toFixed(3), 'sum', times.reduce((a, b) => a + b).toFixed(1));
    }
    void g2;
  }
}, 300000);
