import type { ResponseFormat } from '@mlc-ai/web-llm';
import type { GrammarConstraint } from '../../core/engine.js';

/**
 * Core's engine-neutral constraint -> web-llm's `response_format`, which web-llm compiles
 * with its own xgrammar and enforces by masking logits on the GPU:
 *
 * | core                                   | web-llm                                             |
 * |----------------------------------------|-----------------------------------------------------|
 * | `json_object`                          | `{ type: 'json_object', schema: '{"type":"object"}' }` |
 * | `json_schema` (OpenAI's schema object) | `{ type: 'json_object', schema: JSON string }`       |
 * | `grammar` (EBNF/GBNF)                  | `{ type: 'grammar', grammar }`                       |
 * | `regex`                                | `{ type: 'structural_tag' }` wrapping xgrammar's `regex` format |
 * | `structural_tag`                       | `{ type: 'structural_tag', structural_tag }`         |
 *
 * web-llm has no regex type of its own; xgrammar's structural tags do, so a regex becomes
 * a structural tag whose whole output is that regex.
 */
export function toResponseFormat(constraint: GrammarConstraint | null | undefined): ResponseFormat | undefined {
  if (!constraint) return undefined;
  switch (constraint.type) {
    case 'json_object':
      // web-llm 0.2.86 compiles json_object as compileJSONSchema(schema), which throws
      // without a schema: "any JSON object" is spelled out instead.
      return { type: 'json_object', schema: '{"type":"object"}' };
    case 'json_schema':
      return { type: 'json_object', schema: JSON.stringify(constraint.schema) };
    case 'grammar':
      return { type: 'grammar', grammar: constraint.grammar };
    case 'regex':
      return { type: 'structural_tag', structural_tag: { type: 'structural_tag', format: { type: 'regex', pattern: constraint.pattern } } };
    case 'structural_tag':
      return { type: 'structural_tag', structural_tag: constraint.structuralTag };
  }
}

