import { beforeAll, describe, expect, it } from 'vitest';
import { gbnfAccepts } from '../../../tests/support/gbnf-matcher.js';
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

/** The languages: what each translated grammar accepts and refuses (a GBNF recognizer, tests/support). */
describe('GBNF languages', () => {
  const tag = (format: unknown) => constraintToGbnf({ type: 'structural_tag', structuralTag: { type: 'structural_tag', format: format as never } });
  const args = () => lowerSchema({ type: 'object', properties: { city: { type: 'string', enum: ['Paris', 'Oslo'] } }, required: ['city'], additionalProperties: false });
  const call = (name: string, city: string) => `<tool_call>\n{"name": "${name}", "arguments": {"city": "${city}"}}\n</tool_call>`;

  it('a JSON schema: valid instances only (types, bounds, required keys)', async () => {
    const g = await constraintToGbnf({ type: 'grammar', grammar: await lowerSchema({ type: 'object', properties: { ok: { type: 'boolean' }, n: { type: 'integer', minimum: 1, maximum: 20 } }, required: ['ok', 'n'], additionalProperties: false }) });
    expect(gbnfAccepts(g, '{"ok": true, "n": 5}')).toBe(true);
    expect(gbnfAccepts(g, '{\n  "ok": false,\n  "n": 20\n}')).toBe(true);
    expect(gbnfAccepts(g, '{"ok": 1, "n": 5}')).toBe(false);
    expect(gbnfAccepts(g, '{"ok": true, "n": 21}')).toBe(false);
    expect(gbnfAccepts(g, '{"ok": true}')).toBe(false);
  });

  it('json_object: any object, escapes included; not an array', async () => {
    const g = await constraintToGbnf({ type: 'json_object' });
    expect(gbnfAccepts(g, '{"a": [1, "x\\n\\u00e9"], "b": {"c": null}}')).toBe(true);
    expect(gbnfAccepts(g, '[1]')).toBe(false);
  });

  it('a forced call: only that function with valid arguments', async () => {
    const g = await tag(callsOnlyFormat('hermes', [{ name: 'weather', arguments: await args() }], false));
    expect(gbnfAccepts(g, call('weather', 'Paris'))).toBe(true);
    expect(gbnfAccepts(g, call('weather', 'Rome'))).toBe(false);
    expect(gbnfAccepts(g, call('other', 'Paris'))).toBe(false);
    expect(gbnfAccepts(g, `hi ${call('weather', 'Paris')}`)).toBe(false);
  });

  it("tool_choice auto: free text, but an opened call must be valid; parallel calls when allowed", async () => {
    const g = await tag(triggeredCallsFormat([{ name: 'weather', arguments: await args() }], true));
    expect(gbnfAccepts(g, 'just text, <tool and all')).toBe(true);
    expect(gbnfAccepts(g, `ok ${call('weather', 'Oslo')} then ${call('weather', 'Paris')}`)).toBe(true);
    expect(gbnfAccepts(g, 'ok <tool_call>\n{"name": "weather", "arguments": 3}')).toBe(false);
    expect(gbnfAccepts(g, 'ok <tool_call>')).toBe(false);
  });

  it('free text up to an end string (a reasoning block), then the output', async () => {
    const g = await tag({ type: 'sequence', elements: [{ type: 'tag', begin: '', content: { type: 'any_text' }, end: '</think>' }, { type: 'const_string', value: 'X' }] });
    expect(gbnfAccepts(g, 'some <thought> here</think>X')).toBe(true);
    expect(gbnfAccepts(g, '</think>X')).toBe(true);
    expect(gbnfAccepts(g, 'a</think>b</think>X')).toBe(false);
    expect(gbnfAccepts(g, 'no end X')).toBe(false);
  });

  it('regex and a user GBNF grammar', async () => {
    const r = await constraintToGbnf({ type: 'regex', pattern: '(yes|no): [a-z]{3,6}\\.' });
    expect(gbnfAccepts(r, 'yes: abc.')).toBe(true);
    expect(gbnfAccepts(r, 'no: abcdefg.')).toBe(false);
    const g = await constraintToGbnf({ type: 'grammar', grammar: 'root ::= "say " word (" " word){0,2}\nword ::= [a-z]+' });
    expect(gbnfAccepts(g, 'say hi there')).toBe(true);
    expect(gbnfAccepts(g, 'say a b c d')).toBe(false);
  });
});
