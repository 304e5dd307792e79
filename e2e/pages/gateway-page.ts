/**
 * The gateway test page. Query string:
 *   ?gateway=0        no client, no registerGateway: a page of the app that cannot serve the SW
 *   ?apiKey=..        ?maxBodyBytes=..  ?portTimeoutMs=..   gateway settings (in the SW URL)
 *   ?device=wasm|webgpu|none (default wasm): preload tiny-chat on this device; none = do not
 *   ?shared=0         a dedicated-worker engine host per page instead of the SharedWorker
 *   ?sw=URL&swType=classic|module   another SW script (e.g. the bundled file) and its type
 *
 * Exposes on window: OpenAI, makeOpenAI(opts), client, gateway (the GatewayHandle),
 * webinferErrors, and `ready` (true once all of it is set up, or `setupError`).
 */
import OpenAI from 'openai';
import { createClient, registerGateway, type WebInfer } from '../../src/client/index.js';
import { TINY_CHAT, describeError, reportSetup, waitIdle } from './page-setup.js';
import * as errors from '../../src/protocol/errors.js';

const params = new URLSearchParams(location.search);
const w = window as unknown as Record<string, unknown>;

w.OpenAI = OpenAI;
w.webinferErrors = errors;
w.makeOpenAI = (opts: Record<string, unknown> = {}) =>
  new OpenAI({ baseURL: `${location.origin}/v1`, apiKey: 'x', dangerouslyAllowBrowser: true, maxRetries: 0, ...opts });

/** Everything a test may assert about a thrown value, as plain data, and which openai SDK class it is. */
w.describeError = (e: any) => ({
  ...describeError(e),
  isUserAbort: e instanceof OpenAI.APIUserAbortError,
  isAPIError: e instanceof OpenAI.APIError,
});

w.waitIdle = (timeoutMs?: number) => waitIdle(w.client as WebInfer, timeoutMs);

async function setup() {
  if (params.get('gateway') === '0') return;
  const client = createClient({ shared: params.get('shared') !== '0', config: { wasmPaths: '/ort/', models: [TINY_CHAT] } });
  w.client = client;
  const num = (name: string) => (params.has(name) ? Number(params.get(name)) : undefined);
  w.gateway = await registerGateway({
    client,
    url: params.get('sw') ?? undefined,
    type: (params.get('swType') as WorkerType | null) ?? undefined,
    apiKey: params.get('apiKey') ?? undefined,
    maxBodyBytes: num('maxBodyBytes'),
    portTimeoutMs: num('portTimeoutMs'),
  });
  const device = params.get('device') ?? 'wasm';
  if (device !== 'none') w.loaded = await client.models.load('tiny-chat', { device: device as 'wasm' | 'webgpu' });
}

reportSetup(setup);
