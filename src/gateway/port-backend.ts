import * as Comlink from 'comlink';
import type { HostApi } from '../protocol/rpc.js';
import { installErrorTransfer } from '../protocol/rpc-errors.js';
import { EngineUnavailableError, type GatewayBackend } from './backend.js';
import { untilLost } from './sse.js';

/**
 * A backend over a MessagePort to the engine host (what a page's `client.createPort()`
 * hands over). When the other end goes away (the host worker ended: its last page
 * closed), the port's `close` event marks the backend lost, so calls and reads fail
 * with a 503 instead of hanging.
 */
export interface PortBackend extends GatewayBackend {
  readonly lost: AbortSignal;
  close(): void;
}

export function portBackend(port: MessagePort): PortBackend {
  installErrorTransfer();
  const lost = new AbortController();
  let closed = false;
  const markLost = () => {
    if (!lost.signal.aborted) lost.abort(new EngineUnavailableError('The engine host went away.'));
  };
  port.addEventListener('close', markLost);
  const api = Comlink.wrap<HostApi>(port);
  port.start();
  const guard = <T>(p: Promise<T>): Promise<T> => untilLost(p, lost.signal);
  return {
    lost: lost.signal,
    listModels: () => guard(api.listModels()),
    retrieveModel: (id) => guard(api.retrieveModel(id)),
    chatCompletion: (body) => guard(api.chatCompletion(body)),
    completion: (body) => guard(api.completion(body)),
    close() {
      if (lost.signal.aborted && closed) return;
      closed = true;
      markLost();
      port.removeEventListener('close', markLost);
      // RELEASE lets the host stop serving its end; then close ours (Comlink 4.4 never
      // resolves its own release promise, so do not wait for it).
      try {
        void api[Comlink.releaseProxy]();
      } catch {
        // Already released.
      }
      setTimeout(() => port.close(), 200);
    },
  };
}
