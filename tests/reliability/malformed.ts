import { createRng, type Rng } from '../../src/core/rng.js';

/**
 * A seeded generator of malformed requests over every /v1 route, the way a new user (or a
 * broken client) gets them wrong: wrong types, missing and unknown fields, bad JSON,
 * wrong content types and methods, bodies nested thousands deep (in ignored fields too),
 * arrays and prompts far past their limits. Each case says which top-level field it
 * broke (when it broke one), so a test can check `param` names it.
 */
export interface MalformedCase {
  kind: string;
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string | Uint8Array;
  /** The top-level body field the case broke; the refusal's `param` must start there. */
  field?: string;
}

export const MODEL = 'm';
/** Context of the fuzzed model; a prompt of more than 64 bytes per token of it is refused from its size. */
export const CONTEXT = 4096;
export const VOCAB = 1000;

const chat = () => ({ model: MODEL, messages: [{ role: 'user', content: 'hi there' }] });
const completion = () => ({ model: MODEL, prompt: 'Once upon' });
const response = () => ({ model: MODEL, input: 'hi there' });

const ROUTES = [
  { path: '/v1/chat/completions', valid: chat },
  { path: '/v1/completions', valid: completion },
  { path: '/v1/responses', valid: response },
] as const;

/** Values of the wrong type for most fields (and `stream`'s classic mistakes). */
const WRONG: unknown[] = ['true', 1, 0, [], {}, '', -1, 1e300, 'x'.repeat(300), [1, 'a', null], { a: { b: 1 } }, true, false];

/** Fields each route validates, with a wrong value's chance of being accepted anyway excluded. */
const FIELDS: Record<string, string[]> = {
  '/v1/chat/completions': ['model', 'messages', 'temperature', 'top_p', 'n', 'stop', 'max_tokens', 'max_completion_tokens', 'stream',
    'stream_options', 'seed', 'logit_bias', 'logprobs', 'top_logprobs', 'tools', 'tool_choice', 'response_format', 'presence_penalty',
    'frequency_penalty', 'top_k', 'min_p', 'repetition_penalty', 'min_tokens', 'ignore_eos', 'parallel_tool_calls', 'prediction',
    'metadata', 'reasoning_format', 'chat_template_kwargs', 'modalities'],
  '/v1/completions': ['model', 'prompt', 'temperature', 'top_p', 'n', 'stop', 'max_tokens', 'stream', 'stream_options', 'seed',
    'logit_bias', 'logprobs', 'echo', 'best_of', 'presence_penalty', 'frequency_penalty', 'suffix', 'top_k', 'min_tokens'],
  '/v1/responses': ['model', 'input', 'instructions', 'temperature', 'top_p', 'max_output_tokens', 'stream', 'tools', 'tool_choice',
    'text', 'store', 'previous_response_id', 'metadata', 'parallel_tool_calls', 'seed', 'top_k', 'truncation', 'reasoning', 'include'],
};

/** `[[[...]]]` `depth` levels deep. */
export function nested(depth: number): string {
  return '['.repeat(depth) + ']'.repeat(depth);
}

