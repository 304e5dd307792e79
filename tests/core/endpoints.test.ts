import Ajv from 'ajv';
import { describe, expect, it } from 'vitest';
import { embeddingResponseSchema } from '../support/openai-embedding-schema.js';
import { toBase64, truncate } from '../../src/core/endpoints/embeddings.js';
import { CreateEmbeddingResponse } from '../../src/protocol/embeddings.js';
import { BadRequestError, NotFoundError, type APIError } from '../../src/protocol/errors.js';
import type { EndpointName } from '../../src/protocol/rpc.js';
import { CLS, SEP, encoderRuntime } from '../support/encoder-engine.js';

/** Core's embeddings, rerank, score and tokenize semantics on scripted encoder models (tests/support/encoder-engine.ts). */
const signal = () => new AbortController().signal;

function setup() {
  return encoderRuntime({
    emb: { task: 'embed' },
    mrl: { task: 'embed', embedding: { dimensions: 4, matryoshka: [2, 4] } },
    raw: { task: 'embed', embedding: { normalized: false, matryoshka: true } },
    ce: { task: 'classify' },
    nli: { task: 'classify', labels: ['a', 'b', 'c'] },
  }, { chat: { reply: ['hi'] } });
}

async function rejection(p: Promise<unknown>): Promise<APIError> {
  return p.then(() => { throw new Error('expected a rejection'); }, (e: APIError) => e);
}

const run = <N extends EndpointName>(runtime: ReturnType<typeof setup>['runtime'], name: N, body: unknown) => runtime.runEndpoint(name, body, signal());

describe('embeddings', () => {
  it('a string or an array: one vector per input, by index, tokens counted with the special tokens', async () => {
    const { runtime } = setup();
    const one = await run(runtime, 'embeddings', { model: 'emb', input: 'a b c' });
    expect(CreateEmbeddingResponse.strict().parse(one)).toEqual(one);
    const validate = new Ajv().compile(embeddingResponseSchema());
    expect(validate(one), JSON.stringify(validate.errors)).toBe(true);
    expect(one.data).toHaveLength(1);
    expect(one.usage).toEqual({ prompt_tokens: 5, total_tokens: 5 });
    const many = await run(runtime, 'embeddings', { model: 'emb', input: ['a', 'a b'] });
    expect(many.data.map((d) => d.index)).toEqual([0, 1]);
    expect(many.usage.prompt_tokens).toBe(3 + 4);
  });

  it('token ids are taken as they are (no special tokens added)', async () => {
    const { runtime } = setup();
    const out = await run(runtime, 'embeddings', { model: 'raw', input: [[5, 6], [7]] });
    expect(out.data.map((d) => (d.embedding as number[]).slice(0, 2))).toEqual([[2, 11], [1, 7]]);
    expect(out.usage.prompt_tokens).toBe(3);
  });

  it('base64 is the float32 little-endian bytes of the float vector', async () => {
    const { runtime } = setup();
    const float = await run(runtime, 'embeddings', { model: 'emb', input: 'a b' });
    const b64 = await run(runtime, 'embeddings', { model: 'emb', input: 'a b', encoding_format: 'base64' });
    const bytes = Uint8Array.from(atob(b64.data[0]!.embedding as string), (c) => c.charCodeAt(0));
    expect(Array.from(new Float32Array(bytes.buffer))).toEqual(float.data[0]!.embedding);
  });

  it('dimensions: the first values, renormalized for unit vectors; left alone otherwise', async () => {
    const { runtime } = setup();
    const full = (await run(runtime, 'embeddings', { model: 'mrl', input: 'a b' })).data[0]!.embedding as number[];
    const cut = (await run(runtime, 'embeddings', { model: 'mrl', input: 'a b', dimensions: 2 })).data[0]!.embedding as number[];
    expect(cut).toHaveLength(2);
    expect(Math.hypot(...cut)).toBeCloseTo(1, 6);
    expect(cut[0]! / cut[1]!).toBeCloseTo(full[0]! / full[1]!, 6);
    const raw = (await run(runtime, 'embeddings', { model: 'raw', input: [[5, 6]], dimensions: 2 })).data[0]!.embedding;
    expect(raw).toEqual([2, 11]);
    expect(Array.from(truncate(Float32Array.of(3, 4, 12), 2, true))).toEqual([0.6000000238418579, 0.800000011920929]);
    expect(toBase64(Float32Array.of(1))).toBe('AACAPw==');
  });

  it.each([
    ['dimensions on a model without Matryoshka', { model: 'emb', input: 'a', dimensions: 2 }, 'dimensions'],
    ['dimensions not declared', { model: 'mrl', input: 'a', dimensions: 3 }, 'dimensions'],
    ['dimensions above the vector', { model: 'raw', input: 'a', dimensions: 5 }, 'dimensions'],
    ['an empty string', { model: 'emb', input: ['a', ''] }, 'input[1]'],
    ['a token id outside the vocabulary', { model: 'emb', input: [[1, 100]] }, 'input[0][1]'],
    ['an input longer than the context', { model: 'emb', input: ['a', 'w '.repeat(15)] }, 'input[1]'],
    ['an empty array', { model: 'emb', input: [] }, 'input'],
    ['mixed strings and ids', { model: 'emb', input: ['a', 1] }, 'input[1]'],
    ['an unknown encoding', { model: 'emb', input: 'a', encoding_format: 'int8' }, 'encoding_format'],
    ['an unknown field', { model: 'emb', input: 'a', truncate: true }, 'truncate'],
    ['a model that does not embed', { model: 'ce', input: 'a' }, 'model'],
    ['a chat model', { model: 'chat', input: 'a' }, 'model'],
  ])('%s: a 400 naming the param', async (_what, body, param) => {
    const { runtime } = setup();
    const err = await rejection(run(runtime, 'embeddings', body));
    expect(err).toBeInstanceOf(BadRequestError);
    expect(err.param).toBe(param);
  });

  it('an unknown model is a 404 before anything loads', async () => {
    const { runtime, log } = setup();
    const err = await rejection(run(runtime, 'embeddings', { model: 'nope', input: 'a' }));
    expect(err).toBeInstanceOf(NotFoundError);
    expect(err.param).toBe('model');
    expect(log.loads).toBe(0);
  });
});

