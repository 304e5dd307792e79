import { beforeAll, describe, expect, it } from 'vitest';
import { useXGrammarInNode } from '../../../tests/support/xgrammar-node.js';
import { JSON_OBJECT_EBNF, lowerSchema, validateConstraint, GrammarError } from './constraint.js';
import { checkSchema, SchemaError } from './schema.js';
import { xgrammar } from './xgrammar.js';

beforeAll(() => useXGrammarInNode());

async function accepts(ebnf: string, text: string): Promise<boolean> {
  const xg = await xgrammar();
  const g = await xg.Grammar.fromEBNF(ebnf);
  try {
    return await xg.Testings.isGrammarAcceptString(g, text);
  } finally {
    g.dispose();
  }
}

async function verdicts(schema: unknown, texts: string[]): Promise<Record<string, boolean>> {
  const ebnf = await lowerSchema(schema);
  const out: Record<string, boolean> = {};
  for (const t of texts) out[t] = await accepts(ebnf, t);
  return out;
}

describe('JSON schema -> EBNF', () => {
  it('nested objects, arrays, enums, required and bounded numbers', async () => {
    const schema = {
      type: 'object',
      properties: {
        name: { type: 'string', maxLength: 8 },
        age: { type: 'integer', minimum: 18, maximum: 99 },
        score: { type: 'number', exclusiveMinimum: 0, maximum: 1 },
        tags: { type: 'array', items: { enum: ['a', 'b'] }, minItems: 1, maxItems: 2 },
        address: { type: 'object', properties: { zip: { type: 'string', pattern: '^[0-9]{5}$' } }, required: ['zip'] },
      },
      required: ['name', 'age', 'score', 'tags', 'address'],
      additionalProperties: false,
    };
    const good = '{"name": "Ann", "age": 42, "score": 0.5, "tags": ["a"], "address": {"zip": "12345"}}';
    expect(await verdicts(schema, [
      good,
      good.replace('42', '17'),
      good.replace('42', '100'),
      good.replace('0.5', '0'),
      good.replace('0.5', '1.5'),
      good.replace('"Ann"', '"Annabelle B"'),
      good.replace('["a"]', '["a", "b", "a"]'),
      good.replace('["a"]', '[]'),
      good.replace('["a"]', '["c"]'),
      good.replace('12345', '1234'),
      good.replace(', "address": {"zip": "12345"}', ''),
    ])).toEqual({
      [good]: true,
      [good.replace('42', '17')]: false,
      [good.replace('42', '100')]: false,
      [good.replace('0.5', '0')]: false,
      [good.replace('0.5', '1.5')]: false,
      [good.replace('"Ann"', '"Annabelle B"')]: false,
      [good.replace('["a"]', '["a", "b", "a"]')]: false,
      [good.replace('["a"]', '[]')]: false,
      [good.replace('["a"]', '["c"]')]: false,
      [good.replace('12345', '1234')]: false,
      [good.replace(', "address": {"zip": "12345"}', '')]: false,
    });
  });

  it('length-bounded strings never contain raw control characters (nor escapes: cheaper to compile)', async () => {
    expect(await verdicts({ type: 'string', minLength: 1, maxLength: 3 }, ['"ab"', '"a\u0001"', '"a\\nb"', '"abcd"', '""', '"aé"'])).toEqual({
      '"ab"': true, '"a\u0001"': false, '"a\\nb"': false, '"abcd"': false, '""': false, '"aé"': true,
    });
  });

  it('patterns match the decoded string: quotes, backslashes and tabs come out escaped', async () => {
    expect(await verdicts({ type: 'string', pattern: '^a.c$' }, ['"abc"', '"a"c"', '"a\\"c"', '"a\tc"', '"a\\tc"', '"a\\\\c"'])).toEqual({
      '"abc"': true, '"a"c"': false, '"a\\"c"': true, '"a\tc"': false, '"a\\tc"': true, '"a\\\\c"': true,
    });
    expect(await verdicts({ type: 'string', pattern: '^[^x]+$' }, ['"ab"', '"axb"', '"a"b"', '"a\\"b"'])).toEqual({
      '"ab"': true, '"axb"': false, '"a"b"': false, '"a\\"b"': true,
    });
  });

  it('nullable and type lists keep working around our nodes', async () => {
    expect(await verdicts({ type: ['integer', 'null'], minimum: 1, maximum: 3 }, ['1', '3', '4', 'null', '"x"'])).toEqual({
      1: true, 3: true, 4: false, null: true, '"x"': false,
    });
    expect(await verdicts({ type: 'string', maxLength: 2, nullable: true }, ['"ab"', 'null', '"abc"'])).toEqual({
      '"ab"': true, null: true, '"abc"': false,
    });
  });

  it('$ref, $defs, recursion, anyOf and formats', async () => {
    const schema = {
      $defs: { node: { type: 'object', properties: { v: { type: 'integer', minimum: 0, maximum: 9 }, kids: { type: 'array', items: { $ref: '#/$defs/node' }, maxItems: 2 } }, required: ['v'] } },
      anyOf: [{ $ref: '#/$defs/node' }, { type: 'string', format: 'date' }],
    };
    expect(await verdicts(schema, ['{"v": 1, "kids": [{"v": 2}]}', '{"v": 10}', '"2024-01-31"', '"tomorrow"'])).toEqual({
      '{"v": 1, "kids": [{"v": 2}]}': true, '{"v": 10}': false, '"2024-01-31"': true, '"tomorrow"': false,
    });
  });

  it('json_object: any object, strings without raw control characters', async () => {
    for (const [text, ok] of [['{}', true], ['{"a": [1, {"b": null}], "c": "d"}', true], ['[1]', false], ['{"a": "\u0001"}', false], ['"x"', false]] as const) {
      expect(await accepts(JSON_OBJECT_EBNF, text)).toBe(ok);
    }
  });
});