export function generateCases(seed: number, count: number): MalformedCase[] {
  const rng = createRng(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rng() * items.length)]!;
  const json = { 'content-type': 'application/json' };
  const cases: MalformedCase[] = [];
  const makers: Array<() => MalformedCase> = [
    // A field of the wrong type (the most common mistake).
    () => {
      const route = pick(ROUTES);
      const field = pick(FIELDS[route.path]!);
      let value = pick(WRONG);
      if (!wrongFor(field, value)) value = field === 'model' ? 12 : [{ nope: true }];
      return { kind: 'wrong-type', method: 'POST', path: route.path, headers: json, body: JSON.stringify({ ...route.valid(), [field]: value }), field };
    },
    // `stream` as anything but a boolean, on every POST route.
    () => {
      const route = pick(ROUTES);
      return { kind: 'stream-not-boolean', method: 'POST', path: route.path, headers: json, body: JSON.stringify({ ...route.valid(), stream: pick(['true', 1, 0, [], {}, '']) }), field: 'stream' };
    },
    // A required field missing.
    () => {
      const route = pick(ROUTES);
      const body = route.valid() as Record<string, unknown>;
      const field = pick(Object.keys(body));
      delete body[field];
      return { kind: 'missing', method: 'POST', path: route.path, headers: json, body: JSON.stringify(body), field };
    },
    // An unknown field.
    () => {
      const route = pick(ROUTES);
      const field = `x_${Math.floor(rng() * 1e6)}`;
      return { kind: 'unknown-field', method: 'POST', path: route.path, headers: json, body: JSON.stringify({ ...route.valid(), [field]: 1 }), field };
    },
    // Nested far too deep, in a field the route reads or one it ignores.
    () => {
      const route = pick(ROUTES);
      const depth = pick([65, 200, 1500, 2000, 5000, 20000]);
      const field = route.path === '/v1/chat/completions' ? pick(['prediction', 'metadata', 'messages', 'response_format']) : pick(['metadata', 'model']);
      const body = JSON.stringify({ ...route.valid(), [field]: '__DEEP__' }).replace('"__DEEP__"', nested(depth));
      return { kind: `deep-${depth}`, method: 'POST', path: route.path, headers: json, body, field };
    },
    // Broken JSON text, or JSON that is not an object, or not UTF-8.
    () => {
      const route = pick(ROUTES);
      const valid = JSON.stringify(route.valid());
      const body = pick<string | Uint8Array>([
        valid.slice(0, Math.floor(rng() * valid.length)), `${valid}}`, `${valid} trailing`, '[1,2,3]', '"a string"', '42', 'null', '',
        '   ', '{"model": }', "{'model': 'm'}", new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]),
      ]);
      return { kind: 'bad-json', method: 'POST', path: route.path, headers: json, body };
    },
    // The wrong content type, or none.
    () => {
      const route = pick(ROUTES);
      const type = pick(['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', '']);
      const headers: Record<string, string> = type ? { 'content-type': type } : {};
      return { kind: 'content-type', method: 'POST', path: route.path, headers, body: JSON.stringify(route.valid()) };
    },
    // Wrong methods and unknown routes.
    () => {
      const [method, path] = pick([
        ['PUT', '/v1/chat/completions'], ['GET', '/v1/chat/completions'], ['DELETE', '/v1/models'], ['POST', '/v1/models'],
        ['GET', '/v1/embeddingz'], ['POST', '/v1/chat'], ['GET', '/v1/models/nope'], ['GET', '/v1/responses/resp_nope'],
        ['DELETE', '/v1/responses/resp_nope'], ['GET', '/v1/responses/resp_nope/input_items'], ['POST', '/v1/responses/resp_nope/cancel'],
        ['GET', '/v1/responses/resp_nope?stream=true'], ['PATCH', '/v1/responses'], ['GET', '/v1/'],
      ] as const);
      return { kind: 'route', method, path, headers: method === 'POST' ? json : {}, ...(method === 'POST' ? { body: '{}' } : {}) };
    },
    // Arrays and values past their limits.
    () => {
      const route = pick(ROUTES);
      const [field, value] = route.path === '/v1/completions'
        ? pick([['stop', ['a', 'b', 'c', 'd', 'e']], ['n', 129], ['logit_bias', { [String(VOCAB + 5)]: 1 }], ['max_tokens', CONTEXT * 4], ['prompt', 'word '.repeat(60_000)]] as const)
        : route.path === '/v1/chat/completions'
          ? pick([['tools', tools(129)], ['stop', ['a', 'b', 'c', 'd', 'e']], ['logit_bias', { [String(VOCAB)]: 1 }], ['messages', []],
              ['max_tokens', CONTEXT * 4], ['top_logprobs', 21], ['messages', [{ role: 'user', content: 'word '.repeat(60_000) }]]] as const)
          : pick([['tools', tools(129)], ['max_output_tokens', CONTEXT * 4], ['instructions', 'word '.repeat(60_000)], ['input', []]] as const);
      return { kind: `limit-${field}`, method: 'POST', path: route.path, headers: json, body: JSON.stringify({ ...route.valid(), [field]: value }), field };
    },
    // Messages and input items of the wrong shape.
    () => {
      const route = pick(ROUTES.filter((r) => r.path !== '/v1/completions'));
      if (route.path === '/v1/responses') {
        const input = pick([[{ type: 'message', role: 'robot', content: 'x' }], [{ type: 'nope' }], [{ role: 'user', content: [{ type: 'input_image', image_url: 'ftp://x' }] }],
          [{ type: 'function_call_output' }], [{ role: 'user', content: [{ type: 'input_audio' }] }]]);
        return { kind: 'input-shape', method: 'POST', path: route.path, headers: json, body: JSON.stringify({ ...response(), input }), field: 'input' };
      }
      const messages = pick([[{ role: 'robot', content: 'x' }], [{ content: 'x' }], [{ role: 'user', content: [{ type: 'nope' }] }],
        [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'ftp://x' } }] }],
        [{ role: 'user', content: [{ type: 'input_audio', input_audio: { data: '!!!', format: 'wav' } }] }],
        [{ role: 'tool', content: 'x' }], [{ role: 'user', content: 5 }], ['just a string']]);
      return { kind: 'message-shape', method: 'POST', path: route.path, headers: json, body: JSON.stringify({ ...chat(), messages }), field: 'messages' };
    },
  ];
  for (let i = 0; i < count; i++) cases.push(pick(makers)());
  return cases;
}

