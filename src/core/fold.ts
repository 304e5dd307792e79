import type { Usage } from '../protocol/common.js';

/**
 * Folds a stream of chunks (chat or legacy completions, ending with a usage chunk) into
 * per-choice accumulators: the shared half of every non-streaming response.
 */
interface ChunkLike<C extends { index: number }> {
  choices: C[];
  usage?: Usage | null;
}

export interface Folded<H, A> {
  head: H;
  usage: Usage;
  /** Accumulators by choice index, in index order. */
  choices: Array<[number, A]>;
}

export async function foldChunks<H extends ChunkLike<C>, C extends { index: number }, A>(
  chunks: AsyncIterable<H>,
  start: () => A,
  add: (acc: A, choice: C) => void,
): Promise<Folded<H, A>> {
  const choices = new Map<number, A>();
  let head: H | undefined;
  let usage: Usage | undefined;
  for await (const chunk of chunks) {
    head ??= chunk;
    if (chunk.usage) usage = chunk.usage;
    for (const c of chunk.choices) {
      let acc = choices.get(c.index);
      if (acc === undefined) choices.set(c.index, (acc = start()));
      add(acc, c);
    }
  }
  if (!head || !usage) throw new Error('generation ended without a usage chunk');
  return { head, usage, choices: [...choices.entries()].sort(([a], [b]) => a - b) };
}
