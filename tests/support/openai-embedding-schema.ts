/**
 * OpenAI's published shape of an embeddings response (openai/openai-openapi, openapi.json
 * at f85dbe2: components.schemas.CreateEmbeddingResponse and Embedding), written out as a
 * JSON Schema for ajv: every field the spec requires, with its type. The spec leaves extra
 * properties open; `strict` closes them, so a test also catches fields OpenAI does not define.
 */
export function embeddingResponseSchema(strict = true) {
  const closed = strict ? { additionalProperties: false } : {};
  return {
    type: 'object',
    required: ['object', 'model', 'data', 'usage'],
    properties: {
      object: { enum: ['list'] },
      model: { type: 'string' },
      data: {
        type: 'array',
        items: {
          type: 'object',
          required: ['index', 'object', 'embedding'],
          properties: {
            index: { type: 'integer' },
            object: { enum: ['embedding'] },
            embedding: { type: 'array', items: { type: 'number' } },
          },
          ...closed,
        },
      },
      usage: {
        type: 'object',
        required: ['prompt_tokens', 'total_tokens'],
        properties: { prompt_tokens: { type: 'integer' }, total_tokens: { type: 'integer' } },
        ...closed,
      },
    },
    ...closed,
  } as const;
}
