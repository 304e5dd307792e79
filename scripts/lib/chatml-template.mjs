// ChatML chat template (Jinja, rendered by @huggingface/jinja in transformers.js),
// Qwen2.5 / Hermes style for tools:
//  - every message: <|im_start|>{role}\n{content}<|im_end|>\n ; `developer` renders as system
//  - content: a string, null, or a list of parts (text parts are concatenated; others skipped)
//  - `tools` given: a leading system block (the first system/developer message's content,
//    then the tool list as JSON lines inside <tools></tools>)
//  - assistant `tool_calls` (OpenAI shape {function: {name, arguments}} or {name, arguments};
//    arguments a JSON string or an object): <tool_call>\n{"name": ..., "arguments": ...}\n</tool_call>
//  - consecutive `tool` messages: one user turn of <tool_response>\n...\n</tool_response> blocks
//  - add_generation_prompt: <|im_start|>assistant\n
// Written as String.raw so the Jinja string escapes (\n) reach Jinja unchanged.

const lines = [
  String.raw`{%- macro text(content) -%}`,
  String.raw`{%- if content is string -%}{{- content -}}`,
  String.raw`{%- elif content is iterable -%}{%- for part in content -%}`,
  String.raw`{%- if part is string -%}{{- part -}}{%- elif part.type == 'text' -%}{{- part.text -}}{%- endif -%}`,
  String.raw`{%- endfor -%}{%- endif -%}`,
  String.raw`{%- endmacro -%}`,
  String.raw`{%- if tools -%}`,
  String.raw`{{- '<|im_start|>system\n' -}}`,
  String.raw`{%- if messages and messages[0].role in ['system', 'developer'] -%}{{- text(messages[0].content) + '\n\n' -}}{%- endif -%}`,
  String.raw`{{- '# Tools\n\nYou may call one or more functions to assist with the user query.\n\nYou are provided with function signatures within <tools></tools> XML tags:\n<tools>' -}}`,
  String.raw`{%- for tool in tools -%}{{- '\n' -}}{{- tool | tojson -}}{%- endfor -%}`,
  String.raw`{{- '\n</tools>\n\nFor each function call, return a json object with function name and arguments within <tool_call></tool_call> XML tags:\n<tool_call>\n{"name": <function-name>, "arguments": <args-json-object>}\n</tool_call><|im_end|>\n' -}}`,
  String.raw`{%- endif -%}`,
  String.raw`{%- for message in messages -%}`,
  String.raw`{%- if message.role in ['system', 'developer'] -%}`,
  String.raw`{%- if not (tools and loop.first) -%}{{- '<|im_start|>system\n' + text(message.content) + '<|im_end|>\n' -}}{%- endif -%}`,
  String.raw`{%- elif message.role == 'assistant' and message.tool_calls -%}`,
  String.raw`{{- '<|im_start|>assistant' -}}`,
  String.raw`{%- set content = text(message.content) -%}`,
  String.raw`{%- if content -%}{{- '\n' + content -}}{%- endif -%}`,
  String.raw`{%- for tool_call in message.tool_calls -%}`,
  String.raw`{%- set call = tool_call.function if tool_call.function is defined else tool_call -%}`,
  String.raw`{{- '\n<tool_call>\n{"name": "' + call.name + '", "arguments": ' -}}`,
  String.raw`{%- if call.arguments is string -%}{{- call.arguments -}}{%- else -%}{{- call.arguments | tojson -}}{%- endif -%}`,
  String.raw`{{- '}\n</tool_call>' -}}`,
  String.raw`{%- endfor -%}`,
  String.raw`{{- '<|im_end|>\n' -}}`,
  String.raw`{%- elif message.role == 'tool' -%}`,
  String.raw`{%- if loop.first or messages[loop.index0 - 1].role != 'tool' -%}{{- '<|im_start|>user' -}}{%- endif -%}`,
  String.raw`{{- '\n<tool_response>\n' + text(message.content) + '\n</tool_response>' -}}`,
  String.raw`{%- if loop.last or messages[loop.index0 + 1].role != 'tool' -%}{{- '<|im_end|>\n' -}}{%- endif -%}`,
  String.raw`{%- else -%}`,
  String.raw`{{- '<|im_start|>' + message.role + '\n' + text(message.content) + '<|im_end|>\n' -}}`,
  String.raw`{%- endif -%}`,
  String.raw`{%- endfor -%}`,
  String.raw`{%- if add_generation_prompt -%}{{- '<|im_start|>assistant\n' -}}{%- endif -%}`,
];

export const CHATML_TEMPLATE = lines.join('\n');
