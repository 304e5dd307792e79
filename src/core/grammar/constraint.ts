import type { StructuralTagFormat } from '@mlc-ai/web-xgrammar';
import { BadRequestError } from '../../protocol/errors.js';
import type { GrammarConstraint } from '../engine.js';
import { checkSchema, isObject, SchemaError, type CheckedSchema } from './schema.js';
import { findUnproductive, parseNormalized, rootOf, terminalPositions } from './analysis.js';
import { regexGrammarToStringContent } from './string-ebnf.js';
import { diagnose, type Diagnosed } from './xgrammar.js';

export type { GrammarConstraint, StructuralTagFormat };

/**
 * Core builds the engine-neutral GrammarConstraint (engine.ts) from `response_format` and
 * from `tools` + `tool_choice`, already checked (every problem was a 400 before it exists)
 * and lowered: a JSON schema from a request always arrives as `{ type: 'grammar' }` with
 * our exact EBNF for it (numeric bounds, string lengths and patterns written by us, not by
 * xgrammar's approximate converter), and structural tags carry such grammars where their
 * JSON schemas were. Engines that expose logits get the constraint enforced by core
 * (GenerateOptions.tokenMask, from the engine's TokenVocabulary); engines with their own
 * grammar support (web-llm, see engines/webllm/grammar.ts) map it.
 */

/** Any constraint as one xgrammar structural tag format. */
export function toFormat(c: GrammarConstraint): StructuralTagFormat {
  switch (c.type) {
    case 'json_object': return { type: 'grammar', grammar: JSON_OBJECT_EBNF };
    case 'json_schema': return { type: 'json_schema', json_schema: c.schema };
    case 'grammar': return { type: 'grammar', grammar: c.grammar };
    case 'regex': return { type: 'regex', pattern: c.pattern };
    case 'structural_tag': {
      const tag = c.structuralTag as { type?: string; format?: StructuralTagFormat };
      return (tag.type === 'structural_tag' || (tag.format && !tag.type) ? tag.format! : tag) as StructuralTagFormat;
    }
  }
}

/** A cache key: the same constraint always gives the same string. */
export function constraintKey(c: GrammarConstraint): string {
  switch (c.type) {
    case 'json_object': return 'json_object';
    case 'json_schema': return `schema:${JSON.stringify(c.schema)}`;
    case 'grammar': return `ebnf:${c.grammar}`;
    case 'regex': return `regex:${c.pattern}`;
    case 'structural_tag': return `tag:${JSON.stringify(toFormat(c))}`;
  }
}

// ---- JSON schema -> EBNF ------------------------------------------------------------------

/** Whitespace between JSON tokens: any, at most this many characters per gap. */
const MAX_WHITESPACE = 16;

/**
 * Any JSON object (`response_format: json_object`). Written out rather than taken from
 * xgrammar: its basic string rule already excludes raw control characters.
 */
export const JSON_OBJECT_EBNF = [
  'root ::= object',
  'value ::= object | array | string | number | "true" | "false" | "null"',
  `ws ::= [ \\n\\t\\r]{0,${MAX_WHITESPACE}}`,
  'object ::= "{" ws ( string ws ":" ws value ws ( "," ws string ws ":" ws value ws )* )? "}"',
  'array ::= "[" ws ( value ws ( "," ws value ws )* )? "]"',
  'string ::= "\\"" ( [^"\\\\\\0-\\x1f] | "\\\\" ( ["\\\\/bfnrt] | "u" [0-9a-fA-F]{4} ) )* "\\""',
  'number ::= "-"? ( "0" | [1-9] [0-9]* ) ( "." [0-9]+ )? ( [eE] [+-]? [0-9]+ )?',
].join('\n');

/** A constraint refused: `code` is the error code the client sees. */
export class GrammarError extends Error {
  constructor(message: string, readonly code: 'invalid_grammar' | 'grammar_too_complex' = 'invalid_grammar') {
    super(message);
  }
}

/** The grammar engine crashed on this input; its own text goes to the log, never to a client. */
const ENGINE_FAILED = 'the grammar engine failed on it (an internal error, logged); the engine was restarted';

