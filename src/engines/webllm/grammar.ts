import type { ResponseFormat } from '@mlc-ai/web-llm';
import type { GrammarConstraint } from '../../core/engine.js';

/**
 * Core's engine-neutral constraint -> web-llm's `response_format`, which web-llm compiles
 * with its own xgrammar and enforces by masking logits on the GPU:
 *
 * | core                                   | web-llm                                             |
 * |----------------------------------------|-----------------------------------------------------|
 * | `json_object`                          | `{ type: 'json_object' }` (any JSON)                 |
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
      return { type: 'json_object' };
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

/**
 * The vLLM/TRT-LLM (legacy xgrammar) structural tag, `{ structures: [{ begin, schema, end }],
 * triggers }`, in xgrammar's current format (what xgrammar's `structuralTagFromLegacy`
 * builds), for callers that accept the legacy shape.
 */
export function structuralTagFromLegacy(structures: Array<{ begin: string; schema: unknown; end: string }>, triggers: string[]): Record<string, unknown> {
  return {
    type: 'structural_tag',
    format: {
      type: 'triggered_tags',
      triggers,
      tags: structures.map((s) => ({ type: 'tag', begin: s.begin, content: { type: 'json_schema', json_schema: s.schema }, end: s.end })),
    },
  };
}
