/**
 * Page for e2e/structured-gateway.e2e.ts: an in-page client (the engine host), the
 * gateway registered, the tiny model loaded; exposes OpenAI, zod and the SDK's zod helpers.
 */
import OpenAI from 'openai';
import { zodFunction, zodResponseFormat } from 'openai/helpers/zod';
import { z } from 'zod';
import { createClient, registerGateway } from '../../src/client/index.js';
import { TINY_CHAT, reportSetup } from './page-setup.js';

const w = window as unknown as Record<string, unknown>;
w.OpenAI = OpenAI;
w.z = z;
w.zodResponseFormat = zodResponseFormat;
w.zodFunction = zodFunction;
w.makeOpenAI = () => new OpenAI({ baseURL: `${location.origin}/v1`, apiKey: 'x', dangerouslyAllowBrowser: true, maxRetries: 0 });
w.describeError = (e: any) => ({ name: e?.constructor?.name ?? null, message: e?.message ?? String(e), status: e?.status ?? null, param: e?.param ?? null, code: e?.code ?? null });

async function setup() {
  const client = createClient({
    shared: false,
    config: { wasmPaths: '/ort/', models: [TINY_CHAT] },
  });
  w.client = client;
  w.gateway = await registerGateway({ client });
  await client.models.load('tiny-chat', { device: 'wasm' });
}

reportSetup(setup);