/** A failed xgrammar call as a GrammarError (throws), or its value. */
export function valueOf<T>(result: Diagnosed<T>, context = ''): T {
  if (result.error === undefined) return result.value!;
  if (result.internal) {
    console.warn(`[webinfer] xgrammar failed internally: ${result.error}`);
    throw new GrammarError(ENGINE_FAILED, 'grammar_too_complex');
  }
  throw new GrammarError(context + result.error);
}

const lowered = new Map<string, Promise<string>>();
/** Grammars lowerSchema wrote (their lookaheads restate their context; a user's may not). */
const own = new Set<string>();

/** Whether lowerSchema wrote this grammar. */
export function isLoweredSchema(ebnf: string): boolean {
  return own.has(ebnf);
}
const LOWERED_MAX = 64;

/**
 * A checked JSON schema as EBNF: xgrammar converts the structure, our rules replace the
 * nodes it gets wrong. Throws SchemaError (with a JSON pointer) or GrammarError.
 */
export function lowerSchema(schema: unknown): Promise<string> {
  const key = JSON.stringify(schema);
  let hit = lowered.get(key);
  if (hit) {
    lowered.delete(key);
    lowered.set(key, hit);
    return hit;
  }
  hit = lowerChecked(checkSchema(schema)).then(async (ebnf) => {
    await validateConstraint({ type: 'grammar', grammar: ebnf }, 'no JSON value satisfies this schema (every branch needs an infinite value or contradicts itself)');
    own.add(ebnf);
    if (own.size > LOWERED_MAX * 4) own.delete(own.values().next().value!);
    return ebnf;
  });
  hit.catch(() => lowered.delete(key));
  lowered.set(key, hit);
  if (lowered.size > LOWERED_MAX) lowered.delete(lowered.keys().next().value!);
  return hit;
}

async function lowerChecked(checked: CheckedSchema): Promise<string> {
  const converted = await diagnose((xg) =>
    xg.Testings._jsonSchemaToEBNF(JSON.stringify(checked.schema), true, undefined, undefined, true, MAX_WHITESPACE),
  );
  let ebnf = valueOf(converted);
  if (converted.warnings.length) throw new GrammarError(converted.warnings.join('; '));
  ebnf = sharedWhitespace(ebnf);
  const extra: string[] = [];
  let n = 0;
  for (const [sentinel, r] of checked.replacements) {
    const literal = `"\\"${sentinel}\\""`;
    let expr: string;
    if (r.kind === 'ebnf') {
      expr = r.expr;
    } else {
      const rule = `webinfer_pattern_${n++}`;
      const regex = await diagnose(async (xg) => {
        const g = await xg.Grammar.fromStructuralTag({ type: 'structural_tag', format: { type: 'regex', pattern: r.pattern } });
        try { return g.toString(); } finally { g.dispose(); }
      });
      extra.push(...regexGrammarToStringContent(valueOf(regex, `pattern ${JSON.stringify(r.pattern)}: `), rule));
      expr = `"\\"" ${rule} "\\""`;
    }
    ebnf = ebnf.split(literal).join(`(${expr})`);
  }
  return extra.length ? `${ebnf.trimEnd()}\n${extra.join('\n')}\n` : ebnf;
}

/**
 * The converter writes bounded whitespace (`[ \n\t]{0,16}`) inline at every gap. xgrammar
 * expands each copy into 16 nested positions and its compile time grows with the square of
 * their number (an object with 100 required properties: 9 s at 316 tokens); one shared rule
 * compiles once (0.27 s).
 */
const INLINE_WS = `[ \\n\\t]{0,${MAX_WHITESPACE}}`;
function sharedWhitespace(ebnf: string): string {
  if (!ebnf.includes(INLINE_WS)) return ebnf;
  return `${ebnf.split(INLINE_WS).join('webinfer_ws?').trimEnd()}\nwebinfer_ws ::= [ \\n\\t]{1,${MAX_WHITESPACE}}\n`;
}

// ---- checking user grammars ---------------------------------------------------------------

/** What checking a constraint learnt about it. */
export interface GrammarFacts {
  /** Terminal positions: xgrammar's compile cost is about this x the vocabulary size. */
  positions: number;
  /** The grammar as xgrammar normalizes it (what the lazy engine compiles), and its root rule. */
  normalized?: { text: string; root: string };
}

const validated = new Map<string, Promise<GrammarFacts>>();

