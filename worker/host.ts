/// <reference lib="webworker" />
/**
 * The engine host entry. As a SharedWorker it serves every tab of the origin (one copy
 * of the weights); as a dedicated Worker it serves its one page.
 */
import { createHost } from '../src/host/host.js';

const host = createHost();
const scope = self as unknown as SharedWorkerGlobalScope & DedicatedWorkerGlobalScope;

if ('onconnect' in scope) {
  scope.onconnect = (event: MessageEvent) => host.serve(event.ports[0]!);
} else {
  host.serve(scope);
}
