import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { setXGrammarLoader, type XGrammarApi } from '../../src/core/grammar/xgrammar.js';

/**
 * `@mlc-ai/web-xgrammar` in Node: the package is a UMD bundle in a `"type": "module"`
 * package, which Node's ESM loader cannot run (`require is not defined`). Evaluate it as
 * the CommonJS module it is. Browsers load it through the bundler (see xgrammar.ts).
 */
export function useXGrammarInNode(): void {
  setXGrammarLoader(async () => {
    const require = createRequire(import.meta.url);
    const file = require.resolve('@mlc-ai/web-xgrammar');
    const source = readFileSync(file, 'utf8');
    const module = { exports: {} as Record<string, unknown> };
    const dir = file.replace(/[/\\][^/\\]*$/, '');
    // `process` hidden: as a "shell" environment emscripten decodes its inlined wasm
    // itself instead of `import('module')`, which vitest's sandbox cannot run here.
    new Function('exports', 'module', 'require', '__filename', '__dirname', 'process', source)(
      module.exports, module, createRequire(file), file, dir, undefined,
    );
    return module.exports as unknown as XGrammarApi;
  });
}
