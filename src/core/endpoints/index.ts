import { embeddingsEndpoint } from './embeddings.js';
import { rerankEndpoint, scoreEndpoint } from './rerank.js';
import { scoreEvaluationEndpoint } from './reward.js';
import { detokenizeEndpoint, tokenCheckEndpoint, tokenizeEndpoint } from './tokenize.js';
import type { EndpointName, EndpointResults } from '../../protocol/rpc.js';
import type { Endpoint } from './endpoint.js';

/**
 * The non-generating OpenAI-style endpoints, by name (the name the host API and the
 * gateway use), run through Runtime.runEndpoint. The generating ones (chat.ts,
 * completions.ts, responses.ts and its chain, events and store) sit beside them in this
 * folder and are driven by the Runtime directly: they stream, and share the generation
 * machinery in core/ (queue, plan, sampling, stop strings, grammar, prefix cache).
 */
export const ENDPOINTS = {
  embeddings: embeddingsEndpoint,
  rerank: rerankEndpoint,
  score: scoreEndpoint,
  scoreEvaluation: scoreEvaluationEndpoint,
  tokenize: tokenizeEndpoint,
  detokenize: detokenizeEndpoint,
  tokenCheck: tokenCheckEndpoint,
} satisfies { [N in EndpointName]: Endpoint<any, EndpointResults[N]> };
export type { Endpoint, EndpointContext } from './endpoint.js';
