import { isAbort } from '../core/abort.js';
import { serializeError } from '../protocol/errors.js';
import { CANCEL, type PortFrame } from '../protocol/port-stream.js';
import type { ErrorMessage } from '../protocol/rpc.js';

/**
 * The host's end of one request (see protocol/port-stream.ts). `work` sends messages;
 * control messages (started, progress, completion, error) leave at once, and so do the
 * first two chunks (the role chunk and the first token: time to first token is never
 * delayed). After that, chunks produced within BATCH_MS of the last frame wait for the
 * next one: a fast engine pays one port message per display frame instead of one per
 * token (every message wakes the reader's thread, and on a small machine those threads
 * take their time from the decoding one), while a model slower than that (every real
 * one) still streams token by token.
 */
const BATCH_MS = 16;
const IMMEDIATE_CHUNKS = 2;

type ChunkOf<Out> = Out extends { type: 'chunks'; chunks: Array<infer C> } ? C : never;
/** What `work` sends: single chunks (batched on the way out) and the other messages. */
export type Outgoing<Out> = { type: 'chunk'; chunk: ChunkOf<Out> } | Exclude<Out, { type: 'chunks' }>;

export function messagePort<Out extends { type: string }>(
  work: (send: (m: Outgoing<Out>) => void, signal: AbortSignal) => Promise<void>,
): MessagePort {
  const { port1, port2 } = new MessageChannel();
  const abort = new AbortController();
  let pending: Array<Outgoing<Out> | ErrorMessage> = [];
  let lastFrame = -Infinity;
  let chunksSent = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;

  const post = (frame: PortFrame<Out | ErrorMessage>) => {
    if (!abort.signal.aborted) port1.postMessage(frame);
  };
  const flush = () => {
    clearTimeout(timer);
    timer = undefined;
    if (pending.length === 0) return;
    post(frame(pending));
    pending = [];
    lastFrame = performance.now();
  };
  const send = (m: Outgoing<Out>) => {
    if (abort.signal.aborted) return;
    pending.push(m);
    if (m.type !== 'chunk' || chunksSent++ < IMMEDIATE_CHUNKS) return flush();
    const wait = lastFrame + BATCH_MS - performance.now();
    if (wait <= 0) flush();
    else timer ??= setTimeout(flush, wait);
  };

  port1.onmessage = (event) => {
    if (event.data !== CANCEL) return;
    abort.abort();
    clearTimeout(timer);
    port1.close();
  };
  work(send, abort.signal).then(
    () => undefined,
    (err) => {
      if (!abort.signal.aborted && !isAbort(err)) pending.push({ type: 'error', error: serializeError(err) });
    },
  ).finally(() => {
    flush();
    post(null);
    port1.close();
  });
  return port2;
}

/** Consecutive single chunks become one `chunks` message; everything else keeps its order. */
function frame<Out>(messages: Array<Outgoing<Out & { type: string }> | ErrorMessage>): Array<Out | ErrorMessage> {
  const out: Array<Out | ErrorMessage> = [];
  let chunks: unknown[] | null = null;
  for (const m of messages) {
    if (m.type === 'chunk') {
      if (!chunks) out.push({ type: 'chunks', chunks: (chunks = []) } as unknown as Out);
      chunks.push((m as { chunk: unknown }).chunk);
    } else {
      chunks = null;
      out.push(m as Out | ErrorMessage);
    }
  }
  return out;
}