describe('rerank and score', () => {
  const documents = ['x y', 'a b c', 'a z', { text: 'b c' }];

  it('rerank: best first, sigmoid of the logit, documents returned, top_n, usage', async () => {
    const { runtime } = setup();
    const out = await run(runtime, 'rerank', { model: 'ce', query: 'a b c', documents });
    expect(out.results.map((r) => r.index)).toEqual([1, 3, 2, 0]);
    expect(out.results[0]).toEqual({ index: 1, relevance_score: 1 / (1 + Math.exp(-3)), document: { text: 'a b c' } });
    expect(out.usage.total_tokens).toBe(8 + 9 + 8 + 8);
    const top = await run(runtime, 'rerank', { model: 'ce', query: 'a b c', documents, top_n: 1, return_documents: false });
    expect(top.results).toEqual([{ index: 1, relevance_score: out.results[0]!.relevance_score }]);
  });

  it('score: one text_1 against each text_2, or N against N', async () => {
    const { runtime } = setup();
    const oneToMany = await run(runtime, 'score', { model: 'ce', text_1: 'a b', text_2: ['a', 'c'] });
    expect(oneToMany.data.map((d) => d.score)).toEqual([1 / (1 + Math.exp(-1)), 0.5]);
    const pairs = await run(runtime, 'score', { model: 'ce', text_1: ['a', 'c'], text_2: ['a', 'c'] });
    expect(pairs.data.map((d) => d.score)).toEqual([1 / (1 + Math.exp(-1)), 1 / (1 + Math.exp(-1))]);
    expect(pairs.data[1]).toMatchObject({ index: 1, object: 'score' });
  });

  it.each([
    ['rerank', { model: 'emb', query: 'q', documents: ['d'] }, 'model'],
    ['rerank', { model: 'nli', query: 'q', documents: ['d'] }, 'model'],
    ['rerank', { model: 'ce', query: 'q', documents: [] }, 'documents'],
    ['rerank', { model: 'ce', query: 'q', documents: ['ok', 'w '.repeat(14)] }, 'documents[1]'],
    ['rerank', { model: 'ce', query: 'q', documents: ['d'], top_n: -1 }, 'top_n'],
    ['score', { model: 'ce', text_1: ['a', 'b'], text_2: ['a', 'b', 'c'] }, 'text_1'],
    ['scoreEvaluation', { model: 'emb', messages: ['a'] }, 'model'],
    ['scoreEvaluation', { model: 'ce', messages: [] }, 'messages'],
  ] as const)('%s %j: a 400 naming %s', async (name, body, param) => {
    const { runtime } = setup();
    const err = await rejection(run(runtime, name, body));
    expect(err).toBeInstanceOf(BadRequestError);
    expect(err.param).toBe(param);
  });

  it('score evaluation: the raw logit per text, no special tokens, cut to max_length (else the context)', async () => {
    const { runtime, log } = setup();
    const out = await run(runtime, 'scoreEvaluation', { model: 'ce', messages: ['a a b', 'c'], max_length: 8 });
    expect(out).toMatchObject({ object: 'score.evaluation', model: 'ce', scores: [3, 1] });
    expect(out.id).toMatch(/^scoreval-/);
    expect(log.classified).toEqual([{ text: 'a a b', addSpecialTokens: false, maxTokens: 8 }, { text: 'c', addSpecialTokens: false, maxTokens: 8 }]);
    await run(runtime, 'scoreEvaluation', { model: 'ce', messages: ['a'] });
    expect(log.classified.at(-1)!.maxTokens).toBe(16);
  });
});

