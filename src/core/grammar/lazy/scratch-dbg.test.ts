import { it } from 'vitest';
import { useXGrammarInNode } from '../../../../tests/support/xgrammar-node.js';
import { validateConstraint } from '../constraint.js';
import { compileLazy } from './index.js';
import { readFileSync } from 'node:fs';
function vocabFromTokenizer(dir: string, vocabType: any, stop: number) {
  const json = JSON.parse(readFileSync(`public/models/${dir}/tokenizer.json`, 'utf8'));
  const tokens: string[] = [];
  for (const [token, id] of Object.entries(json.model.vocab as Record<string, number>)) tokens[id] = token;
  for (const added of json.added_tokens as Array<{ id: number; content: string; special: boolean }>) tokens[added.id] = added.special ? '' : added.content;
  for (let i = 0; i < tokens.length; i++) tokens[i] ??= '';
  return { tokens, vocabType, prependSpace: false, vocabSize: tokens.length, stopTokenIds: [stop] };
}
useXGrammarInNode();
it('dbg', async () => {
  const grammar = [
      'root ::= greeting ( "," ws item )* "!"',
      'greeting ::= [A-Z]{2,3}',
      'item ::= [a-z]+ | "[" [^\\]"\\n]{1,4} "]"',
      'ws ::= [ \\t]?',
    ].join('\n');
  const vocab = vocabFromTokenizer('tiny-chat', 'byte_level', 2);
  const n = (await validateConstraint({ type: 'grammar', grammar })).normalized!;
  const { setGrammarEngine, tokenMaskSource } = await import('../matcher.js');
  for (const g of ['root ::= "RPH," [\\u00e0-\\u00ff]', 'root ::= "RPH," [\u4e00-\u9fff]', 'root ::= "RPH," [a-z]']) {
    setGrammarEngine('xgrammar');
    const src = await tokenMaskSource({ tokenVocabulary: () => vocab } as any, { type: 'grammar', grammar: g });
    const m = await src.create();
    for (const ch of ['R', 'P', 'H', ',']) m.accept(vocab.tokens.indexOf(ch));
    const mask = await m.next();
    const allowed = vocab.tokens.filter((_, id) => mask[id >> 5]! & (1 << (id & 31)));
    console.log(allowed.length, JSON.stringify(allowed.slice(0, 12).join(' ')));
  }
});
