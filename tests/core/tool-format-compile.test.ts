import { describe, expect, test } from 'vitest';
import { useXGrammarInNode } from '../support/xgrammar-node.js';
import { validateConstraint } from '../../src/core/grammar/constraint.js';
import { callsOnlyFormat } from '../../src/core/tools/format.js';

useXGrammarInNode();

/** Forced calls compile in xgrammar for every family's format (Mistral's array once failed: a C++ exception surfaced as a 400). */
describe('forced tool-call grammars compile', () => {
  const tools = [{ name: 'get_weather', arguments: 'root ::= "{" "}"' }, { name: 'get_time', arguments: 'root ::= "{" "}"' }];
  test.each([['hermes', false], ['hermes', true], ['llama3', false], ['llama3', true], ['mistral', false], ['mistral', true]] as const)('%s, parallel %s', async (format, parallel) => {
    const constraint = { type: 'structural_tag', structuralTag: { type: 'structural_tag', format: callsOnlyFormat(format, tools, parallel) } };
    // Compiles and has finite output: its facts (grammar positions) come back, no 400.
    await expect(validateConstraint(constraint as never)).resolves.toMatchObject({ positions: expect.any(Number) });
  });
});
