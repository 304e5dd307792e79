import type { StructuralTagFormat } from '@mlc-ai/web-xgrammar';
import type { FunctionDefinition } from '../../protocol/chat.js';

/**
 * How a model family writes tool calls, and the grammars that make it write valid ones.
 *
 * - hermes (Qwen2.5/3, Hermes, SmolLM3, and our default prompt):
 *     <tool_call>\n{"name": "f", "arguments": {...}}\n</tool_call>
 * - llama3 (Llama 3.1+ JSON tool calling; `<|python_tag|>` is a special token):
 *     {"name": "f", "parameters": {...}}
 * - mistral (`[TOOL_CALLS]` is a special token, so the text is the JSON array):
 *     [{"name": "f", "arguments": {...}}]
 * The parser (parser.ts) reads every family's output whatever the detected format.
 */
export type ToolCallFormat = 'hermes' | 'llama3' | 'mistral';

/** The family's format, read from the chat template (or, without one, the rendered prompt). */
export function detectToolFormat(template: string | null | undefined, prompt: string): ToolCallFormat {
  const source = template ?? prompt;
  if (/\[TOOL_CALLS\]|\[AVAILABLE_TOOLS\]/.test(source)) return 'mistral';
  if (/<tool_call>/.test(source)) return 'hermes';
  if (/<\|python_tag\|>|<\|start_header_id\|>/.test(source)) return 'llama3';
  return 'hermes';
}

/** A function and the grammar (EBNF) of its arguments. */
export interface ToolGrammar {
  name: string;
  arguments: string;
}

function tag(format: ToolCallFormat, tool: ToolGrammar): { type: 'tag'; begin: string; content: StructuralTagFormat; end: string } {
  const name = JSON.stringify(tool.name);
  const content: StructuralTagFormat = { type: 'grammar', grammar: tool.arguments };
  switch (format) {
    case 'hermes':
      return { type: 'tag', begin: `<tool_call>\n{"name": ${name}, "arguments": `, content, end: '}\n</tool_call>' };
    case 'llama3':
      return { type: 'tag', begin: `{"name": ${name}, "parameters": `, content, end: '}' };
    case 'mistral':
      return { type: 'tag', begin: `{"name": ${name}, "arguments": `, content, end: '}' };
  }
}

/**
 * Output that is only tool calls (tool_choice `required` or a named function): at least
 * one, each valid against its function's parameters; one only unless `parallel`.
 */
export function callsOnlyFormat(format: ToolCallFormat, tools: ToolGrammar[], parallel: boolean): StructuralTagFormat {
  const tags = tools.map((t) => tag(format, t));
  const separator = format === 'hermes' ? '\n' : format === 'llama3' ? '; ' : ', ';
  const calls: StructuralTagFormat = { type: 'tags_with_separator', tags, separator, at_least_one: true, stop_after_first: !parallel };
  if (format !== 'mistral') return calls;
  // Mistral's calls are one JSON array. A tag around the calls, not a sequence: web-xgrammar
  // 0.1.27 fails to compile tags_with_separator inside a sequence (a C++ exception).
  return { type: 'tag', begin: '[', content: calls, end: ']' };
}

/**
 * tool_choice `auto` for a family whose calls start with a marker (hermes): free text,
 * but once the model opens a call, it must be a valid one.
 */
export function triggeredCallsFormat(tools: ToolGrammar[], parallel: boolean): StructuralTagFormat {
  return {
    type: 'triggered_tags',
    triggers: ['<tool_call>'],
    tags: tools.map((t) => tag('hermes', t)),
    at_least_one: false,
    stop_after_first: !parallel,
  };
}

/** The schema a function's arguments must satisfy (no parameters: an object). */
export function parametersSchema(fn: FunctionDefinition): Record<string, unknown> {
  const p = fn.parameters;
  if (!p || Object.keys(p).length === 0) return { type: 'object' };
  return p;
}
