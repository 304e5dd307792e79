/**
 * The code view: the current request as code that reproduces it exactly (the in-page
 * client, the openai SDK against /v1, plain fetch reading SSE), and a runner that
 * executes that very text (its `import` lines bound to the playground's modules, its
 * `fetch` and `console` watched) to show the raw response and what it printed.
 */
import OpenAI from 'openai';
import type { ChatCompletionChunk, WebInfer } from '../src/client/index.js';

export type SnippetKind = 'client' | 'openai' | 'fetch';

export interface SnippetContext {
  /** The request body, exactly as the playground sends it. */
  request: Record<string, unknown>;
  /** The gateway's base URL (`location.origin + '/v1'`). */
  baseURL: string;
  /** How the in-page snippet sets up and loads the model. */
  model: { id: string; device: string; registration: Record<string, unknown> | null };
}

const indent = (json: string, by: string) => json.replace(/\n/g, `\n${by}`);

const PRINT_STREAM = `let text = '';
for await (const chunk of stream) {
  text += chunk.choices[0]?.delta?.content ?? '';
}
console.log(text);`;

export function snippet(kind: SnippetKind, ctx: SnippetContext): string {
  const body = JSON.stringify({ ...ctx.request, stream: true, stream_options: { include_usage: true } }, null, 2);
  if (kind === 'client') {
    const config = { wasmPaths: '/ort/', ...(ctx.model.registration ? { models: [ctx.model.registration] } : {}) };
    return `import { createClient } from 'webinfer';

const client = createClient({ config: ${JSON.stringify(config, null, 2)} });
await client.models.load(${JSON.stringify(ctx.model.id)}, { device: ${JSON.stringify(ctx.model.device)} });
const stream = await client.chat.completions.create(${body});
${PRINT_STREAM}
`;
  }
  if (kind === 'openai') {
    return `import OpenAI from 'openai';

// /v1 answers while a page of this origin that registered the gateway (the playground) is open.
const openai = new OpenAI({ baseURL: ${JSON.stringify(ctx.baseURL)}, apiKey: 'local', dangerouslyAllowBrowser: true });
const stream = await openai.chat.completions.create(${body});
${PRINT_STREAM}
`;
  }
  return `// /v1 answers while a page of this origin that registered the gateway (the playground) is open.
const response = await fetch(${JSON.stringify(`${ctx.baseURL}/chat/completions`)}, {
  method: 'POST',
  headers: { 'Content-Type': 'application/json' },
  body: JSON.stringify(${indent(body, '  ')}),
});
if (!response.ok) throw new Error(\`\${response.status}: \${await response.text()}\`);
// Server-sent events: one \`data: {chunk}\` line per chunk, then \`data: [DONE]\`.
const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
let text = '';
let pending = '';
for (;;) {
  const { value, done } = await reader.read();
  if (done) break;
  const lines = (pending + value).split('\\n');
  pending = lines.pop();
  for (const line of lines) {
    if (!line.startsWith('data: ') || line === 'data: [DONE]') continue;
    text += JSON.parse(line.slice(6)).choices[0]?.delta?.content ?? '';
  }
}
console.log(text);
`;
}

export interface SnippetRun {
  /** What the snippet printed with console.log, one entry per call. */
  output: string[];
  /** The raw response: the HTTP body (SSE) for /v1 snippets, the chunks as JSON lines for the in-page client. */
  raw: string;
}

const IMPORT = /^import\s+(.+?)\s+from\s+'([^']+)';?[ \t]*$/gm;

/** `import X from 'm'` / `import { a, b as c } from 'm'` -> the names they bind and what from. */
function bindings(code: string, modules: Record<string, Record<string, unknown>>) {
  const names: string[] = [];
  const values: unknown[] = [];
  for (const [, clause, from] of code.matchAll(IMPORT)) {
    const mod = modules[from!];
    if (!mod) throw new Error(`The runner has no module '${from}'.`);
    const named = clause!.match(/^\{(.*)\}$/);
    const pairs = named
      ? named[1]!.split(',').map((s) => s.trim()).filter(Boolean).map((s) => s.split(/\s+as\s+/) as [string, string?])
      : [['default', clause!.trim()] as [string, string]];
    for (const [name, alias] of pairs) {
      names.push(alias ?? name);
      values.push(mod[name]);
    }
  }
  return { names, values, body: code.replace(IMPORT, '') };
}

export async function runSnippet(code: string, client: WebInfer): Promise<SnippetRun> {
  const run: SnippetRun = { output: [], raw: '' };
  const reads: Promise<void>[] = [];
  // fetch, with a copy of every response body kept for the raw view.
  const watchedFetch: typeof fetch = async (input, init) => {
    const response = await fetch(input, init);
    if (!response.body) return response;
    const [mine, theirs] = response.body.tee();
    reads.push(new Response(mine).text().then((t) => { run.raw += t; }));
    return new Response(theirs, { status: response.status, statusText: response.statusText, headers: response.headers });
  };
  const WatchedOpenAI = class extends OpenAI {
    constructor(options: ConstructorParameters<typeof OpenAI>[0] = {}) { super({ ...options, fetch: watchedFetch }); }
  };
  // The page's own client (one engine host per origin: a new client would reach the same one).
  const watchedClient = {
    models: client.models,
    chat: {
      completions: {
        create: async (params: never, options?: never) => {
          const stream = (await client.chat.completions.create(params, options)) as AsyncIterable<ChatCompletionChunk>;
          return (async function* () {
            for await (const chunk of stream) {
              run.raw += `${JSON.stringify(chunk)}\n`;
              yield chunk;
            }
          })();
        },
      },
    },
  };
  const modules = { webinfer: { createClient: () => watchedClient }, openai: { default: WatchedOpenAI, OpenAI: WatchedOpenAI } };
  const { names, values, body } = bindings(code, modules);
  const print = (...args: unknown[]) => run.output.push(args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' '));
  const AsyncFunction = (async () => {}).constructor as new (...args: string[]) => (...values: unknown[]) => Promise<void>;
  await new AsyncFunction(...names, 'console', 'fetch', body)(...values, { log: print, info: print, warn: print, error: print }, watchedFetch);
  await Promise.all(reads);
  return run;
}
