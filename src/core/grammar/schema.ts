import { NumericBoundsError, numericRule, type NumericBounds } from './numeric.js';
import { lengthBoundedContent } from './string-ebnf.js';

/**
 * JSON Schema checks before anything is compiled: every keyword is either enforced by the
 * grammar or refused with a 400 naming it, so no schema is ever silently half-enforced.
 *
 * What the grammar enforces (xgrammar's converter plus our own rules):
 * - type (one or a list), enum, const, nullable
 * - object: properties, required, additionalProperties, patternProperties, propertyNames,
 *   minProperties, maxProperties, unevaluatedProperties
 * - array: items, prefixItems, minItems, maxItems, unevaluatedItems
 * - string: minLength, maxLength, pattern, and the formats in FORMATS
 * - number/integer: minimum, maximum, exclusiveMinimum, exclusiveMaximum (exact rules of ours)
 * - anyOf, allOf with one schema, $ref to `#/...` with $defs/definitions (recursion too)
 * Annotations (title, description, default, examples, ...) are accepted and ignored.
 *
 * Refused: oneOf, not, if/then/else, allOf with several schemas, multipleOf, uniqueItems,
 * contains, dependentRequired/dependentSchemas/dependencies, remote $ref, draft-4 boolean
 * exclusive bounds, tuple-style `items: [...]`, formats outside FORMATS, unknown keywords.
 *
 * Numeric bounds, length-bounded strings and patterns are cut out of the schema and
 * replaced by sentinel consts; lowerSchema (lower.ts) splices our EBNF in their place.
 */

export class SchemaError extends Error {
  constructor(message: string, readonly pointer: string) {
    super(message);
  }
}

/** A node we write ourselves: its EBNF, or a pattern still to be converted. */
export type Replacement =
  | { kind: 'ebnf'; expr: string }
  | { kind: 'pattern'; pattern: string; minLength: number; maxLength: number | null };

export interface CheckedSchema {
  /** The schema for xgrammar, sentinels (`{"const": "<key>"}`) in place of our nodes. */
  schema: unknown;
  replacements: Map<string, Replacement>;
}

/** String formats xgrammar enforces as JSON-safe grammars (measured, see the tests). */
export const FORMATS = new Set([
  'date-time', 'date', 'time', 'duration', 'email', 'hostname', 'ipv4', 'ipv6',
  'uri', 'uri-reference', 'uri-template', 'uuid',
]);

const ANNOTATIONS = new Set([
  'title', 'description', '$schema', '$id', '$comment', '$anchor', 'examples', 'example', 'default',
  'deprecated', 'readOnly', 'writeOnly', 'contentEncoding', 'contentMediaType', 'markdownDescription',
  'propertyOrdering', 'strict', '$vocabulary',
]);

const TYPES = new Set(['string', 'number', 'integer', 'boolean', 'null', 'array', 'object']);

const REFUSED: Record<string, string> = {
  oneOf: 'oneOf is not supported (its branches would not be kept exclusive); use anyOf',
  not: 'not is not supported',
  if: 'if/then/else is not supported',
  then: 'if/then/else is not supported',
  else: 'if/then/else is not supported',
  multipleOf: 'multipleOf is not supported',
  uniqueItems: 'uniqueItems is not supported',
  contains: 'contains is not supported',
  minContains: 'minContains is not supported',
  maxContains: 'maxContains is not supported',
  dependentRequired: 'dependentRequired is not supported',
  dependentSchemas: 'dependentSchemas is not supported',
  dependencies: 'dependencies is not supported',
  additionalItems: 'additionalItems is not supported; use prefixItems and items',
  $dynamicRef: '$dynamicRef is not supported',
  $recursiveRef: '$recursiveRef is not supported',
  $dynamicAnchor: '$dynamicAnchor is not supported',
  $recursiveAnchor: '$recursiveAnchor is not supported',
};

const SENTINEL_PREFIX = '__webinfer_node_';

export function checkSchema(schema: unknown): CheckedSchema {
  const replacements = new Map<string, Replacement>();
  let counter = 0;
  const sentinel = (r: Replacement) => {
    const key = `${SENTINEL_PREFIX}${counter++}__`;
    replacements.set(key, r);
    return { const: key };
  };
  const root = walk(schema, '', { sentinel, root: schema });
  return { schema: root, replacements };
}

interface Ctx {
  sentinel: (r: Replacement) => { const: string };
  root: unknown;
}

