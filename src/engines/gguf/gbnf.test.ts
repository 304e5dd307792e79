import { beforeAll, describe, expect, it } from 'vitest';
import { useXGrammarInNode } from '../../../tests/support/xgrammar-node.js';
import { lowerSchema } from '../../core/grammar/constraint.js';
import { callsOnlyFormat, triggeredCallsFormat } from '../../core/tools/format.js';
import { constraintToGbnf, GbnfError, regexToGbnf } from './gbnf.js';

beforeAll(() => useXGrammarInNode());

describe('GBNF from core constraints', () => {
  it('a JSON schema: every rule name is GBNF (no underscores), no lookaheads, root defined', async () => {
    const grammar = await lowerSchema({ type: 'object', properties: { ok: { type: 'boolean' }, n: { type: 'integer', minimum: 1, maximum: 20 } }, required: ['ok', 'n'], additionalProperties: false });
    const g = await constraintToGbnf({ type: 'grammar', grammar });
    expect(g).toMatch(/^root ::= /m);
    for (const line of g.trim().split('\n')) expect(line).toMatch(/^[A-Za-z0-9-]+ ::= /);
    expect(g).not.toMatch(/\(=/);
    expect(g).not.toMatch(/[^\\]\\0/);
  });

  it('json_object and a forced tool call (tags_with_separator) translate', async () => {
    const obj = await constraintToGbnf({ type: 'json_object' });
    expect(obj).toContain('root ::= g0-');
    const args = await lowerSchema({ type: 'object', properties: { city: { type: 'string' } }, required: ['city'] });
    const forced = await constraintToGbnf({ type: 'structural_tag', structuralTag: { type: 'structural_tag', format: callsOnlyFormat('hermes', [{ name: 'weather', arguments: args }], false) } });
    expect(forced.split('\n').find((l) => l.startsWith('root ::='))).toContain('"<tool_call>\\x0a{\\"name\\": \\"weather\\", \\"arguments\\": "');
    const auto = await constraintToGbnf({ type: 'structural_tag', structuralTag: { type: 'structural_tag', format: triggeredCallsFormat([{ name: 'weather', arguments: args }], true) } });
    // free text avoids "<tool_call>": one state per proper prefix
    expect(auto.match(/^text\d+-\d+ ::=/gm)).toHaveLength(11);
  });

  it('regexes: classes, shorthands, groups, quantifiers; lookarounds refused', () => {
    expect(regexToGbnf('^[a-z]+$')).toBe('[a-z]+');
    expect(regexToGbnf('\\d{3}-(ab|c)?')).toBe('[0-9]{3} "-" ( ( "a" "b" | "c" ) )?');
    expect(regexToGbnf('[^"\\\\]*')).toBe('[^\\x22\\x5c]*');
    expect(() => regexToGbnf('a(?=b)')).toThrow(GbnfError);
    expect(() => regexToGbnf('(a)\\1')).toThrow(GbnfError);
  });
});
