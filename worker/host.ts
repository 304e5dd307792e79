/// <reference lib="webworker" />
/**
 * The engine host entry. As a SharedWorker it serves every tab of the origin (one copy
 * of the weights), with the engines that need nested workers placed in a tab's engine
 * worker (worker/engine-worker.ts); as a dedicated Worker it serves its one page and runs
 * every engine itself.
 */
import { createHost } from '../src/host/host.js';

const scope = self as unknown as SharedWorkerGlobalScope & DedicatedWorkerGlobalScope;
const shared = 'onconnect' in scope;
const host = createHost({}, { shared });

if (shared) {
  scope.onconnect = (event: MessageEvent) => host.serve(event.ports[0]!);
} else {
  host.serve(scope);
}
