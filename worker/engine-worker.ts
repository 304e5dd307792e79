/// <reference lib="webworker" />
/**
 * The engine worker: a dedicated Worker started by the tab elected to own it
 * (src/client/election.ts). It runs the engines a SharedWorker host cannot (threads,
 * wllama's own worker) and serves the host over the port the tab posts to it.
 */
import * as Comlink from 'comlink';
import { localEngines } from '../src/host/engines.js';
import { createEngineWorkerApi } from '../src/host/placement/engine-worker-api.js';
import { installErrorTransfer } from '../src/protocol/rpc-errors.js';

installErrorTransfer();
const api = createEngineWorkerApi(localEngines);
const scope = self as unknown as DedicatedWorkerGlobalScope;
scope.onmessage = (event: MessageEvent) => {
  const port = event.ports[0];
  if (port) Comlink.expose(api, port);
};
