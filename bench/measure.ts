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
  max_tokens: 256,
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
