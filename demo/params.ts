/**
 * The request parameters form: every sampling and output parameter the chat API takes,
 * built into a container (one per side in compare mode, ids suffixed `-a` / `-b`). An
 * empty field is not sent (the model's generation_config, then OpenAI's default, apply).
 * The JSON editors (schema, tools, logit_bias) validate as you type.
 */
import Ajv2020 from 'ajv/dist/2020';
import { el } from './dom.js';

interface NumberField { key: string; label: string; min?: number; max?: number; step: number; int?: boolean; value?: string; hint?: string }

const NUMBERS: NumberField[] = [
  { key: 'temperature', label: 'Temperature', min: 0, max: 2, step: 0.05, value: '0', hint: '0 = greedy: the tiny model always says the same sentence' },
  { key: 'top_p', label: 'Top p', min: 0, max: 1, step: 0.01 },
  { key: 'top_k', label: 'Top k', min: 0, step: 1, int: true },
  { key: 'min_p', label: 'Min p', min: 0, max: 1, step: 0.01 },
  { key: 'max_tokens', label: 'Max tokens', min: 1, step: 1, int: true, value: '256' },
  { key: 'presence_penalty', label: 'Presence penalty', min: -2, max: 2, step: 0.1 },
  { key: 'frequency_penalty', label: 'Frequency penalty', min: -2, max: 2, step: 0.1 },
  { key: 'repetition_penalty', label: 'Repetition penalty', min: 0.01, step: 0.05 },
  { key: 'seed', label: 'Seed', step: 1, int: true },
  { key: 'n', label: 'Choices (n)', min: 1, max: 8, step: 1, int: true },
];

const EXAMPLE_SCHEMA = '{\n  "type": "object",\n  "properties": { "answer": { "type": "string" } },\n  "required": ["answer"]\n}';
const EXAMPLE_TOOLS = '[\n  {\n    "type": "function",\n    "function": {\n      "name": "get_weather",\n      "description": "Weather in a city",\n      "parameters": {\n        "type": "object",\n        "properties": { "city": { "enum": ["Paris", "Tokyo", "Lima"] } },\n        "required": ["city"],\n        "additionalProperties": false\n      }\n    }\n  }\n]';

const ajv = new Ajv2020({ strict: false, validateFormats: false });

/** null when `text` is a JSON Schema; otherwise what is wrong with it. */
export function schemaError(text: string): string | null {
  let schema: unknown;
  try { schema = JSON.parse(text); } catch (err) { return `Invalid JSON: ${(err as Error).message}`; }
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) return 'A schema is a JSON object.';
  if (!ajv.validateSchema(schema as object)) return `Not a JSON Schema: ${ajv.errorsText(ajv.errors)}`;
  return null;
}

/** null when `text` is a JSON array of function tools; otherwise what is wrong with it. */
export function toolsError(text: string): string | null {
  let tools: unknown;
  try { tools = JSON.parse(text); } catch (err) { return `Invalid JSON: ${(err as Error).message}`; }
  if (!Array.isArray(tools)) return 'Tools are a JSON array.';
  for (const [i, t] of tools.entries()) {
    const fn = (t as { function?: { name?: unknown; parameters?: unknown } } | null)?.function;
    if ((t as { type?: unknown })?.type !== 'function' || typeof fn?.name !== 'string') return `tools[${i}] needs "type": "function" and a function.name.`;
    if (fn.parameters !== undefined) {
      const problem = schemaError(JSON.stringify(fn.parameters));
      if (problem) return `tools[${i}].function.parameters: ${problem}`;
    }
  }
  return null;
}

/** null when `text` is empty (not sent) or a logit_bias map (token id -> -100..100); otherwise what is wrong with it. */
export function logitBiasError(text: string): string | null {
  if (text.trim() === '') return null;
  let bias: unknown;
  try { bias = JSON.parse(text); } catch (err) { return `Invalid JSON: ${(err as Error).message}`; }
  if (typeof bias !== 'object' || bias === null || Array.isArray(bias)) return 'logit_bias is a JSON object: {"token id": bias}.';
  for (const [key, value] of Object.entries(bias)) {
    if (!/^\d+$/.test(key)) return `"${key}" is not a token id (a whole number).`;
    if (typeof value !== 'number' || value < -100 || value > 100) return `The bias of ${key} is a number from -100 to 100.`;
  }
  return null;
}