function walk(node: unknown, ptr: string, ctx: Ctx): unknown {
  if (typeof node === 'boolean') return node;
  if (!isObject(node)) throw new SchemaError('a schema must be an object or a boolean', ptr);
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) {
    const at = `${ptr}/${escapePointer(key)}`;
    if (key.startsWith('x-') || ANNOTATIONS.has(key)) continue;
    if (key in REFUSED) {
      if (key === 'uniqueItems' && value === false) continue;
      throw new SchemaError(REFUSED[key]!, at);
    }
    switch (key) {
      case 'type': {
        const types = Array.isArray(value) ? value : [value];
        if (types.length === 0 || !types.every((t) => typeof t === 'string' && TYPES.has(t))) {
          throw new SchemaError(`type must be one of ${[...TYPES].join(', ')} (or a list of them)`, at);
        }
        out.type = value;
        break;
      }
      case 'enum':
        if (!Array.isArray(value) || value.length === 0) throw new SchemaError('enum must be a non-empty array', at);
        out.enum = value;
        break;
      case 'const':
        out.const = value;
        break;
      case 'nullable':
        if (typeof value !== 'boolean') throw new SchemaError('nullable must be a boolean', at);
        out.nullable = value;
        break;
      case 'properties':
      case 'patternProperties':
      case '$defs':
      case 'definitions': {
        if (!isObject(value)) throw new SchemaError(`${key} must be an object of schemas`, at);
        out[key] = Object.fromEntries(Object.entries(value).map(([k, v]) => [k, walk(v, `${at}/${escapePointer(k)}`, ctx)]));
        if (key === 'patternProperties') for (const p of Object.keys(value)) checkRegex(p, `${at}/${escapePointer(p)}`);
        break;
      }
      case 'additionalProperties':
      case 'unevaluatedProperties':
      case 'unevaluatedItems':
      case 'propertyNames':
        out[key] = walk(value, at, ctx);
        break;
      case 'items':
        if (Array.isArray(value)) throw new SchemaError('items as an array (draft-7 tuples) is not supported; use prefixItems', at);
        out.items = walk(value, at, ctx);
        break;
      case 'prefixItems':
        if (!Array.isArray(value)) throw new SchemaError('prefixItems must be an array of schemas', at);
        out.prefixItems = value.map((v, i) => walk(v, `${at}/${i}`, ctx));
        break;
      case 'anyOf':
      case 'allOf':
        if (!Array.isArray(value) || value.length === 0) throw new SchemaError(`${key} must be a non-empty array of schemas`, at);
        if (key === 'allOf' && value.length > 1) throw new SchemaError('allOf with more than one schema is not supported', at);
        out[key] = value.map((v, i) => walk(v, `${at}/${i}`, ctx));
        break;
      case 'required':
        if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) throw new SchemaError('required must be an array of strings', at);
        out.required = value;
        break;
      case 'minProperties':
      case 'maxProperties':
      case 'minItems':
      case 'maxItems':
      case 'minLength':
      case 'maxLength':
        if (!Number.isInteger(value) || (value as number) < 0) throw new SchemaError(`${key} must be a non-negative integer`, at);
        out[key] = value;
        break;
      case 'pattern':
        if (typeof value !== 'string') throw new SchemaError('pattern must be a string', at);
        checkRegex(value, at);
        out.pattern = value;
        break;
      case 'format':
        if (typeof value !== 'string') throw new SchemaError('format must be a string', at);
        if (!FORMATS.has(value)) throw new SchemaError(`format '${value}' is not supported (supported: ${[...FORMATS].join(', ')})`, at);
        out.format = value;
        break;
      case 'minimum':
      case 'maximum':
      case 'exclusiveMinimum':
      case 'exclusiveMaximum':
        if (typeof value === 'boolean') throw new SchemaError(`${key} as a boolean (draft 4) is not supported; give the bound as a number`, at);
        if (typeof value !== 'number' || !Number.isFinite(value)) throw new SchemaError(`${key} must be a number`, at);
        out[key] = value;
        break;
      case '$ref':
        if (typeof value !== 'string' || !value.startsWith('#')) throw new SchemaError('only local $ref (#/...) is supported', at);
        if (resolvePointer(ctx.root, value.slice(1)) === undefined) throw new SchemaError(`$ref '${value}' points at nothing`, at);
        out.$ref = value;
        break;
      default:
        throw new SchemaError(`unknown keyword '${key}' (it would not be enforced)`, at);
    }
  }
  checkSatisfiable(out, ptr);
  return replaceLeaves(out, ptr, ctx);
}

/**
 * Contradictions within one schema that no value can satisfy: refused rather than compiled
 * to a grammar that writes an invalid value (a required property no property may be).
 * Contradictions across `$ref`s and branches are found later, on the grammar itself.
 */
