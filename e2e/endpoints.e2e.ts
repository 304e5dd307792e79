import { readFileSync } from 'node:fs';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import Ajv from 'ajv';
import { CreateEmbeddingResponse } from '../src/protocol/embeddings.js';
import { embeddingResponseSchema } from '../tests/support/openai-embedding-schema.js';
import { launch } from './support/browser.js';
import { openReadyPage } from './support/ready-page.js';

/**
 * Embeddings, rerank, score and tokenize on tiny random models of real architectures
 * (scripts/fixtures/gen_endpoint_models.py: BERT embedding models with sentence-transformers
 * mean / CLS pooling + Normalize, a BERT cross-encoder, a Llama reward model), in real
 * Chromium, through the in-page client and through /v1 with the real clients unmodified
 * (openai SDK, Vercel AI SDK embed / embedMany, LangChain OpenAIEmbeddings). Every vector
 * and score is compared with what sentence-transformers / transformers computed in Python.
 */
const ref = (name: string) => JSON.parse(readFileSync(`fixtures/models/${name}/reference.json`, 'utf8'));
const MINILM = ref('tiny-random-minilm-embed');
const BGE = ref('tiny-random-bge-embed');
const QWEN3 = ref('tiny-random-qwen3-embed');
const RERANK = ref('tiny-random-bert-rerank');
const REWARD = ref('tiny-random-llama-reward');

let browser: Browser;
let page: Awaited<ReturnType<typeof openReadyPage>>;

beforeAll(async () => {
  browser = await launch();
  page = await openReadyPage(browser, '/e2e/pages/endpoints.html', { timeout: 60_000 });
  for (const id of ['tiny-random-minilm-embed', 'tiny-random-bge-embed', 'tiny-random-qwen3-embed', 'tiny-random-bert-rerank', 'tiny-random-llama-reward', 'tiny-chat']) {
    await page.evaluate((m) => (window as any).client.models.load(m, { device: 'wasm' }), id);
  }
});
afterAll(async () => { await browser?.close(); });

const cosine = (a: number[], b: number[]) => {
  let dot = 0, na = 0, nb = 0;
  a.forEach((x, i) => { dot += x * b[i]!; na += x * x; nb += b[i]! * b[i]!; });
  return dot / Math.sqrt(na * nb);
};
const norm = (v: number[]) => Math.sqrt(v.reduce((s, x) => s + x * x, 0));
function expectMatches(vectors: number[][], reference: number[][]) {
  expect(vectors).toHaveLength(reference.length);
  vectors.forEach((v, i) => {
    expect(v).toHaveLength(reference[i]!.length);
    expect(cosine(v, reference[i]!)).toBeGreaterThanOrEqual(0.9999);
  });
}
const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

