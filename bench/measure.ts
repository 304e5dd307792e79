/**
 * One timed streaming request, the same arithmetic for every path: time to first token
 * from the call, and decode speed between the first and the last token.
 */
export interface Sample {
  ttftMs: number;
  tokens: number;
  decodeTokPerS: number;
  totalMs: number;
}

export const BENCH_REQUEST = {
  model: 'tiny-chat',
  messages: [{ role: 'user' as const, content: 'Hi' }],
  temperature: 0,
  max_tokens: 512,
  ignore_eos: true,
  stream: true as const,
};

/** Times any async iterable of chat chunks (content deltas count as tokens). */
export async function timeStream(start: number, chunks: AsyncIterable<{ choices: Array<{ delta?: { content?: string | null } }> }>): Promise<Sample> {
  let first = 0;
  let last = 0;
  let tokens = 0;
  for await (const chunk of chunks) {
    if (!chunk.choices[0]?.delta?.content) continue;
    last = performance.now();
    if (tokens === 0) first = last;
    tokens++;
  }
  return {
    ttftMs: first - start,
    tokens,
    decodeTokPerS: tokens > 1 ? ((tokens - 1) * 1000) / (last - first) : 0,
    totalMs: last - start,
  };
}

/** Constrained decoding: the same model and settings, under a JSON schema that runs past max_tokens. */
export const BENCH_CONSTRAINED = {
  ...BENCH_REQUEST,
  ignore_eos: false,
  response_format: {
    type: 'json_schema' as const,
    json_schema: {
      name: 'bench',
      schema: {
        type: 'object',
        // minItems keeps greedy decoding in the array past max_tokens (xgrammar expands
        // bounded repetitions, so it stays small).
        properties: { items: { type: 'array', minItems: 40, items: { type: 'object', properties: { word: { enum: ['alpha', 'beta', 'gamma'] }, n: { type: 'integer', minimum: 0, maximum: 999 } }, required: ['word', 'n'], additionalProperties: false } } },
        required: ['items'],
        additionalProperties: false,
      },
    },
  },
};

/** A mid-sized schema (what an app's form or an agent's tool typically has): compile time. */
export const BENCH_MID_SCHEMA = {
  type: 'object',
  properties: {
    id: { type: 'string', pattern: '^[A-Z]{3}-[0-9]{6}$' },
    created: { type: 'string', format: 'date-time' },
    customer: {
      type: 'object',
      properties: {
        name: { type: 'string', minLength: 1, maxLength: 64 },
        email: { type: 'string', format: 'email' },
        tier: { enum: ['free', 'pro', 'enterprise'] },
        age: { type: 'integer', minimum: 13, maximum: 120 },
        address: {
          type: 'object',
          properties: { street: { type: 'string', maxLength: 80 }, city: { type: 'string', maxLength: 40 }, zip: { type: 'string', pattern: '^[0-9]{5}$' }, country: { enum: ['US', 'CA', 'GB', 'DE', 'FR', 'JP'] } },
          required: ['street', 'city', 'zip', 'country'],
          additionalProperties: false,
        },
      },
      required: ['name', 'email', 'tier', 'address'],
      additionalProperties: false,
    },
    items: {
      type: 'array',
      minItems: 1,
      maxItems: 20,
      items: {
        type: 'object',
        properties: { sku: { type: 'string', maxLength: 16 }, qty: { type: 'integer', minimum: 1, maximum: 100 }, price: { type: 'number', exclusiveMinimum: 0, maximum: 10000 }, tags: { type: 'array', items: { type: 'string', maxLength: 12 }, maxItems: 5 } },
        required: ['sku', 'qty', 'price'],
        additionalProperties: false,
      },
    },
    discount: { type: ['number', 'null'], minimum: 0, maximum: 0.5 },
    status: { enum: ['pending', 'paid', 'shipped', 'cancelled'] },
    notes: { type: 'string', maxLength: 200 },
    gift: { type: 'boolean' },
  },
  required: ['id', 'created', 'customer', 'items', 'status', 'gift'],
  additionalProperties: false,
};

/** A value of BENCH_MID_SCHEMA, written the way models do (newlines and indents): per-token mask time. */
export const BENCH_MID_INSTANCE = JSON.stringify({
  id: 'ABC-123456',
  created: '2024-01-02T03:04:05Z',
  customer: { name: 'Jane Doe', email: 'jane@example.com', tier: 'pro', age: 42, address: { street: '1 Main Street', city: 'Springfield', zip: '12345', country: 'US' } },
  items: [{ sku: 'X-1', qty: 2, price: 3.5, tags: ['red', 'sale'] }, { sku: 'Y-22', qty: 1, price: 120 }],
  discount: 0.1,
  status: 'paid',
  notes: 'Leave it at the door, please.',
  gift: false,
}, null, 2);
