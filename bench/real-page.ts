/**
 * The real-size bench page (bench-size models: random weights at real models' shapes).
 * Everything runs in dedicated workers of this cross-origin isolated page (run.mjs serves
 * it with COOP/COEP), so WASM threads are possible where asked for:
 * - decode tok/s and TTFT per dtype: webinfer (in-page client, dedicated host, 1 thread)
 *   against plain transformers.js in a worker (1 thread), and webinfer with every thread;
 * - q8 through the default placement: a SharedWorker host whose model runs in this tab's
 *   engine worker (src/host/placement/), with 1 thread and with every thread;
 * - TTFT of turn 1..8 of a multi-turn chat, with and without the prefix cache;
 * - wall time of n=4 against n=1, with and without the prefix cache.
 * Paths run interleaved, round by round; run.mjs does the statistics.
 */
import { createClient, type WebInfer } from '../src/client/index.js';
import type { ChatCompletionChunk } from '../src/protocol/chat.js';
import type { ModelPlacement } from '../src/protocol/rpc.js';
import type { Sample } from './measure.js';

interface RealOptions {
  model: string;
  dtypes: string[];
  rounds: number;
  tokens: number;
  turns: number;
  conversations: number;
  nRounds: number;
}
export interface TurnSample { turn: number; ttftMs: number; promptTokens: number; cachedTokens: number | null }
export interface RealResults {
  isolated: boolean;
  cores: number;
  threads: number;
  decode: Record<string, Sample[]>;
  turns: { cached: TurnSample[][]; plain: TurnSample[][] };
  n: { n1: number[]; n4: number[]; n4Plain: number[]; promptTokens: number };
  /** Where the SharedWorker hosts placed q8 (1 thread, all threads): expected the engine worker. */
  placement: { one: ModelPlacement | null; all: ModelPlacement | null };
}
declare global {
  interface Window {
    runReal(options: RealOptions): Promise<RealResults>;
    realReady: boolean;
  }
}

const USER = 'Please tell me about the history of the town, its people, its food and the river that runs through it.';
const LONG = Array.from({ length: 12 }, (_, i) => `Point ${i + 1}: ${USER}`).join(' ');

function plainWorker() {
  const worker = new Worker(new URL('./plain-worker.ts', import.meta.url), { type: 'module' });
  const call = (msg: Record<string, unknown>) =>
    new Promise<{ sample?: Sample }>((resolve) => {
      worker.onmessage = (e) => resolve(e.data);
      worker.postMessage(msg);
    });
  return {
    load: (repo: string, dtype: string) => call({ op: 'load', repo, dtype }),
    run: async (repo: string, dtype: string, messages: unknown[], tokens: number) => (await call({ op: 'run', repo, dtype, messages, tokens })).sample!,
  };
}

/** One streamed request: TTFT, decode speed (content chunks as tokens, as bench/measure.ts), and its usage. */
async function timed(client: WebInfer, body: Record<string, unknown>) {
  const start = performance.now();
  const stream = await client.chat.completions.create({ ...body, stream: true, stream_options: { include_usage: true } } as never);
  let first = 0;
  let last = 0;
  let tokens = 0;
  let text = '';
  let usage: ChatCompletionChunk['usage'] = null;
  for await (const chunk of stream as AsyncIterable<ChatCompletionChunk>) {
    if (chunk.usage) usage = chunk.usage;
    const piece = chunk.choices[0]?.delta?.content;
    if (!piece) continue;
    text += piece;
    last = performance.now();
    if (tokens === 0) first = last;
    tokens++;
  }
  const sample: Sample = { ttftMs: first - start, tokens, decodeTokPerS: tokens > 1 ? ((tokens - 1) * 1000) / (last - first) : 0, totalMs: last - start };
  return { sample, text, usage };
}