/** A POST to /v1 from the page: status and parsed body. */
const post = (path: string, body: unknown) => page.evaluate(async ([p, b]) => {
  const res = await fetch(`/v1${p}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(b) });
  return { status: res.status, body: await res.json() };
}, [path, body] as const);
const inPage = <T = any>(fn: string, ...args: unknown[]): Promise<T> =>
  page.evaluate(([f, a]) => new Function('w', 'args', `return (${f})(w, ...args)`)(window, a), [fn, args] as const) as Promise<T>;

describe('embeddings', () => {
  test('in-page client: mean pooling + Normalize match sentence-transformers (cosine >= 0.9999), usage counts the tokens', async () => {
    const out = await inPage('(w, texts) => w.client.embeddings.create({ model: "tiny-random-minilm-embed", input: texts })', MINILM.texts);
    // OpenAI's published response schema, nothing more.
    const validate = new Ajv().compile(embeddingResponseSchema());
    expect(validate(out), JSON.stringify(validate.errors)).toBe(true);
    expectMatches(out.data.map((d: any) => d.embedding), MINILM.embeddings);
    expect(out.data.map((d: any) => d.index)).toEqual([0, 1, 2, 3]);
    expect(out.usage).toEqual({ prompt_tokens: sum(MINILM.tokens), total_tokens: sum(MINILM.tokens) });
  });

  test('openai SDK embeddings.create (base64 on the wire, decoded by the SDK): CLS pooling matches', async () => {
    const out = await inPage('(w, texts) => w.makeOpenAI().embeddings.create({ model: "tiny-random-bge-embed", input: texts })', BGE.texts);
    expectMatches(out.data.map((d: any) => d.embedding), BGE.embeddings);
    expect(out).toMatchObject({ object: 'list', model: 'tiny-random-bge-embed', usage: { prompt_tokens: sum(BGE.tokens) } });
    const raw = await post('/embeddings', { model: 'tiny-random-bge-embed', input: BGE.texts[0], encoding_format: 'base64' });
    expect(CreateEmbeddingResponse.strict().parse(raw.body).data[0]!.embedding).toMatch(/^[A-Za-z0-9+/]+=*$/);
    const fastchat = await post('/engines/tiny-random-bge-embed/embeddings', { input: [BGE.texts[1]] });
    expectMatches([fastchat.body.data[0].embedding], [BGE.embeddings[1]]);
  });

  test('a Qwen3-Embedding-style decoder (options.task embed): last-token pooling with the EOS its tokenizer appends', async () => {
    const out = await inPage('(w, texts) => w.client.embeddings.create({ model: "tiny-random-qwen3-embed", input: texts })', QWEN3.texts);
    expectMatches(out.data.map((d: any) => d.embedding), QWEN3.embeddings);
    expect(out.usage.prompt_tokens).toBe(sum(QWEN3.tokens));
  });

  test('dimensions: Matryoshka truncation renormalized where declared; a 400 naming dimensions elsewhere', async () => {
    const out = await inPage('(w, t) => w.makeOpenAI().embeddings.create({ model: "tiny-random-minilm-embed", input: t, dimensions: 16 })', MINILM.texts[1]);
    const v = out.data[0].embedding as number[];
    expect(v).toHaveLength(16);
    expect(norm(v)).toBeCloseTo(1, 5);
    expect(cosine(v, MINILM.embeddings[1].slice(0, 16))).toBeGreaterThanOrEqual(0.9999);
    const refused = await post('/embeddings', { model: 'tiny-random-bge-embed', input: 'x', dimensions: 16 });
    expect(refused).toMatchObject({ status: 400, body: { error: { param: 'dimensions', code: 'unsupported_parameter' } } });
    const notListed = await post('/embeddings', { model: 'tiny-random-minilm-embed', input: 'x', dimensions: 12 });
    expect(notListed).toMatchObject({ status: 400, body: { error: { param: 'dimensions', code: 'invalid_value' } } });
  });

  test('Vercel AI SDK embed (both providers) and embedMany match', async () => {
    for (const provider of ['openai', 'compatible']) {
      const one = await inPage('(w, p, t) => w.fw.aiEmbed(p, "tiny-random-minilm-embed", t)', provider, MINILM.texts[2]);
      expectMatches([one.embedding], [MINILM.embeddings[2]]);
    }
    const many = await inPage('(w, t) => w.fw.aiEmbedMany("tiny-random-minilm-embed", t)', MINILM.texts);
    expectMatches(many.embeddings, MINILM.embeddings);
    expect(many.usage.tokens).toBe(sum(MINILM.tokens));
  });

  test('LangChain OpenAIEmbeddings: embedQuery and embedDocuments match; dimensions passes through', async () => {
    const out = await inPage('(w, q, d) => w.fw.langchain("tiny-random-bge-embed", q, d)', BGE.texts[0], BGE.texts);
    expectMatches([out.query], [BGE.embeddings[0]]);
    expectMatches(out.documents, BGE.embeddings);
    const cut = await inPage('(w, q, d) => w.fw.langchain("tiny-random-minilm-embed", q, d, 8)', MINILM.texts[0], [MINILM.texts[3]]);
    expect(cut.query).toHaveLength(8);
    expect(cosine(cut.documents[0], MINILM.embeddings[3].slice(0, 8))).toBeGreaterThanOrEqual(0.9999);
  });

  test('token-id input, and the 400s naming the param', async () => {
    const ids = await inPage('(w, t) => w.client.tokenize({ model: "tiny-random-minilm-embed", prompt: t })', MINILM.texts[0]);
    const byIds = await post('/embeddings', { model: 'tiny-random-minilm-embed', input: [ids.tokens] });
    expectMatches([byIds.body.data[0].embedding], [MINILM.embeddings[0]]);
    const cases: Array<[unknown, string]> = [
      [{ model: 'tiny-random-minilm-embed', input: ['ok', ''] }, 'input[1]'],
      [{ model: 'tiny-random-minilm-embed', input: [[1, 99999]] }, 'input[0][1]'],
      [{ model: 'tiny-random-minilm-embed', input: 'x'.repeat(10).split('').join(' ').repeat(30) }, 'input'],
      [{ model: 'tiny-random-minilm-embed', input: 'x', encoding_format: 'int8' }, 'encoding_format'],
      [{ model: 'tiny-chat', input: 'x' }, 'model'],
    ];
    for (const [body, param] of cases) {
      const res = await post('/embeddings', body);
      expect(res.status, JSON.stringify(body).slice(0, 80)).toBe(400);
      expect(res.body.error.param).toBe(param);
    }
    expect((await post('/embeddings', { model: 'nope', input: 'x' })).status).toBe(404);
    const chat = await post('/chat/completions', { model: 'tiny-random-minilm-embed', messages: [{ role: 'user', content: 'Hi' }] });
    expect(chat).toMatchObject({ status: 400, body: { error: { param: 'model', code: 'model_not_supported' } } });
  });

  test('WebGPU: the same vectors', async () => {
    await inPage('(w) => w.client.models.register({ id: "minilm-gpu", baseUrl: "/models/tiny-random-minilm-embed/" })');
    const info = await inPage('(w) => w.client.models.load("minilm-gpu", { device: "webgpu" })');
    expect(info.device).toBe('webgpu');
    const out = await inPage('(w, texts) => w.client.embeddings.create({ model: "minilm-gpu", input: texts })', MINILM.texts);
    expectMatches(out.data.map((d: any) => d.embedding), MINILM.embeddings);
    await inPage('(w) => w.client.models.unload("minilm-gpu")');
  });
});

describe('rerank and score', () => {
  test('/v1/rerank: the cross-encoder order and sigmoid scores of sentence-transformers; top_n, return_documents', async () => {
    const res = await post('/rerank', { model: 'tiny-random-bert-rerank', query: RERANK.query, documents: RERANK.documents });
    expect(res.status).toBe(200);
    expect(res.body.results.map((r: any) => r.index)).toEqual(RERANK.order);
    for (const r of res.body.results) {
      expect(r.relevance_score).toBeCloseTo(RERANK.scores[r.index], 5);
      expect(r.document).toEqual({ text: RERANK.documents[r.index] });
    }
    expect(res.body.usage.total_tokens).toBe(sum(RERANK.tokens));
    const top = await inPage('(w, q, d) => w.client.rerank.create({ model: "tiny-random-bert-rerank", query: q, documents: d, top_n: 2, return_documents: false })', RERANK.query, RERANK.documents);
    expect(top.results).toEqual(RERANK.order.slice(0, 2).map((i: number) => ({ index: i, relevance_score: expect.closeTo(RERANK.scores[i], 5) })));
  });

  test('/v1/score (vLLM): one text_1 against each text_2', async () => {
    const res = await post('/score', { model: 'tiny-random-bert-rerank', text_1: RERANK.query, text_2: RERANK.documents });
    expect(res.status).toBe(200);
    expect(res.body.data.map((d: any) => d.score)).toEqual(RERANK.scores.map((s: number) => expect.closeTo(s, 5)));
    const mismatch = await post('/score', { model: 'tiny-random-bert-rerank', text_1: ['a', 'b'], text_2: ['a', 'b', 'c'] });
    expect(mismatch).toMatchObject({ status: 400, body: { error: { param: 'text_1' } } });
  });

  test('/v1/score/evaluation (LLaMA-Factory): the Llama reward model\'s scores match transformers', async () => {
    const res = await post('/score/evaluation', { model: 'tiny-random-llama-reward', messages: REWARD.texts });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ object: 'score.evaluation', model: 'tiny-random-llama-reward' });
    expect(res.body.scores).toEqual(REWARD.scores.map((s: number) => expect.closeTo(s, 4)));
    const viaClient = await inPage('(w, m) => w.client.score.evaluate({ model: "tiny-random-llama-reward", messages: m })', REWARD.texts.slice(2));
    expect(viaClient.scores[0]).toBeCloseTo(REWARD.scores[2], 4);
    const wrong = await post('/rerank', { model: 'tiny-random-minilm-embed', query: 'q', documents: ['d'] });
    expect(wrong).toMatchObject({ status: 400, body: { error: { param: 'model', code: 'model_not_supported' } } });
  });
});

describe('tokenize', () => {
  test('messages count what chat completions count; detokenize round-trips; token_check', async () => {
    const messages = [{ role: 'user', content: 'Hi' }];
    const chat = await post('/chat/completions', { model: 'tiny-chat', messages, max_tokens: 1 });
    const tok = await post('/tokenize', { model: 'tiny-chat', messages, return_token_strs: true });
    expect(tok.status).toBe(200);
    expect(tok.body.count).toBe(chat.body.usage.prompt_tokens);
    expect(tok.body.max_model_len).toBe(2048);
    expect(tok.body.token_strs).toHaveLength(tok.body.count);
    const detok = await post('/detokenize', { model: 'tiny-chat', tokens: tok.body.tokens });
    expect(detok.body.prompt).toBe('<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n');
    expect(detok.body.content).toBe(detok.body.prompt);
    const text = async (body: Record<string, unknown>) => {
      const ids = (await post('/tokenize', { model: 'tiny-chat', ...body })).body.tokens;
      return (await post('/detokenize', { model: 'tiny-chat', tokens: ids })).body.prompt;
    };
    expect(await text({ messages, add_generation_prompt: false })).toBe('<|im_start|>user\nHi<|im_end|>\n');
    const partial = [...messages, { role: 'assistant', content: 'Hello' }];
    expect(await text({ messages: partial, continue_final_message: true })).toBe('<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nHello');
    expect((await post('/tokenize', { model: 'tiny-chat', messages: partial, continue_final_message: true, add_generation_prompt: true })).body.error.param).toBe('continue_final_message');
    const pieces = await post('/tokenize', { model: 'tiny-random-minilm-embed', content: 'hello world', with_pieces: true, add_special: true });
    expect(pieces.body.tokens.at(0)).toMatchObject({ piece: '[CLS]' });
    expect(pieces.body.count).toBe(MINILM.tokens[0]);
    const check = await post('/token_check', { prompts: [{ model: 'tiny-chat', prompt: 'Hi', max_tokens: 100 }, { model: 'tiny-chat', prompt: 'Hi', max_tokens: 5000 }] });
    expect(check.body.prompts).toEqual([{ fits: true, tokenCount: 1, contextLength: 2048 }, { fits: false, tokenCount: 1, contextLength: 2048 }]);
    expect((await post('/tokenize', { model: 'tiny-chat' })).body.error.param).toBe('prompt');
    expect((await post('/detokenize', { model: 'tiny-chat', tokens: [1, 1e6] })).body.error.param).toBe('tokens[1]');
  });
});
