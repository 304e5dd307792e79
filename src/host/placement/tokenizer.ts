import type { ModelTokenizer } from '../../core/engine.js';
import { modelTokenizer } from '../../engines/transformers-tokenizer.js';
import type { TokenizerData } from './protocol.js';

/**
 * Core's ModelTokenizer is synchronous (/tokenize, embeddings' inputs, token counts), so a
 * model in the engine worker gets a copy of its tokenizer in the host, built from the same
 * files the way transformers.js's AutoTokenizer picks the class. Only the tokenizer is
 * copied, never the weights.
 */
export async function hostTokenizer(data: TokenizerData | null): Promise<ModelTokenizer | null> {
  if (!data) return null;
  const transformers = (await import('@huggingface/transformers')) as unknown as Record<string, unknown>;
  const name = ((data.config as { tokenizer_class?: string }).tokenizer_class ?? '').replace(/Fast$/, '');
  type TokenizerClass = new (json: unknown, config: unknown) => import('@huggingface/transformers').PreTrainedTokenizer;
  const Cls = (transformers[name] ?? transformers.PreTrainedTokenizer) as TokenizerClass;
  return modelTokenizer(new Cls(data.json, data.config));
}
