import { APIUserAbortError, errorFromBody, type SerializedError } from '../protocol/errors.js';
import { chunkUnpacker, type PackedChunk } from '../protocol/chunk-pack.js';

type Message<T> = { type: 'chunks'; chunks: Array<PackedChunk<T>> } | { type: 'error'; error: SerializedError } | { type: string };

/**
 * A streamed response, as openai-node's `Stream`: iterate it once with for-await;
 * `controller.abort()` (or the request's signal) stops generation in the worker.
 */
export class Stream<T> implements AsyncIterable<T> {
  private consumed = false;

  constructor(
    private readonly reader: ReadableStreamDefaultReader<Message<T>>,
    readonly controller: AbortController,
  ) {
    controller.signal.addEventListener('abort', () => void reader.cancel().catch(() => {}), { once: true });
  }

  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    if (this.consumed) throw new Error('Cannot iterate over a consumed stream; use `.tee()` to split it.');
    this.consumed = true;
    let finished = false;
    const unpack = chunkUnpacker<T & object>();
    try {
      for (;;) {
        const { value, done } = await this.reader.read();
        if (this.controller.signal.aborted) throw new APIUserAbortError();
        if (done) { finished = true; return; }
        if (value.type === 'chunks') {
          for (const chunk of (value as { chunks: Array<PackedChunk<T & object>> }).chunks) {
            if (this.controller.signal.aborted) throw new APIUserAbortError();
            yield unpack(chunk);
          }
        }
        else if (value.type === 'error') {
          finished = true;
          const { status, error } = (value as { error: SerializedError }).error;
          throw errorFromBody(status, error);
        }
      }
    } finally {
      // Leaving the loop early is an abort: the worker stops generating at once.
      if (!finished) await this.reader.cancel().catch(() => {});
    }
  }

  /** Splits the stream in two independent readers of the same chunks. */
  tee(): [Stream<T>, Stream<T>] {
    const [a, b] = this.toReadableStream().tee();
    const wrap = (s: ReadableStream<T>) =>
      new Stream<T>(
        s.pipeThrough(new TransformStream<T, Message<T>>({ transform: (chunk, c) => c.enqueue({ type: 'chunks', chunks: [chunk] }) })).getReader(),
        this.controller,
      );
    return [wrap(a), wrap(b)];
  }

  /** The chunks as a web ReadableStream (e.g. to hand to a Response or another worker). */
  toReadableStream(): ReadableStream<T> {
    const iterator = this[Symbol.asyncIterator]();
    return new ReadableStream<T>({
      async pull(controller) {
        try {
          const { value, done } = await iterator.next();
          if (done) controller.close();
          else controller.enqueue(value);
        } catch (err) {
          controller.error(err);
        }
      },
      async cancel() {
        await iterator.return?.();
      },
    });
  }
}
