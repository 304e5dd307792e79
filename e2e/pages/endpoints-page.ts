/**
 * Page for e2e/endpoints.e2e.ts: an in-page client (a dedicated-worker engine host), the
 * gateway registered, the tiny fixture models of scripts/fixtures/gen_endpoint_models.py
 * registered; then the real clients, unmodified, against location.origin + '/v1': the
 * openai SDK, the Vercel AI SDK's `embed` / `embedMany` and LangChain's OpenAIEmbeddings.
 *
 * Exposes on window: client, makeOpenAI(), fw (below), describeError, `ready` (or `setupError`).
 */
import { createOpenAI } from '@ai-sdk/openai';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { OpenAIEmbeddings } from '@langchain/openai';
import { embed, embedMany } from 'ai';
import OpenAI from 'openai';
import { createClient, registerGateway } from '../../src/client/index.js';
import { TINY_CHAT, describeError, reportSetup } from './page-setup.js';

const w = window as unknown as Record<string, unknown>;
const baseURL = `${location.origin}/v1`;
const fixture = (id: string) => ({ id, baseUrl: `/models/${id}/` });
export const ENDPOINT_MODELS = ['tiny-random-minilm-embed', 'tiny-random-bge-embed', 'tiny-random-bert-rerank', 'tiny-random-llama-reward'];

w.describeError = describeError;
w.makeOpenAI = () => new OpenAI({ baseURL, apiKey: 'x', dangerouslyAllowBrowser: true, maxRetries: 0 });

w.fw = {
  async aiEmbed(provider: 'openai' | 'compatible', model: string, value: string) {
    const m = provider === 'openai' ? createOpenAI({ baseURL, apiKey: 'local' }).embedding(model) : createOpenAICompatible({ name: 'webinfer', baseURL }).embeddingModel(model);
    const out = await embed({ model: m, value, maxRetries: 0 });
    return { embedding: out.embedding, usage: out.usage };
  },
  async aiEmbedMany(model: string, values: string[]) {
    const out = await embedMany({ model: createOpenAI({ baseURL, apiKey: 'local' }).embedding(model), values, maxRetries: 0 });
    return { embeddings: out.embeddings, usage: out.usage };
  },
  async langchain(model: string, query: string, documents: string[], dimensions?: number) {
    const embeddings = new OpenAIEmbeddings({ model, apiKey: 'local', configuration: { baseURL }, maxRetries: 0, ...(dimensions ? { dimensions } : {}) });
    return { query: await embeddings.embedQuery(query), documents: await embeddings.embedDocuments(documents) };
  },
};

reportSetup(async () => {
  // Qwen3-Embedding's config names a causal LM: it is served as an embedder when told so.
  const qwen3 = { ...fixture('tiny-random-qwen3-embed'), options: { task: 'embed' } };
  const client = createClient({ shared: false, config: { wasmPaths: '/ort/', models: [TINY_CHAT, qwen3, ...ENDPOINT_MODELS.map(fixture)] } });
  w.client = client;
  w.gateway = await registerGateway({ client });
});
