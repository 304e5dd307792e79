/// <reference lib="webworker" />
/**
 * The Service Worker gateway entry: the OpenAI HTTP API at a same-origin `/v1` (or the
 * `base` given in this script's query string), served by the engine host of the pages.
 * Register it with `registerGateway()` from the page; everything outside the base path
 * passes through untouched. Holds no model: no transformers.js in this bundle.
 */
import { installServiceWorkerGateway } from '../src/gateway/service-worker.js';

installServiceWorkerGateway(self as unknown as ServiceWorkerGlobalScope);