describe('tokenize, detokenize, token_check', () => {
  it('prompt (vLLM) adds special tokens by default; content (llama.cpp) does not; pieces and token strings', async () => {
    const { runtime } = setup();
    const vllm = await run(runtime, 'tokenize', { model: 'emb', prompt: 'a b', return_token_strs: true });
    expect(vllm).toEqual({ count: 4, max_model_len: 16, tokens: [CLS, 3, 4, SEP], token_strs: ['[CLS]', 'a', 'b', '[SEP]'] });
    const llama = await run(runtime, 'tokenize', { model: 'emb', content: 'a b', with_pieces: true });
    expect(llama.tokens).toEqual([{ id: 3, piece: 'a' }, { id: 4, piece: 'b' }]);
    expect((await run(runtime, 'tokenize', { model: 'emb', content: 'a', add_special: true })).tokens).toEqual([CLS, 3, SEP]);
    expect((await run(runtime, 'tokenize', { model: 'emb', prompt: 'a', add_special_tokens: false })).tokens).toEqual([3]);
  });

  it('no model named: the one loaded model, else a 400 naming model', async () => {
    const { runtime } = setup();
    expect((await rejection(run(runtime, 'tokenize', { prompt: 'a' }))).param).toBe('model');
    await runtime.loadModel('emb');
    expect((await run(runtime, 'tokenize', { prompt: 'a' })).count).toBe(3);
    expect((await run(runtime, 'detokenize', { tokens: [CLS, 1] })).prompt).toBe('[CLS] [CLS]');
    await runtime.loadModel('ce');
    expect((await rejection(run(runtime, 'detokenize', { tokens: [1] }))).param).toBe('model');
  });

  it('detokenize answers in both shapes; ids outside the vocabulary are a 400 naming the id', async () => {
    const { runtime } = setup();
    await run(runtime, 'tokenize', { model: 'emb', prompt: 'hello there' });
    expect(await run(runtime, 'detokenize', { model: 'emb', tokens: [3, 4] })).toEqual({ prompt: 'hello there', content: 'hello there' });
    expect((await rejection(run(runtime, 'detokenize', { model: 'emb', tokens: [3, 100] }))).param).toBe('tokens[1]');
  });

  it.each([
    [{ model: 'emb' }, 'prompt'],
    [{ model: 'emb', prompt: 'a', content: 'a' }, 'content'],
    [{ model: 'emb', prompt: 'a', add_special: true, add_special_tokens: true }, 'add_special'],
    [{ model: 'chat', prompt: 'a' }, 'model'],
    [{ model: 'emb', messages: [] }, 'messages'],
  ])('%j: a 400 naming %s', async (body, param) => {
    const { runtime } = setup();
    expect((await rejection(run(runtime, 'tokenize', body))).param).toBe(param);
  });

  it('token_check: each prompt against its own model (FastChat shape)', async () => {
    const { runtime } = setup();
    const out = await run(runtime, 'tokenCheck', { prompts: [{ model: 'emb', prompt: 'a b', max_tokens: 12 }, { model: 'ce', prompt: 'a b', max_tokens: 13 }] });
    expect(out).toEqual({ prompts: [{ fits: true, tokenCount: 4, contextLength: 16 }, { fits: false, tokenCount: 4, contextLength: 16 }] });
    expect((await rejection(run(runtime, 'tokenCheck', { prompts: [{ model: 'emb', prompt: 'a', max_tokens: 1 }, { model: 'nope', prompt: 'a', max_tokens: 1 }] }))).param).toBe('prompts[1].model');
  });
});
