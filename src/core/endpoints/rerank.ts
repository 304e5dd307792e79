import { BadRequestError } from '../../protocol/errors.js';
import { RerankParams, ScoreParams, type RerankResponse, type ScoreResponse } from '../../protocol/scoring.js';
import type { LoadedModel } from '../engine.js';
import { checkLength, sum, tokenizerOf, unsupportedModel, type Endpoint } from './endpoint.js';

/**
 * Cross-encoder scoring: `POST /v1/rerank` (vLLM / llama.cpp / Jina shape) and vLLM's
 * `POST /v1/score`. Each (query, document) pair goes through the model as one input, the
 * way its tokenizer joins pairs; the score is the sigmoid of its one logit, as
 * sentence-transformers' CrossEncoder and vLLM give it.
 */
export const rerankEndpoint: Endpoint<RerankParams, RerankResponse> = {
  schema: RerankParams,
  models: (p) => [{ id: p.model, param: 'model' }],
  async run(params, ctx) {
    const model = await ctx.model(params.model);
    const texts = params.documents.map((d) => (typeof d === 'string' ? d : d.text));
    const { scores, tokens } = await crossEncode(model, texts.map((text, i) => ({ query: params.query, text, param: `documents[${i}]` })), ctx.signal);
    const withDocuments = params.return_documents !== false;
    const ranked = scores
      .map((relevance_score, index) => ({ index, relevance_score, ...(withDocuments ? { document: { text: texts[index]! } } : {}) }))
      .sort((a, b) => b.relevance_score - a.relevance_score);
    const topN = params.top_n ? Math.min(params.top_n, ranked.length) : ranked.length;
    return { id: ctx.newId('rerank'), object: 'list', model: params.model, results: ranked.slice(0, topN), usage: { prompt_tokens: tokens, total_tokens: tokens } };
  },
};

export const scoreEndpoint: Endpoint<ScoreParams, ScoreResponse> = {
  schema: ScoreParams,
  models: (p) => [{ id: p.model, param: 'model' }],
  async run(params, ctx) {
    const model = await ctx.model(params.model);
    const pairs = scorePairs(params);
    const { scores, tokens } = await crossEncode(model, pairs, ctx.signal);
    return {
      id: ctx.newId('score'),
      object: 'list',
      created: Math.floor(Date.now() / 1000),
      model: params.model,
      data: scores.map((score, index) => ({ index, object: 'score', score })),
      usage: { prompt_tokens: tokens, total_tokens: tokens },
    };
  },
};

/** vLLM's pairing: one text_1 against every text_2, or N against N. */
function scorePairs(params: ScoreParams): Array<{ query: string; text: string; param: string }> {
  const first = typeof params.text_1 === 'string' ? [params.text_1] : params.text_1;
  const second = typeof params.text_2 === 'string' ? [params.text_2] : params.text_2;
  if (first.length !== 1 && first.length !== second.length) {
    throw new BadRequestError(`text_1 has ${first.length} texts and text_2 ${second.length}: send one text_1, or as many as text_2.`, {
      param: 'text_1', code: 'invalid_value',
    });
  }
  const many = typeof params.text_2 !== 'string';
  return second.map((text, i) => ({ query: first.length === 1 ? first[0]! : first[i]!, text, param: many ? `text_2[${i}]` : 'text_2' }));
}

async function crossEncode(model: LoadedModel, pairs: Array<{ query: string; text: string; param: string }>, signal: AbortSignal) {
  if (!model.classify || model.labels?.length !== 1) throw unsupportedModel(model, 'is not a cross-encoder (a sequence-classification model with one label)');
  const tokenizer = tokenizerOf(model);
  const counts = pairs.map((p) => {
    const n = tokenizer.encode(p.query, { addSpecialTokens: true, pair: p.text }).length;
    checkLength(model, n, p.param);
    return n;
  });
  const logits = await model.classify(pairs.map((p) => ({ text: p.query, pair: p.text, addSpecialTokens: true })), signal);
  return { scores: logits.map((row) => sigmoid(row[0]!)), tokens: sum(counts) };
}

function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}
