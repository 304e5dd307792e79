import type { Wllama } from '@wllama/wllama';
import { AbortError } from '../core/abort.js';
import { IncrementalDetokenizer } from '../core/detokenizer.js';
import type { Engine, GenerateOptions, GeneratedToken, GrammarConstraint, ModelTokenizer, LoadContext, LoadedModel, ModelSpec, PreparedPrompt, PromptInput, SamplingParams } from '../core/engine.js';
import { BadRequestError, InternalServerError } from '../protocol/errors.js';
import type { DeviceKind, Modality } from '../protocol/models.js';
import { readGgufMetadata, metaNumber, metaString, type GgufMetadata } from './gguf/header.js';
import { completionBody, toTokenEvents, type WllamaChunk } from './gguf/request.js';
import { constraintToGbnf, GbnfError } from './gguf/gbnf.js';
import { checkRanker, embeddingPooling, GgufEncoderModel } from './gguf/encoder.js';
import { constraintKey } from '../core/grammar/constraint.js';
import { ggufUrl } from './gguf/source.js';
import { addsBos, tokenizerFromGguf } from './gguf/tokenizer.js';
import { renderChatTemplate } from './hf-chat.js';
import { modelTokenizer } from './transformers-tokenizer.js';
import { pickDevice } from './transformers.js';
import type { PreTrainedTokenizer } from '@huggingface/transformers';

/**
 * GGUF models (llama.cpp) through @wllama/wllama: a hub repo and file
 * (`register({ id, engine: 'gguf', repo, file })`), or a self-hosted URL (`baseUrl` of the
 * file, or of its folder plus `file`); split GGUFs by their first shard's URL.
 *
 * wllama 3.x runs llama.cpp's server loop in WASM and exposes only OpenAI-shaped
 * completions (no per-step logits), so llama.cpp samples: every request parameter is
 * mapped onto its sampler chain with core's meaning (see gguf/request.ts), and each
 * token's id and logprob come from its `n_probs` report. The prompt is rendered and
 * tokenized here from the GGUF's own vocabulary and chat template, so core sees the same
 * token counts and prompt text as llama.cpp. Constraints (response_format, forced tool
 * calls) go to llama.cpp's grammar sampler as GBNF (gguf/gbnf.ts). A GGUF that declares a
 * pooling is an embedding model, or with rank pooling a cross-encoder (gguf/encoder.ts).
 *
 * Placement: wllama runs llama.cpp in a worker of its own, which a SharedWorker cannot
 * start (Chrome has no nested workers there): the SharedWorker host runs this engine in a
 * tab's engine worker (src/host/placement/); a dedicated-worker host runs it itself.
 * Threads need cross-origin isolation.
 */

export interface GgufEngineOptions {
  /** URL of wllama's `wllama.wasm` (default '/wllama/wllama.wasm', copied there by scripts/gen-models.mjs). */
  wasmPath?: string;
  /** Hub mirror; default https://huggingface.co/. */
  hubUrl?: string;
}

interface GgufModelOptions {
  file?: string;
  /** Context to allocate (default: the model's, capped at 4096). */
  n_ctx?: number;
  /** Threads for the CPU build (default: half the cores when cross-origin isolated, else 1). */
  n_threads?: number;
}

