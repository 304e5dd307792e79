import * as Comlink from 'comlink';
import { afterEach, describe, expect, test } from 'vitest';
import type { Engine, GenerateOptions, GeneratedToken, LoadedModel, ModelSpec, TokenMask } from '../../core/engine.js';
import { installErrorTransfer } from '../../protocol/rpc-errors.js';
import { createEngineWorkerApi } from './engine-worker-api.js';
import { EngineWorkerSlot } from './slot.js';
import { workerEngine } from './worker-engine.js';

/**
 * The host's proxy (worker-engine.ts) against the real engine-worker API
 * (engine-worker-api.ts) over real MessagePorts, with a scripted engine in the "worker":
 * handover before the first token restarts, after it fails retryably; cancel reaches the
 * engine; core's grammar mask crosses per step.
 */
installErrorTransfer();

type Mode = 'normal' | 'hang-before-first' | 'hang-after-first';
interface FakeWorker { port: MessagePort; loads: number; generations: number; aborted: boolean; masks: boolean[] }

const open: MessagePort[] = [];
afterEach(() => { for (const p of open.splice(0)) p.close(); });

function fakeWorker(mode: Mode): FakeWorker {
  const state: FakeWorker = { port: null as never, loads: 0, generations: 0, aborted: false, masks: [] };
  const model = (spec: ModelSpec): LoadedModel => ({
    id: spec.id, engine: 'scripted', device: 'wasm', contextLength: 64, modalities: ['text'], defaults: {},
    prepareChat: async () => ({ tokenIds: [1, 2], text: 'ab' }),
    prepareText: async (text) => ({ tokenIds: [...text].map((c) => c.charCodeAt(0)), text }),
    async *generate(_prompt, options: GenerateOptions, signal): AsyncGenerator<GeneratedToken> {
      state.generations++;
      signal.addEventListener('abort', () => { state.aborted = true; });
      const hang = () => new Promise<never>(() => {});
      if (options.tokenMask) {
        const mask: TokenMask = await options.tokenMask.create();
        await mask.next();
        state.masks.push(mask.accept(7), mask.accept(3));
        mask.dispose();
      }
      if (mode === 'hang-before-first') await hang();
      for (let i = 0; i < 3; i++) {
        yield { id: 10 + i, text: String(i), tokenText: '', isEos: false };
        if (mode === 'hang-after-first') await hang();
      }
    },
    unload: async () => {},
  });
  const engine: Engine = {
    name: 'scripted',
    capabilities: { modalities: ['text'], chatTemplate: false, logits: true, grammar: false, embeddings: false },
    async load(spec) { state.loads++; return model(spec); },
  };
  const api = createEngineWorkerApi(() => ({ scripted: async () => engine }));
  const { port1, port2 } = new MessageChannel();
  Comlink.expose(api, port1);
  open.push(port1, port2);
  state.port = port2;
  return state;
}

const SPEC: ModelSpec = { id: 'm', engine: 'scripted', source: { repo: 'm' } };
const OPTIONS: GenerateOptions = {
  maxTokens: 3, seed: 0, topLogprobs: null, minTokens: 0, ignoreEos: true,
  sampling: { temperature: 0, topP: 1, topK: 0, minP: 0, repetitionPenalty: 1, presencePenalty: 0, frequencyPenalty: 0, logitBias: new Map() },
};
const never = new AbortController().signal;

async function setup(mode: Mode) {
  const slot = new EngineWorkerSlot(1_000);
  const first = fakeWorker(mode);
  await slot.attach(first.port, undefined);
  const model = await workerEngine('scripted', slot, () => ({})).load(SPEC, { device: 'wasm', signal: never, onProgress: () => {} });
  return { slot, first, model };
}

/** Starts a generation: the token ids as they arrive, and its end. */
function generating(model: LoadedModel) {
  const tokens: number[] = [];
  const run = (async () => {
    const prompt = await model.prepareText('hi');
    for await (const t of model.generate(prompt, OPTIONS, never)) tokens.push(t.id);
  })();
  return { tokens, run };
}

const until = async (check: () => boolean) => { while (!check()) await new Promise((r) => setTimeout(r, 5)); };

describe('a model in the engine worker, seen from the host', () => {
  test('handover before the first token: the request restarts on the next worker, which loads the model again', async () => {
    const { slot, first, model } = await setup('hang-before-first');
    const { tokens, run } = generating(model);
    await until(() => first.generations === 1);
    const second = fakeWorker('normal');
    await slot.attach(second.port, undefined);
    await run;
    expect(tokens).toEqual([10, 11, 12]);
    expect(second.loads).toBe(1);
    expect(slot.stats()).toMatchObject({ attached: true, generation: 2, handovers: 1 });
  });

  test('handover after a token was produced: a retryable 503 engine_worker_lost', async () => {
    const { slot, first, model } = await setup('hang-after-first');
    const { tokens, run } = generating(model);
    await until(() => tokens.length === 1);
    await slot.attach(fakeWorker('normal').port, undefined);
    await expect(run).rejects.toMatchObject({ status: 503, code: 'engine_worker_lost' });
    expect(tokens).toEqual([10]);
    expect(first.generations).toBe(1);
  });

  test('abort cancels the generation in the worker', async () => {
    const { first, model } = await setup('hang-after-first');
    const prompt = await model.prepareText('hi');
    const controller = new AbortController();
    const run = (async () => { for await (const _ of model.generate(prompt, OPTIONS, controller.signal)) controller.abort(); })();
    await expect(run).rejects.toMatchObject({ name: 'AbortError' });
    await until(() => first.aborted);
  });

  test("core's grammar mask crosses per step: the worker accepts what the host's mask allows", async () => {
    const { first, model } = await setup('normal');
    const allowed = new Int32Array(1);
    allowed[0] = 1 << 7;
    const accepted: number[] = [];
    const tokenMask = { create: async (): Promise<TokenMask> => ({ next: async () => allowed, accept: (id) => { accepted.push(id); return id === 7; }, isTerminated: () => false, dispose: () => {} }) };
    const out: number[] = [];
    for await (const t of model.generate(await model.prepareText('x'), { ...OPTIONS, tokenMask }, never)) out.push(t.id);
    expect(out).toEqual([10, 11, 12]);
    expect(first.masks).toEqual([true, false]);
    await until(() => accepted.length === 2);
    expect(accepted).toEqual([7, 3]);
  });

  test('no engine worker: a 503 engine_worker_unavailable once the wait is over', async () => {
    const slot = new EngineWorkerSlot(50);
    await expect(workerEngine('scripted', slot, () => ({})).load(SPEC, { device: 'wasm', signal: never, onProgress: () => {} }))
      .rejects.toMatchObject({ status: 503, code: 'engine_worker_unavailable' });
  });
});