function checkSatisfiable(node: Record<string, unknown>, ptr: string): void {
  const bound = (min: string, max: string) => {
    if (typeof node[min] === 'number' && typeof node[max] === 'number' && (node[min] as number) > (node[max] as number)) {
      throw new SchemaError(`no value satisfies it: ${min} is greater than ${max}`, ptr);
    }
  };
  bound('minItems', 'maxItems');
  bound('minProperties', 'maxProperties');
  const required = (node.required as string[] | undefined) ?? [];
  const properties = (node.properties as Record<string, unknown> | undefined) ?? {};
  const patterns = Object.keys((node.patternProperties as Record<string, unknown> | undefined) ?? {}).map((p) => new RegExp(p, 'u'));
  // unevaluatedProperties also sees what allOf/anyOf/$ref evaluate: only judged without them.
  const composed = 'allOf' in node || 'anyOf' in node || '$ref' in node;
  const closed = node.additionalProperties === false || (node.unevaluatedProperties === false && node.additionalProperties === undefined && !composed);
  for (const key of required) {
    if (properties[key] === false) throw new SchemaError(`no value satisfies it: required property '${key}' has the schema false`, ptr);
    if (closed && !(key in properties) && !patterns.some((p) => p.test(key))) {
      throw new SchemaError(`no value satisfies it: property '${key}' is required but additionalProperties is false and no property allows it`, ptr);
    }
  }
  if (typeof node.maxProperties === 'number' && new Set(required).size > node.maxProperties) {
    throw new SchemaError('no value satisfies it: more properties are required than maxProperties allows', ptr);
  }
}

/** Bounded numbers and strings with lengths or a pattern become sentinels for our EBNF. */
function replaceLeaves(node: Record<string, unknown>, ptr: string, ctx: Ctx): unknown {
  const numericKeys = ['minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum'].filter((k) => k in node);
  const stringKeys = ['minLength', 'maxLength', 'pattern'].filter((k) => k in node);
  if (numericKeys.length === 0 && stringKeys.length === 0) return node;

  const types: string[] = node.type === undefined ? [] : Array.isArray(node.type) ? (node.type as string[]) : [node.type as string];
  const kind: 'number' | 'string' = numericKeys.length ? 'number' : 'string';
  const own: string[] = kind === 'number' ? types.filter((t) => t === 'number' || t === 'integer') : types.filter((t) => t === 'string');
  if (own.length === 0) {
    throw new SchemaError(`${kind === 'number' ? numericKeys[0] : stringKeys[0]} needs "type": "${kind === 'number' ? 'number" or "integer' : 'string'}" on the same schema`, ptr);
  }
  if ('enum' in node || 'const' in node) {
    throw new SchemaError(`enum/const together with ${[...numericKeys, ...stringKeys].join(', ')} is not supported`, ptr);
  }
  const others = types.filter((t) => !own.includes(t));
  if (node.nullable === true && !others.includes('null')) others.push('null');
  for (const k of Object.keys(node)) {
    if (!['type', 'nullable', ...numericKeys, ...stringKeys, ...(kind === 'string' ? ['format'] : [])].includes(k)) {
      throw new SchemaError(`'${k}' next to ${[...numericKeys, ...stringKeys].join(', ')} is not supported`, ptr);
    }
  }

  let replacement: Replacement;
  if (kind === 'number') {
    const bounds: NumericBounds = { integer: !own.includes('number') };
    for (const k of numericKeys) (bounds as unknown as Record<string, number>)[k] = node[k] as number;
    try {
      replacement = { kind: 'ebnf', expr: numericRule(bounds) };
    } catch (err) {
      if (err instanceof NumericBoundsError) throw new SchemaError(err.message, ptr);
      throw err;
    }
  } else {
    if ('format' in node) throw new SchemaError('format together with minLength/maxLength/pattern is not supported', ptr);
    const minLength = (node.minLength as number | undefined) ?? 0;
    const maxLength = (node.maxLength as number | undefined) ?? null;
    if (maxLength !== null && minLength > maxLength) throw new SchemaError('minLength is greater than maxLength', ptr);
    if (typeof node.pattern === 'string') {
      if (node.minLength !== undefined || node.maxLength !== undefined) {
        throw new SchemaError('pattern together with minLength/maxLength is not supported', ptr);
      }
      replacement = { kind: 'pattern', pattern: node.pattern, minLength, maxLength };
    } else {
      replacement = { kind: 'ebnf', expr: `"\\"" ${lengthBoundedContent(minLength, maxLength)} "\\""` };
    }
  }
  const sentinel = ctx.sentinel(replacement);
  if (others.length === 0) return sentinel;
  return { anyOf: [sentinel, { type: others.length === 1 ? others[0] : others }] };
}

function checkRegex(pattern: string, ptr: string): void {
  try {
    new RegExp(pattern, 'u');
  } catch (err) {
    throw new SchemaError(`invalid regular expression: ${(err as Error).message}`, ptr);
  }
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function escapePointer(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}

function resolvePointer(root: unknown, pointer: string): unknown {
  if (pointer === '' || pointer === '/') return root;
  let node: unknown = root;
  for (const raw of pointer.replace(/^\//, '').split('/')) {
    const key = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
    if (!isObject(node) && !Array.isArray(node)) return undefined;
    node = (node as Record<string, unknown>)[key];
    if (node === undefined) return undefined;
  }
  return node;
}
