import { z } from 'zod';

/**
 * Hybrid inference: where a model id's requests run when it has both a local engine and a
 * remote OpenAI-compatible server (Firebase AI Logic's inference modes, by other names).
 * - `prefer_on_device` (default): on the device when it can run the model, else the server;
 *   a local failure (no WebGPU, download failed, quota, device lost, context too long)
 *   falls back to the server.
 * - `only_on_device`: never the server.
 * - `prefer_remote`: the server; when it cannot be reached (network, 5xx, timeout) the device.
 * - `only_remote`: never the device.
 */
export const RoutingMode = z.enum(['prefer_on_device', 'only_on_device', 'prefer_remote', 'only_remote']);
export type RoutingMode = z.infer<typeof RoutingMode>;

/** Which side answered a request (`x-webinfer-served` through /v1, `client.stats().routing`). */
export type Served = 'local' | 'remote';

/** A remote OpenAI-compatible server (vLLM, TGI, llama.cpp server, Ollama, OpenAI). */
export const RemoteTarget = z.strictObject({
  /**
   * The server's OpenAI base URL, `/v1` included (e.g. `http://localhost:8000/v1`), or a
   * path on the app's own origin (a same-origin proxy, e.g. `/api/llm/v1`).
   */
  baseURL: z.string().refine(isHttpUrlOrPath, 'must be an http(s) URL or a path starting with /'),
  /** Sent as `Authorization: Bearer <apiKey>`; it stays in the engine host. */
  apiKey: z.string().min(1).optional(),
  /** The model name the server knows (default: the registered id). */
  model: z.string().min(1).optional(),
  /** Extra request headers (e.g. `OpenAI-Organization`). */
  headers: z.record(z.string(), z.string()).optional(),
  /** Milliseconds to wait for the server's answer, and between two streamed chunks (default 60 000). */
  timeoutMs: z.number().int().min(1).optional(),
  /** Retries with exponential backoff on 429, 5xx and network errors before the answer starts (default 2). */
  maxRetries: z.number().int().min(0).max(10).optional(),
  /**
   * `/v1/responses` on this server: `native` passes it through, `chat` translates it to chat
   * completions, `auto` (default) tries native once and translates from then on if the
   * server has no such route (404/405).
   */
  responses: z.enum(['native', 'chat', 'auto']).optional(),
});
export type RemoteTarget = z.infer<typeof RemoteTarget>;

function isHttpUrlOrPath(value: string): boolean {
  if (value.startsWith('/') && !value.startsWith('//')) return true;
  try {
    return /^https?:$/.test(new URL(value).protocol);
  } catch {
    return false;
  }
}