/**
 * Parses a constraint without a tokenizer, so engines that enforce grammars themselves
 * still get a 400 up front, and refuses one that derives no finite output (`root ::= root`,
 * a regex nothing matches): xgrammar would loop on it or allow no token. Cached by constraint.
 */
export function validateConstraint(c: GrammarConstraint, unsatisfiable = 'no finite output matches it'): Promise<GrammarFacts> {
  const key = constraintKey(c);
  let hit = validated.get(key);
  if (!hit) {
    hit = (async () => {
      const text = valueOf(await diagnose(async (xg) => {
        const g = c.type === 'grammar' || c.type === 'json_object'
          ? await xg.Grammar.fromEBNF(c.type === 'grammar' ? c.grammar : JSON_OBJECT_EBNF)
          : await xg.Grammar.fromStructuralTag({ type: 'structural_tag', format: toFormat(c) });
        try { return g.toString(); } finally { g.dispose(); }
      }));
      let rules;
      try {
        rules = parseNormalized(text);
      } catch (err) {
        // A form this analysis does not know yet: compile unchecked rather than refuse.
        console.warn(`[webinfer] grammar analysis skipped: ${(err as Error).message}`);
        return { positions: 0 };
      }
      if (findUnproductive(rules) !== null) throw new GrammarError(unsatisfiable);
      return { positions: terminalPositions(rules), normalized: { text, root: rootOf(rules) } };
    })();
    hit.catch(() => validated.delete(key));
    validated.set(key, hit);
    if (validated.size > LOWERED_MAX) validated.delete(validated.keys().next().value!);
  }
  return hit;
}

/** Turns our internal errors into the 400 a client sees. */
export function asBadRequest(err: unknown, param: string, what: string): never {
  if (err instanceof SchemaError) {
    throw new BadRequestError(`Invalid ${what}: ${err.message}${err.pointer ? ` (at ${err.pointer || '/'})` : ''}.`, {
      param, code: 'invalid_schema',
    });
  }
  if (err instanceof GrammarError) {
    const message = err.code === 'grammar_too_complex' ? `${what} is too complex: ${err.message}.` : `Invalid ${what}: ${err.message}.`;
    throw new BadRequestError(message, { param, code: err.code });
  }
  throw err;
}

// ---- user structural tags ------------------------------------------------------------------

/**
 * A structural tag format from a request, with every `json_schema` inside it replaced by
 * our exact grammar (and checked like response_format schemas).
 */
export async function lowerStructuralFormat(format: unknown, ptr = ''): Promise<StructuralTagFormat> {
  if (!isObject(format) || typeof format.type !== 'string') throw new SchemaError('a structural tag format needs a "type"', ptr);
  switch (format.type) {
    case 'json_schema':
    case 'qwen_xml_parameter': {
      if (format.type === 'qwen_xml_parameter') throw new SchemaError('qwen_xml_parameter is not supported', ptr);
      return { type: 'grammar', grammar: await lowerSchemaAt(format.json_schema, `${ptr}/json_schema`) };
    }
    case 'tag':
      return { ...(format as object), content: await lowerStructuralFormat(format.content, `${ptr}/content`) } as StructuralTagFormat;
    case 'sequence':
    case 'or':
      if (!Array.isArray(format.elements)) throw new SchemaError('"elements" must be an array', ptr);
      return {
        ...(format as object),
        elements: await Promise.all(format.elements.map((e, i) => lowerStructuralFormat(e, `${ptr}/elements/${i}`))),
      } as StructuralTagFormat;
    case 'triggered_tags':
    case 'tags_with_separator':
      if (!Array.isArray(format.tags)) throw new SchemaError('"tags" must be an array', ptr);
      return {
        ...(format as object),
        tags: await Promise.all(format.tags.map((t, i) => lowerStructuralFormat(t, `${ptr}/tags/${i}`))),
      } as StructuralTagFormat;
    default:
      return format as unknown as StructuralTagFormat;
  }
}

async function lowerSchemaAt(schema: unknown, ptr: string): Promise<string> {
  try {
    return await lowerSchema(schema);
  } catch (err) {
    if (err instanceof SchemaError) throw new SchemaError(err.message, ptr + err.pointer);
    throw err;
  }
}