describe('schema features that would not be enforced are refused', () => {
  it.each([
    [{ oneOf: [{ type: 'string' }, { type: 'integer' }] }, '/oneOf'],
    [{ type: 'integer', multipleOf: 3 }, '/multipleOf'],
    [{ type: 'array', uniqueItems: true }, '/uniqueItems'],
    [{ type: 'array', contains: { const: 1 } }, '/contains'],
    [{ not: { type: 'string' } }, '/not'],
    [{ if: { type: 'string' }, then: { minLength: 1 } }, '/if'],
    [{ allOf: [{ type: 'integer' }, { minimum: 3 }] }, '/allOf'],
    [{ type: 'object', dependentRequired: { a: ['b'] } }, '/dependentRequired'],
    [{ type: 'string', format: 'credit-card' }, '/format'],
    [{ type: 'object', properties: { a: { type: 'string', frobnicate: true } } }, '/properties/a/frobnicate'],
    [{ $ref: 'https://example.com/schema.json' }, '/$ref'],
    [{ $ref: '#/$defs/missing' }, '/$ref'],
    [{ type: 'array', items: [{ type: 'string' }] }, '/items'],
    [{ type: 'integer', minimum: 5, maximum: 4 }, ''],
    [{ minimum: 5 }, ''],
    [{ type: 'integer', enum: [1, 50], maximum: 10 }, ''],
    [{ type: 'string', pattern: '(' }, '/pattern'],
    [{ type: 'number', exclusiveMaximum: true, maximum: 3 }, '/exclusiveMaximum'],
    [{ type: 'wat' }, '/type'],
    [{ required: 'a' }, '/required'],
  ])('%j -> 400 at %s', (schema, pointer) => {
    let error: unknown;
    try {
      checkSchema(schema);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(SchemaError);
    expect((error as SchemaError).pointer).toBe(pointer);
  });

  it('annotations are accepted and ignored', () => {
    expect(() => checkSchema({ type: 'object', title: 'T', description: 'd', properties: { a: { type: 'string', examples: ['x'], default: 'y', 'x-foo': 1 } }, $schema: 'https://json-schema.org/draft/2020-12/schema' })).not.toThrow();
  });

  it('an invalid user grammar is a GrammarError with xgrammar\'s reason', async () => {
    await expect(validateConstraint({ type: 'grammar', grammar: 'root ::= "a" |' })).rejects.toThrow(GrammarError);
    await expect(validateConstraint({ type: 'grammar', grammar: 'main ::= "a"' })).rejects.toThrow(/root/);
    await expect(validateConstraint({ type: 'regex', pattern: '[a-' })).rejects.toThrow(/Regex|regex|Unclosed/);
    await expect(validateConstraint({ type: 'grammar', grammar: 'root ::= "yes" | "no"' })).resolves.toMatchObject({ positions: 5 });
  });
});

describe('UTF-8 guard', () => {
  it('allows only well-formed UTF-8, whatever the tokens split', async () => {
    const { utf8Step } = await import('./utf8.js');
    const valid = (bytes: number[]) => bytes.reduce((s, b) => (s === -1 ? -1 : utf8Step(s, b)), 0) === 0;
    expect(valid([0xc3, 0xa9])).toBe(true); // é
    expect(valid([0xe2, 0x82, 0xac])).toBe(true); // €
    expect(valid([0xf0, 0x9f, 0x98, 0x80])).toBe(true); // 😀
    for (const bad of [[0xc0, 0x80], [0xc1, 0xbf], [0xe0, 0x80, 0x80], [0xed, 0xa0, 0x80], [0xf0, 0x80, 0x80, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xf5, 0x80, 0x80, 0x80], [0x80], [0xff]]) {
      expect(valid(bad)).toBe(false);
    }
  });
});