export function createGgufEngine(options: GgufEngineOptions = {}): Engine {
  return {
    name: 'gguf',
    capabilities: { modalities: ['text'], chatTemplate: false, logits: false, grammar: true, embeddings: true },
    async load(spec, ctx) {
      if (typeof Worker === 'undefined') {
        throw new BadRequestError(
          `Model '${spec.id}' (GGUF) cannot run in this engine host: llama.cpp (wllama) starts a worker of its own, which a SharedWorker cannot. Use a dedicated-worker host: createClient({ shared: false }).`,
          { param: 'model', code: 'engine_unavailable_in_shared_worker' },
        );
      }
      const opts = (spec.options ?? {}) as GgufModelOptions;
      const url = ggufUrl(spec, options.hubUrl);
      const { device } = await pickDevice(ctx.device);
      const { Wllama } = await import('@wllama/wllama');
      const log = nativeLog();
      const wllama = new Wllama({ default: absolute(options.wasmPath ?? '/wllama/wllama.wasm') }, { logger: log.logger });
      wllama.setCompat(null); // never the CDN build
      const aborted = () => { if (ctx.signal.aborted) throw new AbortError('Load aborted'); };
      try {
        const model = await wllama.modelManager.getModelOrDownload({ url }, {
          signal: ctx.signal,
          progressCallback: ({ loaded, total }) => {
            aborted();
            ctx.onProgress({ model: spec.id, phase: 'download', progress: total > 0 ? loaded / total : null, loaded, total, file: url, text: `Downloading ${url}` });
          },
        });
        aborted();
        const blobs = await model.open();
        const meta = await firstShardMetadata(blobs);
        const tokenizer = tokenizerFromGguf(meta, spec.id);
        const arch = metaString(meta, 'general.architecture') ?? '';
        const trained = metaNumber(meta, `${arch}.context_length`);
        const nCtx = opts.n_ctx ?? spec.contextLength ?? Math.min(trained ?? 4096, 4096);
        const threads = opts.n_threads ?? (globalThis.crossOriginIsolated ? Math.max(1, Math.floor((navigator.hardwareConcurrency || 2) / 2)) : 1);
        ctx.onProgress({ model: spec.id, phase: 'init', progress: 1, loaded: null, total: null, file: null, text: 'Initializing' });
        const pooling = embeddingPooling(meta);
        if (pooling?.ours === 'rank') checkRanker(meta, spec.id);
        await wllama.loadModel(blobs, {
          n_ctx: nCtx, n_threads: threads, n_gpu_layers: device === 'webgpu' ? 99999 : 0,
          // An embedding GGUF: the whole input in one batch, pooled as it declares.
          ...(pooling ? { embeddings: true, pooling_type: pooling.wllama, n_batch: nCtx, n_ubatch: nCtx } : {}),
        });
        aborted();
        // ggml-webgpu skips adapters it cannot use without a word (SwiftShader's, here): say where the model really runs.
        const ran: DeviceKind = device === 'webgpu' && log.gpuLayers() > 0 ? 'webgpu' : 'wasm';
        if (ctx.device === 'webgpu' && ran !== 'webgpu') {
          throw new BadRequestError(`Model '${spec.id}': llama.cpp's WebGPU backend cannot use this browser's adapter; load it with device 'wasm'.`, { param: 'device', code: 'webgpu_unavailable' });
        }
        if (pooling) return new GgufEncoderModel(spec, wllama, tokenizer, pooling.ours, ran, nCtx);
        return new GgufModel(spec, wllama, meta, tokenizer, ran, nCtx, log);
      } catch (err) {
        await wllama.exit().catch(() => undefined);
        throw loadError(err, spec, url, log.take());
      }
    },
  };
}

/** The metadata of a model's first shard (split.no 0), which holds the vocabulary. */
async function firstShardMetadata(blobs: Blob[]): Promise<GgufMetadata> {
  let first: GgufMetadata | null = null;
  for (const blob of blobs) {
    const meta = await readGgufMetadata(blob);
    first ??= meta;
    if ((metaNumber(meta, 'split.no') ?? 0) === 0) return meta;
  }
  return first!;
}

function absolute(url: string): string {
  return new URL(url, globalThis.location?.href).href;
}

function loadError(err: unknown, spec: ModelSpec, url: string, native: string | null): unknown {
  if (err instanceof BadRequestError || (err as Error)?.name === 'AbortError') return err;
  const message = native ?? (err as Error)?.message ?? String(err);
  if (/download|fetch|HTTP|status/i.test(message)) {
    return new BadRequestError(`Model '${spec.id}': could not download ${url}: ${message}`, { param: 'model', code: 'model_download_failed' });
  }
  return new BadRequestError(`Model '${spec.id}': llama.cpp could not load ${url}: ${message}`, { param: 'model', code: 'invalid_model_file' });
}

/**
 * wllama's logger, kept quiet but for what llama.cpp's log says and its API does not: the
 * last error line (when llama.cpp throws, wllama 3.13 reports only "Invalid typed array
 * length: 1163217991": its worker reads the request's 'GLUE' magic as the reply's length)
 * and how many layers went to the GPU.
 */
function nativeLog() {
  let last: string | null = null;
  let gpuLayers = 0;
  const line = (args: unknown[]) => args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' ');
  const quiet = () => undefined;
  return {
    logger: {
      debug: (...args: unknown[]) => {
        const m = /offloaded (\d+)\/\d+ layers to GPU/.exec(line(args));
        if (m) gpuLayers = Number(m[1]);
      },
      log: quiet,
      warn: quiet,
      error: (...args: unknown[]) => {
        const text = line(args);
        if (text && text !== '{}' && !text.startsWith('Stack trace')) last = text;
      },
    },
    /** The last error line since the previous take(). */
    take(): string | null {
      const text = last;
      last = null;
      return text;
    },
    gpuLayers: () => gpuLayers,
  };
}
type NativeLog = ReturnType<typeof nativeLog>;

export class GgufModel implements LoadedModel {
  readonly engine = 'gguf';
  readonly id: string;
  readonly modalities: Modality[] = ['text'];
  readonly defaults: Partial<SamplingParams> = {};
  readonly chatTemplate: string | null;
  /** The GGUF's vocabulary (/tokenize, token counts). */
  readonly textTokenizer: ModelTokenizer;
  /** llama.cpp enforces grammars itself (GBNF, translated from core's constraint). */
  readonly nativeGrammar = true;
  private readonly grammars = new Map<string, Promise<string>>();
  private readonly eogIds: number[];
  /** llama.cpp's token count (the logits row). */
  private readonly vocabSize: number;
  private readonly bosId: number | null;