export type ParamValues = Record<string, string | boolean>;
export type ReadResult = { ok: true; params: Record<string, unknown> } | { ok: false; error: string };

export interface ParamsForm {
  element: HTMLElement;
  /** The request fields this form sets (valid), or the first problem. */
  read(): ReadResult;
  values(): ParamValues;
  setValues(values: ParamValues): void;
  /** A short label of what differs from the defaults ("temperature 0 · max_tokens 3"). */
  label(): string;
}

function field(id: string, label: string, control: HTMLElement, hint?: string): HTMLElement {
  control.id = id;
  const wrap = el('div', { className: 'field' }, el('label', { htmlFor: id, textContent: label }), control);
  if (hint) {
    const help = el('small', { id: `${id}-hint`, className: 'hint', textContent: hint });
    control.setAttribute('aria-describedby', help.id);
    wrap.append(help);
  }
  return wrap;
}

/** A JSON editor with a live status line (role=status) that says whether it parses. */
function jsonEditor(id: string, label: string, example: string, check: (text: string) => string | null, rows = 7) {
  const area = el('textarea', { id, rows, spellcheck: false, value: example, className: 'code' });
  const status = el('small', { id: `${id}-status`, className: 'json-status' });
  status.setAttribute('role', 'status');
  const validate = () => {
    const problem = check(area.value);
    status.textContent = problem ?? (area.value.trim() ? 'Valid' : 'Empty: not sent');
    status.dataset.kind = problem ? 'error' : 'ok';
    area.setAttribute('aria-invalid', String(problem !== null));
    return problem;
  };
  area.addEventListener('input', validate);
  area.setAttribute('aria-describedby', status.id);
  validate();
  return { area, validate, wrap: el('div', { className: 'field' }, el('label', { htmlFor: id, textContent: label }), area, status) };
}

