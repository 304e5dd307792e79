import { describe, expect, it } from 'vitest';
import { encoderEngine } from '../../tests/support/encoder-engine.js';
import { createHost } from '../host/host.js';
import { CreateEmbeddingResponse } from '../protocol/embeddings.js';
import { createGateway } from './gateway.js';
import { hostBackend } from './port-backend.js';

/**
 * The non-generating routes through the gateway and a real engine host (scripted encoder
 * models, tests/support/encoder-engine.ts): each route reaches its endpoint, answers JSON,
 * and refuses with OpenAI's envelope naming the param.
 */
function setup() {
  const { engine } = encoderEngine({ emb: { task: 'embed' }, 'org/ce': { task: 'classify' } });
  const host = createHost({ models: [{ id: 'emb', engine: 'encoder' }, { id: 'org/ce', engine: 'encoder' }] }, { engines: { encoder: async () => engine } });
  const gateway = createGateway({ backend: hostBackend(host.api) });
  return (path: string, json: unknown, method = 'POST') => gateway.handle(new Request(`http://localhost${path}`, {
    method, headers: { 'content-type': 'application/json' }, ...(method === 'POST' ? { body: JSON.stringify(json) } : {}),
  }));
}

describe('gateway: embeddings, rerank, score, tokenize routes', () => {
  it.each([
    ['/v1/embeddings', { model: 'emb', input: 'a b' }, (b: any) => expect(CreateEmbeddingResponse.strict().parse(b).data).toHaveLength(1)],
    ['/v1/engines/emb/embeddings', { input: ['a', 'b'] }, (b: any) => expect(b.data).toHaveLength(2)],
    ['/v1/rerank', { model: 'org/ce', query: 'a', documents: ['b', 'a'] }, (b: any) => expect(b.results[0].index).toBe(1)],
    ['/v1/score', { model: 'org/ce', text_1: 'a', text_2: 'a' }, (b: any) => expect(b.data[0].object).toBe('score')],
    ['/v1/score/evaluation', { model: 'org/ce', messages: ['a a'] }, (b: any) => expect(b.scores).toEqual([2])],
    ['/v1/tokenize', { model: 'emb', prompt: 'a' }, (b: any) => expect(b.count).toBe(3)],
    ['/v1/detokenize', { model: 'emb', tokens: [1] }, (b: any) => expect(b.content).toBe('[CLS]')],
    ['/v1/token_check', { prompts: [{ model: 'emb', prompt: 'a', max_tokens: 1 }] }, (b: any) => expect(b.prompts[0].fits).toBe(true)],
  ])('%s answers 200 JSON', async (path, body, check) => {
    const res = await setup()(path, body);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    check(await res.json());
  });

  it('FastChat\'s path names the model, also an id with a slash (percent-encoded)', async () => {
    const res = await setup()('/v1/engines/org%2Fce/embeddings', { input: 'a' });
    expect(res.status).toBe(400);
    expect((await res.json()).error).toMatchObject({ param: 'model', code: 'model_not_supported' });
  });

  it('refusals are OpenAI envelopes naming the param; unknown models 404; GET is a 405', async () => {
    const fetch = setup();
    const bad = await fetch('/v1/embeddings', { model: 'emb', input: 'a', dimensions: 2 });
    expect(bad.status).toBe(400);
    expect((await bad.json()).error).toMatchObject({ type: 'invalid_request_error', param: 'dimensions', code: 'unsupported_parameter' });
    const missing = await fetch('/v1/rerank', { model: 'nope', query: 'q', documents: ['d'] });
    expect(missing.status).toBe(404);
    expect((await missing.json()).error).toMatchObject({ param: 'model', code: 'model_not_found' });
    const get = await fetch('/v1/embeddings', null, 'GET');
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
  });
});