window.runReal = async (o) => {
  const base = `/models/${o.model}/`;
  const ids = (dtype: string) => `${o.model}@${dtype}`;
  // The decode paths repeat one prompt: without the prefix cache, so TTFT is a whole
  // prefill on every path (webinfer's q8 in 64-position blocks, transformers.js's in one pass).
  const models = () =>
    o.dtypes.map((dtype) => ({ id: ids(dtype), repo: o.model, baseUrl: base, options: { dtype, prefixCache: false } }));
  // One dedicated host per thread setting (onnxruntime-web fixes its threads at start).
  const one = createClient({ shared: false, config: { wasmPaths: '/ort/', numThreads: 1, models: [...models(), { id: 'cache', repo: o.model, baseUrl: base, options: { dtype: 'q8' } }] } });
  const all = createClient({ shared: false, config: { wasmPaths: '/ort/', models: models() } });
  // The default placement: SharedWorker hosts (one per thread setting, by worker name), the
  // model in this tab's engine worker, where threads are possible.
  const sharedHost = (name: string) => new SharedWorker(new URL('../worker/host.ts', import.meta.url), { type: 'module', name });
  const placedOne = createClient({ host: sharedHost('bench-placed-1t'), config: { wasmPaths: '/ort/', numThreads: 1, models: models() } });
  const placedAll = createClient({ host: sharedHost('bench-placed-all'), config: { wasmPaths: '/ort/', models: models() } });
  const plain = plainWorker();
  const t0 = performance.now();
  const log = (what: string) => console.log(`[bench] ${o.model}: ${what} (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
  for (const dtype of o.dtypes) {
    await one.models.load(ids(dtype), { device: 'wasm' });
    await plain.load(o.model, dtype);
    log(`loaded ${dtype}`);
  }
  // 'cache': q8 as configured by default (prefix cache on); the decode paths' q8 is the same without it.
  const nocache = ids('q8');
  await one.models.load('cache', { device: 'wasm' });
  log('loaded q8 with the prefix cache');
  await all.models.load(ids('q8'), { device: 'wasm' });
  log('loaded q8, all threads');
  await placedOne.models.load(ids('q8'), { device: 'wasm' });
  await placedAll.models.load(ids('q8'), { device: 'wasm' });
  const placement = (await placedAll.stats()).placement?.models[ids('q8')];
  const placementOne = (await placedOne.stats()).placement?.models[ids('q8')];
  log(`loaded q8 through the SharedWorker hosts: ${JSON.stringify(placementOne)} / ${JSON.stringify(placement)}`);

  const messages = [{ role: 'user', content: USER }];
  const decodeBody = (model: string) => ({ model, messages, max_tokens: o.tokens, temperature: 0, ignore_eos: true });
  type Path = [string, () => Promise<Sample>];
  const paths: Path[] = o.dtypes.flatMap((dtype): Path[] => [
    [`webinfer ${dtype} 1t`, async () => (await timed(one, decodeBody(ids(dtype)))).sample],
    [`transformers.js ${dtype} 1t`, () => plain.run(o.model, dtype, messages, o.tokens)],
  ]);
  paths.push(['webinfer q8 all', async () => (await timed(all, decodeBody(ids('q8')))).sample]);
  paths.push(['placed q8 1t', async () => (await timed(placedOne, decodeBody(ids('q8')))).sample]);
  paths.push(['placed q8 all', async () => (await timed(placedAll, decodeBody(ids('q8')))).sample]);
  const decode: Record<string, Sample[]> = Object.fromEntries(paths.map(([name]) => [name, []]));
  for (const [, run] of paths) await run(); // warm-up
  log('warmed up');
  for (let r = 0; r < o.rounds; r++) {
    const order = r % 2 ? [...paths].reverse() : paths;
    for (const [name, run] of order) decode[name]!.push(await run());
    log(`decode round ${r + 1}/${o.rounds}`);
  }

  // Multi-turn: each conversation starts with its own first token, so turn 1 is a miss.
  const conversation = async (model: string, k: number): Promise<TurnSample[]> => {
    const history: Array<{ role: string; content: string }> = [];
    const out: TurnSample[] = [];
    for (let turn = 1; turn <= o.turns; turn++) {
      history.push({ role: 'user', content: `${k * 100 + turn}. ${USER}` });
      const { sample, text, usage } = await timed(one, { model, messages: history, max_tokens: 16, temperature: 0, ignore_eos: true });
      out.push({ turn, ttftMs: sample.ttftMs, promptTokens: usage?.prompt_tokens ?? 0, cachedTokens: usage?.prompt_tokens_details?.cached_tokens ?? null });
      history.push({ role: 'assistant', content: text });
    }
    return out;
  };
  const turns = { cached: [] as TurnSample[][], plain: [] as TurnSample[][] };
  for (let k = 0; k < o.conversations; k++) {
    turns.cached.push(await conversation('cache', 2 * k));
    turns.plain.push(await conversation(nocache, 2 * k + 1));
    log(`conversation ${k + 1}/${o.conversations}`);
  }

  // n=4 against n=1 on a long prompt; a new first token each time, so no request reuses another's.
  const wall = async (model: string, n: number, k: number) => {
    const start = performance.now();
    const r = await one.chat.completions.create({ model, messages: [{ role: 'user', content: `${k}. ${LONG}` }], n, max_tokens: 16, temperature: 1, seed: k, ignore_eos: true });
    return { ms: performance.now() - start, promptTokens: r.usage?.prompt_tokens ?? 0 };
  };
  const n = { n1: [] as number[], n4: [] as number[], n4Plain: [] as number[], promptTokens: 0 };
  for (let r = 0; r < o.nRounds; r++) {
    const k = 1000 + 3 * r;
    n.n1.push((await wall('cache', 1, k)).ms);
    const four = await wall('cache', 4, k + 1);
    n.n4.push(four.ms);
    n.promptTokens = four.promptTokens;
    n.n4Plain.push((await wall(nocache, 4, k + 2)).ms);
  }
  placedOne.close();
  placedAll.close();
  return { isolated: crossOriginIsolated, cores: navigator.hardwareConcurrency, threads: Math.min(8, navigator.hardwareConcurrency), decode, turns, n, placement: { one: placementOne ?? null, all: placement ?? null } };
};
window.realReady = true;
