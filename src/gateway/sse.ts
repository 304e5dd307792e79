import { toAPIError, type SerializedError } from '../protocol/errors.js';
import { chunkJsonUnpacker, type PackedChunk } from '../protocol/chunk-pack.js';
import type { StartedMessage } from '../protocol/rpc.js';

/**
 * Server-sent events as OpenAI streams them: one `data: <json>\n\n` frame per chunk,
 * then `data: [DONE]\n\n`. An error after the stream started (headers are gone by then)
 * is one `data: {"error":{...}}\n\n` frame, and the stream ends without `[DONE]`; the
 * openai SDK raises it as an APIError.
 */

const encoder = new TextEncoder();

export const SSE_DONE = 'data: [DONE]\n\n';
/** At most this many frames go out in one write when the client fell behind. */
const MAX_FRAMES_PER_WRITE = 64;

export function sseFrame(data: unknown): Uint8Array {
  return encoder.encode(`data: ${JSON.stringify(data)}\n\n`);
}

/** What an engine-host stream carries (chat and legacy completions alike). */
export type HostMessage =
  | StartedMessage
  | { type: 'chunks'; chunks: Array<PackedChunk<object>> }
  | { type: 'completion'; completion: unknown }
  | { type: 'error'; error: SerializedError };

export interface SseOptions {
  /** Aborted when the engine host became unreachable mid-stream: ends with an error frame. */
  lost?: AbortSignal;
  /** Called once however the stream ends (done, error, client gone). */
  onEnd?: () => void;
  /**
   * 'chat' (default): `data: <json>` frames, then `data: [DONE]`. 'events' (the Responses
   * API): `event: <type>\ndata: <json>` frames and no `[DONE]`; an error after the start
   * is an `error` event (type, code, message, param, sequence_number).
   */
  framing?: 'chat' | 'events';
}

/** The Responses API's framing of one event. */
export function eventFrame(event: { type: string }): string {
  return `event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`;
}

/**
 * Turns the rest of a host stream (after its `started` message) into SSE bytes, pulled
 * as the client reads. Cancelling the result (the client went away) cancels the host
 * stream, which aborts generation in the host and frees the engine.
 */
export function sseFromHost(reader: ReadableStreamDefaultReader<HostMessage>, options: SseOptions = {}): ReadableStream<Uint8Array> {
  let ended = false;
  const end = () => {
    if (ended) return;
    ended = true;
    options.onEnd?.();
  };
  const chunkJson = chunkJsonUnpacker();
  const events = options.framing === 'events';
  /** Events: the next sequence number, for an error event of our own. */
  let sequence = 0;
  const errorText = (body: { message: string; code: string | null; param: string | null }): string => {
    if (!events) return `data: ${JSON.stringify({ error: body })}\n\n`;
    return eventFrame({ type: 'error', code: body.code, message: body.message, param: body.param, sequence_number: sequence++ } as { type: string });
  };
  const eventsText = (chunks: Array<PackedChunk<object>>): string => {
    let text = '';
    for (const chunk of chunks as Array<{ type: string; sequence_number?: number }>) {
      if (typeof chunk.sequence_number === 'number') sequence = chunk.sequence_number + 1;
      text += eventFrame(chunk);
    }
    return text;
  };
  /** A read started to look ahead that was not ready yet: the next pull takes it. */
  let ahead: Promise<ReadableStreamReadResult<HostMessage>> | null = null;
  const read = () => {
    const next = ahead ?? reader.read();
    ahead = null;
    return untilLost(next, options.lost);
  };
  /** The next message if it is already here (queued in the stream), else null. */
  const readIfQueued = async (): Promise<ReadableStreamReadResult<HostMessage> | null> => {
    const next = reader.read();
    const result = await Promise.race([next, Promise.resolve().then(() => null)]);
    if (result === null) ahead = next;
    return result;
  };

  /**
   * Frames for one message: `text` to append, and whether the stream ends with it. An
   * error after the start is one error frame, then the end (no `[DONE]`).
   */
  const frame = (result: ReadableStreamReadResult<HostMessage>): { text: string; last: boolean } => {
    if (result.done) return { text: events ? '' : SSE_DONE, last: true };
    const message = result.value;
    if (message.type === 'chunks') {
      if (events) return { text: eventsText(message.chunks), last: false };
      return { text: message.chunks.map((c) => `data: ${chunkJson(c)}\n\n`).join(''), last: false };
    }
    if (message.type === 'error') return { text: errorText(message.error.error), last: true };
    // `started` (or anything new) carries nothing for the client.
    return { text: '', last: false };
  };

  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      let text = '';
      let last = false;
      try {
        // Wait for one message; then take whatever else is already queued, so a client
        // that fell behind gets one write of many frames instead of many writes.
        do {
          ({ text, last } = frame(await read()));
          if (ended) return;
        } while (!text && !last);
        for (let i = 0; i < MAX_FRAMES_PER_WRITE && !last; i++) {
          const result = await readIfQueued();
          if (ended) return;
          if (!result) break;
          const more = frame(result);
          text += more.text;
          last = more.last;
        }
      } catch (err) {
        // The host became unreachable: what was read so far, then a 503 error frame.
        if (ended) return;
        text += errorText(toAPIError(err).toBody());
        last = true;
      }
      if (text) controller.enqueue(encoder.encode(text));
      if (last) {
        controller.close();
        void reader.cancel().catch(() => {});
        end();
      }
    },
    async cancel(reason) {
      end();
      await reader.cancel(reason).catch(() => {});
    },
  });
}

/**
 * The non-streaming answer as a body that is still being produced: the status (200) is
 * sent once generation started (every status error comes before that), the JSON when
 * it is done. Because the body is a stream, the client going away cancels it, and that
 * reaches the host (a Service Worker never learns that a fetch was aborted otherwise).
 * A failure after the start (an engine crash) errors the body: the client sees a broken
 * response rather than a 200 with an error in it.
 */
export function jsonFromHost(reader: ReadableStreamDefaultReader<HostMessage>, options: SseOptions = {}): ReadableStream<Uint8Array> {
  let ended = false;
  const end = () => {
    if (ended) return false;
    ended = true;
    options.onEnd?.();
    return true;
  };
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      for (;;) {
        let result: ReadableStreamReadResult<HostMessage>;
        try {
          result = await untilLost(reader.read(), options.lost);
        } catch (err) {
          void reader.cancel().catch(() => {});
          if (end()) controller.error(err);
          return;
        }
        if (ended) return;
        if (result.done) {
          end();
          controller.error(new Error('The engine host closed the stream without a result.'));
          return;
        }
        const message = result.value;
        if (message.type === 'completion') {
          end();
          controller.enqueue(encoder.encode(JSON.stringify(message.completion)));
          controller.close();
          return;
        }
        if (message.type === 'error') {
          end();
          controller.error(new Error(`${message.error.error.message} (${message.error.status})`));
          return;
        }
      }
    },
    async cancel(reason) {
      end();
      await reader.cancel(reason).catch(() => {});
    },
  });
}

/** `promise`, or the signal's reason once it aborts. */
export function untilLost<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (v) => { signal.removeEventListener('abort', onAbort); resolve(v); },
      (e) => { signal.removeEventListener('abort', onAbort); reject(e); },
    );
  });
}