export function createParamsForm(suffix: string, onChange: () => void): ParamsForm {
  const id = (key: string) => `${key.replace(/_/g, '-')}-${suffix}`;
  const numbers = new Map<string, HTMLInputElement>();
  const grid = el('div', { className: 'param-grid' });
  for (const f of NUMBERS) {
    const input = el('input', { type: 'number', step: String(f.step), value: f.value ?? '', placeholder: 'default', inputMode: f.int ? 'numeric' : 'decimal' });
    if (f.min !== undefined) input.min = String(f.min);
    if (f.max !== undefined) input.max = String(f.max);
    numbers.set(f.key, input);
    grid.append(field(id(f.key), f.label, input, f.hint));
  }
  const stop = el('textarea', { rows: 2, placeholder: 'one per line' });
  const logitBias = jsonEditor(id('logit-bias'), 'Logit bias (JSON: token id to -100..100)', '', logitBiasError, 2);
  logitBias.area.placeholder = '{"405": 4}';
  const logprobs = el('input', { type: 'checkbox' });
  const topLogprobs = el('input', { type: 'number', min: '0', max: '20', step: '1', value: '3' });
  const ignoreEos = el('input', { type: 'checkbox' });
  const format = el('select', {}, ...['text', 'json_object', 'json_schema'].map((v) => new Option(v, v)));
  const schemaName = el('input', { value: 'answer' });
  const schema = jsonEditor(id('schema'), 'JSON schema', EXAMPLE_SCHEMA, schemaError);
  const useTools = el('input', { type: 'checkbox' });
  const tools = jsonEditor(id('tools'), 'Tools (JSON)', EXAMPLE_TOOLS, toolsError);
  const toolChoice = el('select', {}, ...['auto', 'none', 'required'].map((v) => new Option(v, v)));

  const schemaBox = el('div', { className: 'sub' }, field(id('schema-name'), 'Schema name', schemaName), schema.wrap);
  const toolsBox = el('div', { className: 'sub' }, tools.wrap, field(id('tool-choice'), 'Tool choice', toolChoice));
  const sync = () => {
    schemaBox.hidden = format.value !== 'json_schema';
    toolsBox.hidden = !useTools.checked;
    topLogprobs.disabled = !logprobs.checked;
  };
  const check = (input: HTMLInputElement, label: string) => el('div', { className: 'field check' }, input, el('label', { htmlFor: input.id, textContent: label }));
  logprobs.id = id('logprobs');
  ignoreEos.id = id('ignore-eos');
  useTools.id = id('use-tools');

  const element = el('div', { className: 'params' },
    grid,
    field(id('stop'), 'Stop strings', stop),
    logitBias.wrap,
    el('div', { className: 'param-grid' }, check(logprobs, 'Logprobs'), field(id('top-logprobs'), 'Top logprobs', topLogprobs)),
    check(ignoreEos, 'Ignore EOS (always max tokens)'),
    field(id('response-format'), 'Response format', format),
    schemaBox,
    check(useTools, 'Tools'),
    toolsBox,
  );
  element.addEventListener('input', () => { sync(); onChange(); });
  element.addEventListener('change', () => { sync(); onChange(); });
  sync();

  const read = (): ReadResult => {
    const params: Record<string, unknown> = {};
    for (const f of NUMBERS) {
      const raw = numbers.get(f.key)!.value.trim();
      if (raw === '') continue;
      const value = Number(raw);
      if (!Number.isFinite(value) || (f.int && !Number.isInteger(value))) return { ok: false, error: `${f.label}: ${f.int ? 'a whole number' : 'a number'}, please.` };
      params[f.key] = value;
    }
    const stops = stop.value.split('\n').filter((s) => s !== '');
    if (stops.length) params.stop = stops;
    if (logitBias.area.value.trim()) {
      const problem = logitBias.validate();
      if (problem) return { ok: false, error: `Logit bias: ${problem}` };
      params.logit_bias = JSON.parse(logitBias.area.value);
    }
    if (logprobs.checked) {
      params.logprobs = true;
      params.top_logprobs = Number(topLogprobs.value) || 0;
    }
    if (ignoreEos.checked) params.ignore_eos = true;
    if (format.value === 'json_object') params.response_format = { type: 'json_object' };
    if (format.value === 'json_schema') {
      const problem = schema.validate();
      if (problem) return { ok: false, error: `JSON schema: ${problem}` };
      params.response_format = { type: 'json_schema', json_schema: { name: schemaName.value || 'answer', schema: JSON.parse(schema.area.value), strict: true } };
    }
    if (useTools.checked) {
      const problem = tools.validate();
      if (problem) return { ok: false, error: `Tools: ${problem}` };
      params.tools = JSON.parse(tools.area.value);
      params.tool_choice = toolChoice.value;
    }
    return { ok: true, params };
  };

  const controls = () => [...element.querySelectorAll<HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement>('input, textarea, select')];
  return {
    element,
    read,
    values: () => Object.fromEntries(controls().map((c) => [c.id, c instanceof HTMLInputElement && c.type === 'checkbox' ? c.checked : c.value])),
    setValues(values) {
      for (const c of controls()) {
        const v = values[c.id];
        if (v === undefined) continue;
        if (c instanceof HTMLInputElement && c.type === 'checkbox') c.checked = Boolean(v);
        else c.value = String(v);
      }
      sync();
      schema.validate();
      tools.validate();
      logitBias.validate();
    },
    label() {
      const r = read();
      if (!r.ok) return 'invalid settings';
      return Object.entries(r.params).filter(([k]) => !['tools', 'response_format'].includes(k))
        .map(([k, v]) => `${k} ${typeof v === 'object' ? JSON.stringify(v) : v}`).join(' · ') || 'defaults';
    },
  };
}
