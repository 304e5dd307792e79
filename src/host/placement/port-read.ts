import { AbortError } from '../../core/abort.js';
import { toAPIError } from '../../protocol/errors.js';
import type { ErrorMessage } from '../../protocol/rpc.js';
import { CANCEL } from '../../protocol/port-stream.js';

/**
 * Waiting on the engine worker: a call or a read that ends early when the worker's tab
 * is gone (`lost`: its reason is the typed error) or the caller aborts. A tab that closes
 * ends its worker without a word on the port, so every wait must watch `lost`.
 */
export function untilLost<T>(work: Promise<T>, lost: AbortSignal, signal?: AbortSignal): Promise<T> {
  const signals = signal ? [lost, signal] : [lost];
  const fired = signals.find((s) => s.aborted);
  if (fired) return Promise.reject(fired === lost ? lost.reason : new AbortError());
  return new Promise<T>((resolve, reject) => {
    const onLost = () => { cleanup(); reject(lost.reason); };
    const onAbort = () => { cleanup(); reject(new AbortError()); };
    const cleanup = () => {
      lost.removeEventListener('abort', onLost);
      signal?.removeEventListener('abort', onAbort);
    };
    lost.addEventListener('abort', onLost, { once: true });
    signal?.addEventListener('abort', onAbort, { once: true });
    work.then((v) => { cleanup(); resolve(v); }, (e) => { cleanup(); reject(e); });
  });
}

/** The next message of a worker's port stream (null at its end); an `error` message is thrown, typed. */
export async function nextMessage<M extends { type: string }>(reader: ReadableStreamDefaultReader<M | ErrorMessage>, lost: AbortSignal, signal?: AbortSignal): Promise<M | null> {
  const { value, done } = await untilLost(reader.read(), lost, signal);
  if (done) return null;
  if (value.type === 'error') throw toAPIError((value as ErrorMessage).error);
  return value as M;
}

/**
 * A request port from the worker (a load, a generation). When the caller stops waiting
 * before it arrives (abort, lost worker), the port is cancelled on arrival, so the work
 * it stands for stops in the worker instead of running on unread.
 */
export async function requestPort(call: Promise<MessagePort>, lost: AbortSignal, signal?: AbortSignal): Promise<MessagePort> {
  try {
    return await untilLost(call, lost, signal);
  } catch (err) {
    void call.then((port) => { port.postMessage(CANCEL); port.close(); }, () => {});
    throw err;
  }
}
