import type { TokenMask, TokenMaskSource } from '../../core/engine.js';
import { serializeError, toAPIError, type SerializedError } from '../../protocol/errors.js';

/**
 * Core's grammar matcher (GenerateOptions.tokenMask) across the engine worker's boundary.
 * The matcher stays in the host (core's grammar engine); the engine in the worker asks for
 * each step's mask over a port. `accept` must answer synchronously, so the worker answers
 * it from the mask it was given (a token the mask allowed is one the grammar accepts) and
 * the host applies it in order before the next step's mask.
 */
type ToHost = { op: 'create' } | { op: 'next' } | { op: 'accept'; id: number } | { op: 'dispose' };
type ToWorker = { op: 'created' } | { op: 'mask'; mask: Int32Array; terminated: boolean } | { op: 'error'; error: SerializedError };

/** Host side: serves one generation's matcher on `port` until the worker disposes it. */
export function serveMask(port: MessagePort, source: TokenMaskSource): void {
  let mask: TokenMask | null = null;
  let work = Promise.resolve();
  const reply = (m: ToWorker) => port.postMessage(m);
  port.onmessage = ({ data }: MessageEvent<ToHost>) => {
    // In arrival order: an accept is applied before the next step's mask is computed.
    work = work.then(async () => {
      try {
        if (data.op === 'create') {
          mask = await source.create();
          reply({ op: 'created' });
        } else if (data.op === 'next') {
          const bits = await mask!.next();
          reply({ op: 'mask', mask: bits, terminated: mask!.isTerminated() });
        } else if (data.op === 'accept') {
          mask!.accept(data.id);
        } else {
          mask?.dispose();
          port.close();
        }
      } catch (err) {
        reply({ op: 'error', error: serializeError(err) });
      }
    });
  };
}

/** Worker side: a TokenMaskSource whose masks come from the host over `port`. */
export function maskOverPort(port: MessagePort): TokenMaskSource {
  const waiting: Array<(m: ToWorker) => void> = [];
  port.onmessage = ({ data }: MessageEvent<ToWorker>) => waiting.shift()?.(data);
  const ask = (m: ToHost) => new Promise<ToWorker>((resolve, reject) => {
    waiting.push((answer) => (answer.op === 'error' ? reject(toAPIError(answer.error)) : resolve(answer)));
    port.postMessage(m);
  });
  return {
    async create() {
      await ask({ op: 'create' });
      let last: Int32Array | null = null;
      let terminated = false;
      return {
        async next() {
          const answer = (await ask({ op: 'next' })) as Extract<ToWorker, { op: 'mask' }>;
          last = answer.mask;
          terminated = answer.terminated;
          return last;
        },
        accept(id: number) {
          port.postMessage({ op: 'accept', id } satisfies ToHost);
          return last === null || ((last[id >> 5] ?? 0) >>> (id & 31) & 1) === 1;
        },
        isTerminated: () => terminated,
        dispose() {
          port.postMessage({ op: 'dispose' } satisfies ToHost);
          port.close();
        },
      };
    },
  };
}
