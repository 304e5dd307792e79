import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A real HTTP server on localhost that answers like an OpenAI-compatible server does,
 * scripted per request: for the error paths a real server cannot be made to take (exact
 * statuses, 429 with Retry-After, a hang, a stream cut off). The success paths of the
 * hybrid tests hit a real server (transformers serve). CORS is permissive, like
 * `transformers serve --enable-cors`, so a browser's engine host can call it.
 */
export interface FakeReply {
  status?: number;
  headers?: Record<string, string>;
  /** A JSON body (or raw text when a string). */
  body?: unknown;
  /** Server-sent events: objects become `data: <json>`, strings are sent as they are. */
  sse?: unknown[];
  /** Wait between SSE events. */
  eventDelayMs?: number;
  /** Send the headers, then nothing until the client goes away. */
  hang?: boolean;
}

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: any;
  /** Resolves true if the client closed the connection before the reply was complete. */
  closedEarly: Promise<boolean>;
}

export interface FakeServer {
  /** `http://127.0.0.1:<port>/v1` */
  baseURL: string;
  requests: RecordedRequest[];
  reply: (request: RecordedRequest, index: number) => FakeReply;
  stop(): Promise<void>;
}

export async function startFakeServer(reply: FakeServer['reply']): Promise<FakeServer> {
  const fake: FakeServer = { baseURL: '', requests: [], reply, stop: async () => {} };
  const server = createServer(async (req, res) => {
    cors(req, res);
    if (req.method === 'OPTIONS') return void res.writeHead(204).end();
    let raw = '';
    for await (const piece of req) raw += piece;
    let finished = false;
    const closedEarly = new Promise<boolean>((resolve) => res.on('close', () => resolve(!finished)));
    const recorded: RecordedRequest = {
      method: req.method ?? '', path: req.url ?? '', headers: req.headers, body: raw ? safeJson(raw) : null, closedEarly,
    };
    fake.requests.push(recorded);
    const r = fake.reply(recorded, fake.requests.length - 1);
    const status = r.status ?? 200;
    if (r.sse || r.hang) {
      res.writeHead(status, { 'content-type': 'text/event-stream', ...r.headers });
      res.flushHeaders();
      if (r.hang) return;
      for (const event of r.sse!) {
        if (res.destroyed) return;
        res.write(typeof event === 'string' ? event : `data: ${JSON.stringify(event)}\n\n`);
        if (r.eventDelayMs) await new Promise((resolve) => setTimeout(resolve, r.eventDelayMs));
      }
      finished = true;
      return void res.end();
    }
    const text = typeof r.body === 'string' ? r.body : JSON.stringify(r.body ?? {});
    finished = true;
    res.writeHead(status, { 'content-type': typeof r.body === 'string' ? 'text/plain' : 'application/json', ...r.headers }).end(text);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  fake.baseURL = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  fake.stop = () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); });
  return fake;
}

function cors(req: IncomingMessage, res: ServerResponse): void {
  res.setHeader('access-control-allow-origin', req.headers.origin ?? '*');
  res.setHeader('access-control-allow-methods', 'GET, POST, OPTIONS');
  res.setHeader('access-control-allow-headers', req.headers['access-control-request-headers'] ?? 'authorization, content-type');
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** A chat chunk as OpenAI streams it. */
export function chunk(delta: Record<string, unknown>, finish: string | null = null, extra: Record<string, unknown> = {}) {
  return { id: 'chatcmpl-fake', object: 'chat.completion.chunk', created: 1, model: 'served-name', choices: [{ index: 0, delta, finish_reason: finish }], ...extra };
}

/** A streamed reply of `pieces`, usage on its own last chunk, then [DONE]. */
export function streamOf(pieces: string[], usage = { prompt_tokens: 3, completion_tokens: pieces.length, total_tokens: 3 + pieces.length }): unknown[] {
  return [chunk({ role: 'assistant', content: '' }), ...pieces.map((p) => chunk({ content: p })), chunk({}, 'stop'), { ...chunk({}), choices: [], usage }, 'data: [DONE]\n\n'];
}
