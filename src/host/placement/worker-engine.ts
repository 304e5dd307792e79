import * as Comlink from 'comlink';
import type { ClassifyInput, Engine, EmbeddingInfo, GenerateOptions, GeneratedToken, LoadContext, LoadedModel, ModelSpec, ModelTask, ModelTokenizer, PreparedPrompt, PromptInput, SamplingParams, TokenVocabulary } from '../../core/engine.js';
import { isAbort } from '../../core/abort.js';
import { ServiceUnavailableError } from '../../protocol/errors.js';
import type { DeviceKind, Modality, ModelStorage } from '../../protocol/models.js';
import { portStream } from '../../protocol/port-stream.js';
import type { EngineConfig } from '../engines.js';
import { serveMask } from './mask-port.js';
import { nextMessage, requestPort, untilLost } from './port-read.js';
import type { EngineLoadMessage, EngineTokenMessage, LoadedDescription, PromptRequest, WirePrompt } from './protocol.js';
import type { EngineWorker, EngineWorkerSlot } from './slot.js';
import { hostTokenizer } from './tokenizer.js';

/**
 * An engine that runs in the engine worker (placement/protocol.ts), seen from the host as
 * core's ordinary Engine/LoadedModel. When the worker's tab closes, the model is loaded
 * again on the next tab's worker on its next use (from the browser's cache). A request
 * caught by the handover restarts there if none of its tokens had been sent yet;
 * otherwise it fails with a retryable 503 `engine_worker_lost`.
 */
export function workerEngine(name: string, slot: EngineWorkerSlot, config: () => EngineConfig): Engine {
  return {
    name,
    capabilities: { modalities: ['text'], chatTemplate: false, logits: name === 'transformers', grammar: false, embeddings: name === 'transformers' },
    async load(spec, ctx) {
      const bound = await loadOnWorker(slot, name, spec, ctx.device, config, ctx);
      const tokenizer = bound.model.has.textTokenizer ? await hostTokenizer(await untilLost(bound.worker.api.tokenizerData(bound.model.handle), bound.worker.lost, ctx.signal)) : null;
      return new WorkerModel(spec, name, bound, (device, signal) => loadOnWorker(slot, name, spec, device, config, { signal, onProgress: () => {} }), tokenizer);
    },
  };
}

interface Bound {
  worker: EngineWorker;
  model: LoadedDescription;
}

/** Loads on the current worker; a worker lost mid-load is replaced and the load retried there. */
async function loadOnWorker(slot: EngineWorkerSlot, name: string, spec: ModelSpec, device: LoadContext['device'], config: () => EngineConfig, ctx: Pick<LoadContext, 'signal' | 'onProgress'>): Promise<Bound> {
  for (;;) {
    const worker = await slot.current(ctx.signal);
    try {
      const port = await requestPort(worker.api.load(name, spec, device, config()), worker.lost, ctx.signal);
      const reader = portStream<EngineLoadMessage>(port).getReader();
      try {
        for (;;) {
          const m = await nextMessage<Exclude<EngineLoadMessage, { type: 'error' }>>(reader, worker.lost, ctx.signal);
          if (!m) throw new ServiceUnavailableError(`The engine worker ended the load of '${spec.id}' without a model.`);
          if (m.type === 'progress') ctx.onProgress(m.progress);
          else return { worker, model: m.model };
        }
      } finally {
        void reader.cancel().catch(() => {});
      }
    } catch (err) {
      if (!worker.lost.aborted || ctx.signal.aborted) throw err;
    }
  }
}

/** What a prompt prepared in the worker needs to be prepared again on another worker. */
interface WireOrigin {
  request: PromptRequest;
  wire: WirePrompt;
  generation: number;
}
const ORIGIN = 'engineWorkerPrompt';

class WorkerModel implements LoadedModel {
  readonly id: string;
  readonly device: DeviceKind;
  readonly contextLength: number | null;
  readonly modalities: Modality[];
  readonly defaults: Partial<SamplingParams>;
  readonly storage?: ModelStorage;
  readonly chatTemplate?: string | null;
  readonly nativeGrammar?: boolean;
  readonly task?: ModelTask;
  readonly embedding?: EmbeddingInfo;
  readonly labels?: string[];
  readonly textTokenizer?: ModelTokenizer;
  tokenVocabulary?: () => Promise<TokenVocabulary>;
  embed?: (inputs: number[][], signal: AbortSignal) => Promise<Float32Array[]>;
  classify?: (inputs: ClassifyInput[], signal: AbortSignal) => Promise<number[][]>;
  /** Where it runs, for stats: the engine worker, with this many CPU threads. */
  readonly threads: number;
  private reloading: Promise<Bound> | null = null;
  private vocabulary: Promise<TokenVocabulary> | null = null;
  private unloaded = false;

