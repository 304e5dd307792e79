import * as Comlink from 'comlink';
import type { Engine, LoadedModel, ModelSpec } from '../../core/engine.js';
import { isPassThrough } from '../../core/engine.js';
import { chooseThreads, threadSupport } from '../../core/threads.js';
import { BadRequestError, NotFoundError } from '../../protocol/errors.js';
import type { RuntimeOptions } from '../../core/runtime.js';
import type { EngineConfig } from '../engines.js';
import { messagePort } from '../message-port.js';
import { maskOverPort } from './mask-port.js';
import { decodeVideoFrames } from '../../core/media/index.js';
import { capabilitiesOf, type EngineLoadMessage, type EngineWorkerApi, type LoadedDescription, type TokenizerData, type WirePrompt } from './protocol.js';

/** Prepared prompts whose engine-private inputs (pixel values, ...) are kept here; n choices reuse one. */
const KEPT_INPUTS = 8;

interface Resident {
  model: LoadedModel;
  /** Settles when the model's last generation is over: generations run one at a time. */
  idle: Promise<void>;
}

/**
 * The engine worker's side (worker/engine-worker.ts): engines built from the host's
 * config on first use, loaded models by handle. One generation per model at a time: a
 * cancelled one must be over before the next starts (core's queue assumes an idle engine).
 */
export function createEngineWorkerApi(engineLoaders: (config: () => EngineConfig) => RuntimeOptions['engines']): EngineWorkerApi {
  let config: EngineConfig = {};
  const loaders = engineLoaders(() => config);
  const engines = new Map<string, Promise<Engine>>();
  const models = new Map<number, Resident>();
  const inputs = new Map<number, Record<string, unknown>>();
  let nextId = 1;

  const engine = (name: string): Promise<Engine> => {
    let found = engines.get(name);
    if (!found) {
      const loader = loaders[name];
      if (!loader) throw new BadRequestError(`No engine '${name}' in the engine worker.`, { param: 'model' });
      found = loader().then((e) => {
        if (isPassThrough(e)) throw new BadRequestError(`Engine '${name}' does not run on the device.`, { param: 'model' });
        return e;
      });
      found.catch(() => engines.delete(name));
      engines.set(name, found);
    }
    return found;
  };
  const resident = (handle: number): Resident => {
    const r = models.get(handle);
    if (!r) throw new NotFoundError(`No model ${handle} in the engine worker (it was unloaded).`, { code: 'model_not_loaded' });
    return r;
  };
  const transfer = (port: MessagePort) => Comlink.transfer(port, [port]);

  return {
    async info() {
      const support = threadSupport();
      return { isolated: !!globalThis.crossOriginIsolated, threads: support.possible, cores: support.cores };
    },
    async load(name, spec, device, next) {
      // The first load's settings win, as in the host (engines read them once).
      if (engines.size === 0) config = next;
      return transfer(messagePort<EngineLoadMessage>(async (send, signal) => {
        const threads = chooseThreads(config.numThreads);
        const placed: ModelSpec = name === 'gguf' ? { ...spec, options: { n_threads: threads, ...spec.options } } : spec;
        const model = await (await engine(name)).load(placed, { device, signal, onProgress: (progress) => send({ type: 'progress', progress }) });
        // Cancelled while it finished: nobody holds this copy, so it does not stay.
        if (signal.aborted) return void (await model.unload());
        const handle = nextId++;
        models.set(handle, { model, idle: Promise.resolve() });
        send({ type: 'done', model: describe(handle, model, model.device === 'wasm' ? ((placed.options?.n_threads as number | undefined) ?? threads) : 1) });
      }));
    },
    async prepare(handle, request) {
      const { model } = resident(handle);
      const prompt = request.kind === 'chat' ? await model.prepareChat(request.input) : await model.prepareText(request.text);
      const wire: WirePrompt = { tokenIds: prompt.tokenIds, text: prompt.text };
      if (prompt.modelInputs) {
        wire.inputs = nextId++;
        inputs.set(wire.inputs, prompt.modelInputs);
        for (const key of inputs.keys()) if (inputs.size > KEPT_INPUTS) inputs.delete(key);
      }
      return wire;
    },
    async generate(handle, prompt, options, maskPort) {
      const r = resident(handle);
      return transfer(messagePort<{ type: 'chunks'; chunks: never[] }>(async (send, signal) => {
        const previous = r.idle;
        let done!: () => void;
        r.idle = new Promise((resolve) => (done = resolve));
        try {
          await previous;
          const modelInputs = prompt.inputs === undefined ? undefined : inputs.get(prompt.inputs);
          if (prompt.inputs !== undefined && !modelInputs) throw new NotFoundError('The prompt\'s inputs are no longer in the engine worker.');
          const tokenMask = maskPort ? maskOverPort(maskPort) : null;
          const tokens = r.model.generate({ tokenIds: prompt.tokenIds, text: prompt.text, ...(modelInputs ? { modelInputs } : {}) }, { ...options, tokenMask }, signal);
          for await (const token of tokens) send({ type: 'chunk', chunk: token as never });
        } finally {
          done();
        }
      }));
    },
    async tokenVocabulary(handle) {
      const { model } = resident(handle);
      if (!model.tokenVocabulary) throw new BadRequestError('This model exposes no vocabulary.', { param: 'model' });
      return model.tokenVocabulary();
    },
    async embed(handle, batch) {
      const { model } = resident(handle);
      return model.embed!(batch, new AbortController().signal);
    },
    async classify(handle, batch) {
      const { model } = resident(handle);
      return model.classify!(batch, new AbortController().signal);
    },
    async tokenizerData(handle) {
      return tokenizerFiles(resident(handle).model);
    },
    async unload(handle) {
      const r = models.get(handle);
      models.delete(handle);
      await r?.idle;
      await r?.model.unload();
    },
    async decodeVideo(bytes, options) {
      try {
        const decoded = await decodeVideoFrames(bytes, options);
        // A short clip repeats a frame: each buffer is transferred once.
        return Comlink.transfer({ frames: decoded }, [...new Set(decoded.frames.map((f) => f.data.buffer as ArrayBuffer))]);
      } catch (err) {
        return { error: { name: (err as Error)?.name ?? 'Error', message: (err as Error)?.message ?? String(err) } };
      }
    },
  };
}

function describe(handle: number, model: LoadedModel, threads: number): LoadedDescription {
  return {
    handle,
    device: model.device,
    contextLength: model.contextLength,
    modalities: model.modalities,
    defaults: model.defaults,
    ...(model.storage ? { storage: model.storage } : {}),
    chatTemplate: model.chatTemplate ?? null,
    nativeGrammar: model.nativeGrammar,
    task: model.task,
    embedding: model.embedding,
    labels: model.labels,
    has: capabilitiesOf(model),
    threads,
  };
}

/**
 * A transformers.js model's tokenizer files, as transformers.js keeps them on its
 * tokenizer (`_tokenizerJSON`, `_tokenizerConfig`): the host rebuilds the same tokenizer
 * for core's synchronous ModelTokenizer (/tokenize, embeddings' inputs). Null for engines
 * without one.
 */
function tokenizerFiles(model: LoadedModel): TokenizerData | null {
  const tokenizer = (model as unknown as { tokenizer?: { _tokenizerJSON?: unknown; _tokenizerConfig?: unknown } }).tokenizer;
  if (!model.textTokenizer || !tokenizer?._tokenizerJSON) return null;
  return { json: tokenizer._tokenizerJSON, config: tokenizer._tokenizerConfig };
}