  constructor(
    spec: ModelSpec,
    private readonly wllama: Wllama,
    meta: GgufMetadata,
    private readonly tokenizer: PreTrainedTokenizer,
    readonly device: DeviceKind,
    readonly contextLength: number,
    private readonly native: NativeLog,
  ) {
    this.id = spec.id;
    this.chatTemplate = metaString(meta, 'tokenizer.chat_template');
    this.textTokenizer = modelTokenizer(tokenizer);
    this.eogIds = wllama.getLoadedContextInfo().list_tokens_eog ?? [];
    this.vocabSize = wllama.getLoadedContextInfo().n_vocab;
    this.bosId = addsBos(meta) ? metaNumber(meta, 'tokenizer.ggml.bos_token_id') : null;
  }

  async prepareChat(input: PromptInput): Promise<PreparedPrompt> {
    if (!this.chatTemplate) {
      throw new BadRequestError(`Model '${this.id}' has no chat template in its GGUF; use the completions endpoint.`, { param: 'model' });
    }
    return this.prepareText(renderChatTemplate(this.tokenizer, input));
  }

  async prepareText(text: string): Promise<PreparedPrompt> {
    // As llama.cpp tokenizes the prompt: BOS when the GGUF asks for it, special tokens parsed.
    const ids = this.tokenizer.encode(text, { add_special_tokens: false });
    return { text, tokenIds: this.bosId === null ? ids : [this.bosId, ...ids] };
  }

  async *generate(prompt: PreparedPrompt, options: GenerateOptions, signal: AbortSignal): AsyncGenerator<GeneratedToken> {
    const body = completionBody(prompt.text, options, this.contextLength, this.vocabSize);
    if (options.grammar) body.grammar = await this.gbnf(options.grammar);
    const detokenizer = new IncrementalDetokenizer((ids) => this.tokenizer.decode(ids, { skip_special_tokens: true }));
    const tokenText = (id: number) => this.tokenizer.decode([id], { skip_special_tokens: false });
    const wantText = options.topLogprobs !== null;
    const inner = new AbortController();
    const stop = AbortSignal.any([signal, inner.signal]);
    let chunks: AsyncIterable<WllamaChunk>;
    this.native.take();
    try {
      chunks = (await this.wllama.createCompletion({ ...body, stream: true, abortSignal: stop } as never)) as unknown as AsyncIterable<WllamaChunk>;
    } catch (err) {
      throw generationError(err, this.native.take());
    }
    // Reported with the first token (core reads it from there).
    let reported = false;
    try {
      for await (const chunk of chunks) {
        for (const event of toTokenEvents(chunk, this.eogIds)) {
          const isEos = event.isEos;
          const cached = !reported && typeof chunk.timings?.cache_n === 'number' ? { cachedTokens: chunk.timings.cache_n } : {};
          reported = true;
          yield {
            id: event.id,
            text: isEos ? detokenizer.flush() : detokenizer.push(event.id),
            tokenText: wantText ? tokenText(event.id) : '',
            isEos,
            ...(event.logprob === undefined || options.topLogprobs === null ? {} : { logprob: event.logprob }),
            ...(event.top && options.topLogprobs ? { top: event.top.slice(0, options.topLogprobs).map((t) => ({ ...t, text: tokenText(t.id) })) } : {}),
            ...cached,
          };
          if (isEos) return;
        }
      }
    } catch (err) {
      if (stop.aborted) return;
      throw generationError(err, this.native.take());
    } finally {
      // wllama cancels the llama.cpp request when its loop sees the signal; leaving early must too.
      inner.abort();
    }
  }

  /** The GBNF of a constraint, cached (the n choices of a request, repeated schemas). */
  private gbnf(c: GrammarConstraint): Promise<string> {
    const key = constraintKey(c);
    let hit = this.grammars.get(key);
    if (!hit) {
      hit = constraintToGbnf(c).catch((err) => {
        this.grammars.delete(key);
        if (err instanceof GbnfError) throw new BadRequestError(`Model '${this.id}' (llama.cpp) cannot enforce this constraint: ${err.message}.`, { param: 'response_format', code: 'unsupported_grammar' });
        throw err;
      });
      this.grammars.set(key, hit);
      if (this.grammars.size > 32) this.grammars.delete(this.grammars.keys().next().value!);
    }
    return hit;
  }

  async unload(): Promise<void> {
    await this.wllama.exit();
  }
}

function generationError(err: unknown, native: string | null): unknown {
  if ((err as Error)?.name === 'AbortError') return err;
  const message = native ?? (err as Error)?.message ?? String(err);
  return new InternalServerError(`llama.cpp (wllama) failed: ${message}`);
}