  constructor(
    spec: ModelSpec,
    readonly engine: string,
    private bound: Bound,
    private readonly reload: (device: DeviceKind, signal: AbortSignal) => Promise<Bound>,
    tokenizer: ModelTokenizer | null,
  ) {
    const d = bound.model;
    this.id = spec.id;
    this.device = d.device;
    this.contextLength = d.contextLength;
    this.modalities = d.modalities;
    this.defaults = d.defaults;
    this.threads = d.threads;
    if (d.storage) this.storage = d.storage;
    this.chatTemplate = d.chatTemplate;
    if (d.nativeGrammar) this.nativeGrammar = true;
    if (d.task) this.task = d.task;
    if (d.embedding) this.embedding = d.embedding;
    if (d.labels) this.labels = d.labels;
    if (tokenizer) this.textTokenizer = tokenizer;
    // Optional capabilities exist only where the worker's model has them (core tests for them).
    if (d.has.tokenVocabulary) {
      this.tokenVocabulary = () => (this.vocabulary ??= this.call(new AbortController().signal, (api, h) => api.tokenVocabulary(h)).catch((err) => {
        this.vocabulary = null;
        throw err;
      }));
    }
    if (d.has.embed) this.embed = (inputs, signal) => this.call(signal, (api, h) => api.embed(h, inputs));
    if (d.has.classify) this.classify = (inputs, signal) => this.call(signal, (api, h) => api.classify(h, inputs));
  }

  prepareChat(input: PromptInput): Promise<PreparedPrompt> {
    return this.prepare({ kind: 'chat', input });
  }

  prepareText(text: string): Promise<PreparedPrompt> {
    return this.prepare({ kind: 'text', text });
  }

  async *generate(prompt: PreparedPrompt, options: GenerateOptions, signal: AbortSignal): AsyncGenerator<GeneratedToken> {
    const { tokenMask, ...wireOptions } = options;
    for (let attempt = 1; ; attempt++) {
      const { worker, model } = await this.current(signal);
      let sent = 0;
      let reader: ReadableStreamDefaultReader<EngineTokenMessage> | null = null;
      try {
        const wire = await this.wirePrompt(prompt, signal);
        let mask: MessagePort | undefined;
        if (tokenMask) {
          const channel = new MessageChannel();
          serveMask(channel.port1, tokenMask);
          mask = Comlink.transfer(channel.port2, [channel.port2]);
        }
        const port = await requestPort(worker.api.generate(model.handle, wire, wireOptions, mask), worker.lost, signal);
        reader = portStream<EngineTokenMessage>(port).getReader();
        for (;;) {
          const m = await nextMessage<Extract<EngineTokenMessage, { type: 'chunks' }>>(reader, worker.lost, signal);
          if (!m) return;
          for (const token of m.chunks) {
            sent++;
            yield token;
          }
        }
      } catch (err) {
        if (!worker.lost.aborted || signal.aborted || isAbort(err)) throw err;
        // Nothing reached the caller yet: the same request runs again on the next tab's worker.
        if (sent === 0 && attempt === 1) continue;
        throw new ServiceUnavailableError(`The tab that ran model '${this.id}' was closed after ${sent} generated tokens; retry the request.`, { code: 'engine_worker_lost' });
      } finally {
        // Leaving early (abort, a stop string, an error) stops the engine in the worker.
        void reader?.cancel().catch(() => {});
      }
    }
  }

  async unload(): Promise<void> {
    this.unloaded = true;
    const { worker, model } = this.bound;
    if (!worker.lost.aborted) await untilLost(worker.api.unload(model.handle), worker.lost).catch(() => {});
  }

  private async prepare(request: PromptRequest): Promise<PreparedPrompt> {
    const signal = new AbortController().signal;
    const { wire, generation } = await this.callWith(signal, async (api, handle, worker) => ({ wire: await api.prepare(handle, request), generation: worker.generation }));
    const origin: WireOrigin = { request, wire, generation };
    // Engine-private inputs stay in the worker; the prompt carries how to find (or remake) them.
    return { tokenIds: wire.tokenIds, text: wire.text, ...(wire.inputs !== undefined ? { modelInputs: { [ORIGIN]: origin } } : {}) };
  }

  /** The prompt as the current worker knows it: its inputs prepared again after a handover. */
  private async wirePrompt(prompt: PreparedPrompt, signal: AbortSignal): Promise<WirePrompt> {
    const origin = prompt.modelInputs?.[ORIGIN] as WireOrigin | undefined;
    if (!origin) return { tokenIds: prompt.tokenIds, text: prompt.text };
    if (origin.generation === this.bound.worker.generation) return origin.wire;
    return this.call(signal, (api, handle) => api.prepare(handle, origin.request));
  }

  /** Runs `fn` on the model in the live worker; a worker lost meanwhile is replaced and `fn` run again. */
  private call<T>(signal: AbortSignal, fn: (api: EngineWorker['api'], handle: number) => Promise<T>): Promise<T> {
    return this.callWith(signal, (api, handle) => fn(api, handle));
  }

  private async callWith<T>(signal: AbortSignal, fn: (api: EngineWorker['api'], handle: number, worker: EngineWorker) => Promise<T>): Promise<T> {
    for (;;) {
      const { worker, model } = await this.current(signal);
      try {
        return await untilLost(fn(worker.api, model.handle, worker), worker.lost, signal);
      } catch (err) {
        if (!worker.lost.aborted || signal.aborted) throw err;
      }
    }
  }

  /** The model in a live worker: loaded again (on the tab that took over) after a handover. */
  private async current(signal: AbortSignal): Promise<Bound> {
    if (this.unloaded) throw new ServiceUnavailableError(`Model '${this.id}' was unloaded.`, { code: 'model_not_loaded' });
    if (!this.bound.worker.lost.aborted) return this.bound;
    this.reloading ??= this.reload(this.device, new AbortController().signal).then(
      (bound) => { this.bound = bound; this.reloading = null; return bound; },
      (err) => { this.reloading = null; throw err; },
    );
    return untilLost(this.reloading, new AbortController().signal, signal);
  }
}
