import { z } from 'zod';

/**
 * Scoring endpoints of the servers webinfer grew from:
 * - `POST /v1/rerank` (vLLM, llama.cpp, Jina/Cohere shape): a query against documents, by a cross-encoder.
 * - `POST /v1/score` (vLLM): `text_1` against `text_2` (1:1, 1:N or N:N), by a cross-encoder.
 * - `POST /v1/score/evaluation` (LLaMA-Factory): one reward score per text, by a reward model.
 */

/** Documents and texts per request. */
export const MAX_SCORE_INPUTS = 1024;

const Document = z.union([z.string(), z.strictObject({ text: z.string() })]);

export const RerankParams = z.strictObject({
  model: z.string().min(1),
  query: z.string(),
  documents: z.array(Document).min(1).max(MAX_SCORE_INPUTS),
  /** How many results (best first); absent or 0 = all. */
  top_n: z.number().int().min(0).nullish(),
  /** Each result carries its document's text (default true, as vLLM). */
  return_documents: z.boolean().nullish(),
  user: z.string().nullish(),
});
export type RerankParams = z.infer<typeof RerankParams>;

export interface RerankResult {
  index: number;
  relevance_score: number;
  document?: { text: string };
}

export interface RerankResponse {
  id: string;
  object: 'list';
  model: string;
  results: RerankResult[];
  usage: { prompt_tokens: number; total_tokens: number };
}

const Texts = z.union([z.string(), z.array(z.string()).min(1).max(MAX_SCORE_INPUTS)]);

export const ScoreParams = z.strictObject({
  model: z.string().min(1),
  text_1: Texts,
  text_2: Texts,
  user: z.string().nullish(),
});
export type ScoreParams = z.infer<typeof ScoreParams>;

export interface ScoreResponse {
  id: string;
  object: 'list';
  created: number;
  model: string;
  data: Array<{ index: number; object: 'score'; score: number }>;
  usage: { prompt_tokens: number; total_tokens: number };
}

/** LLaMA-Factory's ScoreEvaluationRequest: each message is one whole text to score. */
export const ScoreEvaluationParams = z.strictObject({
  model: z.string().min(1),
  messages: z.array(z.string().min(1)).min(1).max(MAX_SCORE_INPUTS),
  /** Longer texts are cut to this many tokens (from the start), as LLaMA-Factory does. */
  max_length: z.number().int().min(1).nullish(),
});
export type ScoreEvaluationParams = z.infer<typeof ScoreEvaluationParams>;

export interface ScoreEvaluationResponse {
  id: string;
  object: 'score.evaluation';
  model: string;
  scores: number[];
}
