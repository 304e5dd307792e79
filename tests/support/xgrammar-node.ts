import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { evaluateXGrammar, setXGrammarLoader, type XGrammarApi } from '../../src/core/grammar/xgrammar.js';

/**
 * `@mlc-ai/web-xgrammar` in Node: the package is a UMD bundle in a `"type": "module"`
 * package, which Node's ESM loader cannot run (`require is not defined`). Evaluated as the
 * CommonJS module it is, through the same function browsers use (a fresh instance each time).
 */
const file = createRequire(import.meta.url).resolve('@mlc-ai/web-xgrammar');
const source = readFileSync(file, 'utf8');

/** A fresh instance of the module. */
export function freshXGrammar(): XGrammarApi {
  return evaluateXGrammar(source, createRequire(file), file);
}

export function useXGrammarInNode(): void {
  setXGrammarLoader(async () => freshXGrammar());
}
