import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { GrammarCompiler, GrammarMatcher, Testings, TokenizerInfo, Grammar } from '@mlc-ai/web-xgrammar';

/**
 * The real `@mlc-ai/web-xgrammar` (the version web-llm bundles) in Node. The package is a
 * UMD bundle inside a `"type": "module"` package, which Node's ESM loader cannot run, so
 * it is evaluated as the CommonJS module it is, with `process` hidden so emscripten
 * decodes its inlined WebAssembly itself.
 */
export interface XG {
  Grammar: typeof Grammar;
  GrammarCompiler: typeof GrammarCompiler;
  GrammarMatcher: typeof GrammarMatcher;
  TokenizerInfo: typeof TokenizerInfo;
  Testings: typeof Testings;
}

let loaded: Promise<XG> | undefined;

export function loadXGrammar(): Promise<XG> {
  loaded ??= (async () => {
    const require = createRequire(import.meta.url);
    const file = require.resolve('@mlc-ai/web-xgrammar');
    const module = { exports: {} as Record<string, unknown> };
    new Function('exports', 'module', 'require', '__filename', '__dirname', 'process', readFileSync(file, 'utf8'))(
      module.exports, module, createRequire(file), file, file.replace(/[/\\][^/\\]*$/, ''), undefined,
    );
    return module.exports as unknown as XG;
  })();
  return loaded;
}