/** Whether `value` is really wrong for `field` (some wrong-looking values are valid: `stop: ''`, `metadata: {}`). */
function wrongFor(field: string, value: unknown): boolean {
  const valid: Record<string, (v: unknown) => boolean> = {
    stop: (v) => typeof v === 'string' || (Array.isArray(v) && v.length <= 4 && v.every((s) => typeof s === 'string')),
    metadata: (v) => typeof v === 'object' && v !== null && !Array.isArray(v) && Object.values(v).every((s) => typeof s === 'string'),
    seed: (v) => Number.isInteger(v) && Math.abs(v as number) <= Number.MAX_SAFE_INTEGER,
    logit_bias: (v) => typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(v).length === 0,
    prediction: (v) => typeof v === 'object' && v !== null && !Array.isArray(v),
    chat_template_kwargs: (v) => typeof v === 'object' && v !== null && !Array.isArray(v),
    reasoning: (v) => typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(v).length === 0,
    include: (v) => Array.isArray(v) && v.length === 0,
    modalities: (v) => Array.isArray(v) && v.length === 0,
    tools: (v) => Array.isArray(v) && v.length === 0,
    prompt: (v) => typeof v === 'string' && v.trim() !== '',
    instructions: (v) => typeof v === 'string',
    input: (v) => typeof v === 'string' && v.trim() !== '',
    top_k: (v) => Number.isInteger(v) && (v as number) >= -1,
    min_tokens: (v) => Number.isInteger(v) && (v as number) >= 0 && (v as number) <= 16,
    ignore_eos: (v) => typeof v === 'boolean',
    echo: (v) => typeof v === 'boolean',
    logprobs: (v) => typeof v === 'boolean' || (Number.isInteger(v) && (v as number) >= 0 && (v as number) <= 5),
    stream: (v) => typeof v === 'boolean',
    store: (v) => typeof v === 'boolean',
    parallel_tool_calls: (v) => typeof v === 'boolean',
    temperature: (v) => typeof v === 'number' && v >= 0 && v <= 2,
    top_p: (v) => typeof v === 'number' && v >= 0 && v <= 1,
    min_p: (v) => typeof v === 'number' && v >= 0 && v <= 1,
    presence_penalty: (v) => typeof v === 'number' && v >= -2 && v <= 2,
    frequency_penalty: (v) => typeof v === 'number' && v >= -2 && v <= 2,
    n: (v) => v === 1,
    best_of: (v) => v === 1,
    suffix: (v) => v === '',
    max_tokens: (v) => Number.isInteger(v) && (v as number) >= 1 && (v as number) < 100,
    max_completion_tokens: (v) => Number.isInteger(v) && (v as number) >= 1 && (v as number) < 100,
    max_output_tokens: (v) => Number.isInteger(v) && (v as number) >= 1 && (v as number) < 100,
    repetition_penalty: (v) => typeof v === 'number' && v > 0 && v <= 10,
    stream_options: emptyObject,
    text: emptyObject,
    top_logprobs: () => false,
    truncation: () => false,
  };
  return !(valid[field]?.(value) ?? false);
}

function emptyObject(v: unknown): boolean {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(v).length === 0;
}

function tools(count: number) {
  return Array.from({ length: count }, (_, i) => ({ type: 'function', function: { name: `f${i}`, parameters: { type: 'object', properties: {} } } }));
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

export type { Rng };
