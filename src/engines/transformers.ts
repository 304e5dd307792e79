import {
  AutoConfig,
  AutoModelForCausalLM,
  AutoTokenizer,
  LogitsProcessor,
  ModelRegistry,
  StoppingCriteria,
  Tensor,
  env,
  type PreTrainedModel,
  type PreTrainedTokenizer,
} from '@huggingface/transformers';
import { Channel } from '../core/channel.js';
import { IncrementalDetokenizer } from '../core/detokenizer.js';
import type {
  Engine,
  GenerateOptions,
  GeneratedToken,
  LoadContext,
  LoadedModel,
  ModelSpec,
  ModelTokenizer,
  PreparedPrompt,
  PromptInput,
  SamplingParams,
  TokenVocabulary,
} from '../core/engine.js';
import { createRng } from '../core/rng.js';
import { nextTask } from '../core/tasks.js';
import { Sampler } from '../core/sampling.js';
import { BadRequestError } from '../protocol/errors.js';
import type { DeviceKind, LoadProgress, Modality } from '../protocol/models.js';
import { renderChatTemplate } from './hf-chat.js';
import { encoderTask, loadEncoderModel } from './transformers-encoders.js';
import { modelTokenizer } from './transformers-tokenizer.js';
import { encodeCooperatively } from './transformers/cooperative-encode.js';
import type { PrefixCache, PrefixCacheLimits } from '../core/prefix-cache.js';
import { chooseThreads } from '../core/threads.js';
import { createKvCache, kvBytes, kvLength, prefillBlocks, reusable, supportsPrefixCache, type KvState } from './transformers-kv.js';
import { DTYPE_SUFFIX, dtypeCandidates, dtypeFor, prefillBlock, prefixCacheLimits } from './dtype-choice.js';
import { withLoadErrors } from './transformers/load-errors.js';
import { recordCacheWrites, withCacheReport } from './transformers/cache-writes.js';

/**
 * transformers.js (ONNX Runtime Web): ONNX chat models from the Hugging Face hub or any
 * base URL, on WebGPU or WASM. transformers.js runs the model and its KV cache; our
 * logits processor does the sampling, so seeds, penalties and logprobs behave as on
 * every other engine.
 */

export interface TransformersEngineOptions {
  /** Where onnxruntime-web's .wasm/.mjs files are served; default: transformers.js's CDN. */
  wasmPaths?: string;
  /** Hub mirror; default https://huggingface.co/. */
  hubUrl?: string;
  /** Cache downloaded files in the Cache API (default true). */
  browserCache?: boolean;
  /** CPU threads for WASM (see core/threads.ts); default every core where threads are possible, else 1. */
  numThreads?: number;
  /** Bounds of the per-model prefix (KV) cache; false disables it. A model's `options.prefixCache` overrides. */
  prefixCache?: Partial<PrefixCacheLimits> | false;
}

const HUB = 'https://huggingface.co/';
const HUB_TEMPLATE = '{model}/resolve/{revision}/';

export function createTransformersEngine(options: TransformersEngineOptions = {}): Engine {
  const wasm = (env.backends.onnx as { wasm?: { wasmPaths?: unknown; numThreads?: number } }).wasm;
  if (wasm && options.wasmPaths) wasm.wasmPaths = options.wasmPaths;
  // onnxruntime-web's own default is half the cores, at most 4 (1 on a 2-core machine).
  if (wasm) wasm.numThreads = chooseThreads(options.numThreads);
  env.useBrowserCache = options.browserCache ?? true;
  recordCacheWrites();
  env.allowLocalModels = false;
  env.allowRemoteModels = true;

  // Every load failure typed (404, 503, 422, 507), never a 500: transformers/load-errors.ts;
  // each load says whether its files were cached: transformers/cache-writes.ts.
  return withCacheReport(withLoadErrors({
    name: 'transformers',
    capabilities: { modalities: ['text'], chatTemplate: false, logits: true, grammar: false, embeddings: true },
    async load(spec, ctx) {
      pointAt(spec, options.hubUrl);
      const { device, f16 } = await pickDevice(ctx.device);
      const progress = progressReporter(spec.id, ctx);
      const common = { revision: spec.source.revision ?? 'main', progress_callback: progress };
      // Image- and audio-text-to-text models (LLaVA, SmolVLM, Qwen2-VL, Ultravox, ...) take the processor path.
      const config = (await AutoConfig.from_pretrained(spec.source.repo, common)) as unknown as Record<string, unknown>;
      const multimodal = await import('./transformers-multimodal.js');
      const kind = multimodal.multimodalKind(config);
      const dtype = dtypeFor(spec, device, f16) ?? (await availableDtype(spec.source.repo, config, device, f16, common));
      const external = kind ? undefined : await detectExternalData(spec.source.repo, config, dtype, common);
      const dtypeOption = dtype ? { dtype: dtype as 'fp32' } : {};
      progress.expect(await fileSizes(spec.source.repo, { config, device, ...dtypeOption, include_processor: kind !== null }, common));
      if (kind) return multimodal.loadMultimodalModel(spec, ctx, kind, { device, common, dtype: dtypeOption });
      // Embedding and sequence-classification models (src/engines/transformers-encoders.ts).
      const encoder = encoderTask(spec, config);
      if (encoder) return loadEncoderModel(spec, ctx, encoder, { device, common, dtype: dtypeOption, config });
      const [tokenizer, model] = await Promise.all([
        AutoTokenizer.from_pretrained(spec.source.repo, common),
        AutoModelForCausalLM.from_pretrained(spec.source.repo, { ...common, device, ...dtypeOption, ...(external ? { use_external_data_format: external } : {}) }),
      ]);
      ctx.onProgress({ model: spec.id, phase: 'init', progress: 1, loaded: null, total: null, file: null, text: 'Initializing' });
      return new TransformersModel(spec, tokenizer, model, device, prefixCacheLimits(spec, options.prefixCache), prefillBlock(dtype));
    },
  }, () => options.hubUrl), () => options.hubUrl);
}

/** transformers.js resolves files through global env: aim it at this model's files. */
function pointAt(spec: ModelSpec, hubUrl = HUB): void {
  const base = spec.source.baseUrl;
  if (!base) {
    env.remoteHost = hubUrl;
    env.remotePathTemplate = HUB_TEMPLATE;
    return;
  }
  const url = new URL(base.endsWith('/') ? base : `${base}/`, globalThis.location?.href);
  env.remoteHost = `${url.origin}/`;
  env.remotePathTemplate = url.pathname.replace(/^\//, '');
}

interface GpuAdapterLike {
  features: { has(name: string): boolean };
}

export async function pickDevice(wanted: LoadContext['device']): Promise<{ device: DeviceKind; f16: boolean }> {
  if (wanted === 'wasm') return { device: 'wasm', f16: false };
  const gpu = (globalThis.navigator as Navigator & { gpu?: { requestAdapter(): Promise<GpuAdapterLike | null> } })?.gpu;
  const adapter = gpu ? await gpu.requestAdapter().catch(() => null) : null;
  if (adapter) return { device: 'webgpu', f16: adapter.features.has('shader-f16') };
  if (wanted === 'webgpu') {
    throw new BadRequestError('WebGPU was requested but this browser offers no WebGPU adapter.', {
      param: 'device',
      code: 'webgpu_unavailable',
    });
  }
  return { device: 'wasm', f16: false };
}

async function availableDtype(repo: string, config: unknown, device: DeviceKind, f16: boolean, common: { revision: string }): Promise<string | undefined> {
  try {
    const available = await ModelRegistry.get_available_dtypes(repo, { config: config as never, revision: common.revision });
    // A single-page app's server answers a missing file with its index.html (200): such a
    // "file" is not a model, so the next candidate is taken.
    for (const dtype of dtypeCandidates(available, device, f16)) {
      const meta = await ModelRegistry.get_file_metadata(repo, `onnx/model${DTYPE_SUFFIX[dtype] ?? ''}.onnx`, common);
      if (!meta.contentType?.startsWith('text/html')) return dtype;
    }
    return undefined;
  } catch {
    // Unreachable or odd folder: leave the choice to transformers.js, whose own load reports the error.
    return undefined;
  }
}

/**
 * A standard export of a large model keeps its weights in `model.onnx_data` next to
 * `model.onnx`; transformers.js only fetches that when config.json says so
 * (`transformers.js_config.use_external_data_format`). When it does not, look for the data
 * files: the load gets them as its `use_external_data_format` option.
 */
async function detectExternalData(repo: string, config: Record<string, unknown>, dtype: string | undefined, common: { revision: string }): Promise<Record<string, number> | undefined> {
  const custom = (config['transformers.js_config'] ?? {}) as Record<string, unknown>;
  if (custom.use_external_data_format !== undefined) return undefined;
  const suffix = dtype && dtype !== 'fp32' ? DTYPE_SUFFIX[dtype] : '';
  if (suffix === undefined) return undefined;
  const file = `model${suffix}.onnx`;
  let chunks = 0;
  // model.onnx_data, model.onnx_data_1, ... (transformers.js's chunk names).
  while (chunks < 16) {
    const name = `onnx/${file}_data${chunks === 0 ? '' : `_${chunks}`}`;
    const meta = await ModelRegistry.get_file_metadata(repo, name, common).catch(() => ({ exists: false }));
    if (!meta.exists) break;
    chunks++;
  }
  if (chunks === 0) return undefined;
  const external = { [file]: chunks };
  // The file list behind the progress totals reads it from the config.
  config['transformers.js_config'] = { ...custom, use_external_data_format: external };
  return external;
}

/**
 * Every file the load will fetch, with its size, before the downloads start (small
 * ranged requests, or the cache): so the progress total is the whole model's from the
 * first event instead of growing file by file. Empty when that cannot be known; then
 * the total grows as files start, as before.
 */
async function fileSizes(repo: string, options: Record<string, unknown>, common: { revision: string }): Promise<Map<string, number>> {
  const sizes = new Map<string, number>();
  try {
    const files = await ModelRegistry.get_files(repo, options as never);
    const meta = await Promise.all(files.map((file) => ModelRegistry.get_file_metadata(repo, file, common)));
    meta.forEach((m, i) => {
      if (m.exists && m.size !== undefined) sizes.set(files[i]!, m.size);
    });
  } catch {
    sizes.clear();
  }
  return sizes;
}

/**
 * Sums transformers.js's per-file byte events into one progress stream. Until `expect()`
 * says which files the load needs, events only update the sums (the config is fetched
 * first, to learn which files those are); after it, every event carries the total.
 */
export function progressReporter(model: string, ctx: LoadContext) {
  const files = new Map<string, { loaded: number; total: number }>();
  let expecting = false;
  const emit = (file: string) => {
    let loaded = 0;
    let total = 0;
    for (const f of files.values()) { loaded += f.loaded; total += f.total; }
    const p: LoadProgress = {
      model,
      phase: 'download',
      progress: total > 0 ? Math.min(1, loaded / total) : null,
      loaded,
      total,
      file,
      text: `Downloading ${file}`,
    };
    ctx.onProgress(p);
  };
  const report = (event: { status: string; file?: string; loaded?: number; total?: number }) => {
    if (ctx.signal.aborted) throw new DOMException('Load aborted', 'AbortError');
    if (event.status !== 'progress' || !event.file) return;
    files.set(event.file, { loaded: event.loaded ?? 0, total: event.total ?? 0 });
    if (expecting) emit(event.file);
  };
  /** The files this load will fetch and their sizes (those already seen keep their state). */
  report.expect = (sizes: ReadonlyMap<string, number>) => {
    for (const [file, size] of sizes) if (!files.has(file)) files.set(file, { loaded: 0, total: size });
    expecting = true;
    const last = [...files.keys()].at(-1);
    if (last) emit(last);
  };
  return report;
}

export class TransformersModel implements LoadedModel {
  readonly engine = 'transformers';
  readonly id: string;
  readonly contextLength: number | null;
  readonly modalities: Modality[] = ['text'];
  readonly defaults: Partial<SamplingParams>;
  readonly chatTemplate: string | null;
  readonly textTokenizer: ModelTokenizer;
  private readonly eosIds: number[];
  /** Runs while each forward pass is in flight (a grammar's next token mask). */
  private stepHook: (() => Promise<void>) | null = null;
  private vocabulary: TokenVocabulary | null = null;
  /** KV states of recent sequences (null: disabled, or a model whose cache cannot be cut back). */
  private readonly kv: PrefixCache<KvState> | null;
  /** Positions per prefill pass (0: the whole prompt in one), see dtype-choice.ts's prefillBlock. */
  private readonly block: number;

  constructor(
    spec: ModelSpec,
    protected readonly tokenizer: PreTrainedTokenizer,
    protected readonly model: PreTrainedModel,
    readonly device: DeviceKind,
    prefixCache: PrefixCacheLimits | null = null,
    block = 0,
  ) {
    this.id = spec.id;
    this.textTokenizer = modelTokenizer(tokenizer);
    const plainKv = supportsPrefixCache(model);
    this.kv = prefixCache && plainKv ? createKvCache(prefixCache) : null;
    // Blocks need a state to carry between passes; the same with the cache on or off.
    this.block = plainKv ? block : 0;
    const config = model.config as unknown as Record<string, unknown>;
    const textConfig = (config.text_config ?? {}) as Record<string, unknown>;
    this.contextLength = spec.contextLength ?? ((config.max_position_embeddings ?? textConfig.max_position_embeddings) as number | undefined) ?? null;
    const gen = (model.generation_config ?? {}) as Record<string, unknown>;
    this.defaults = samplingDefaults(gen);
    const eos = gen.eos_token_id ?? config.eos_token_id ?? tokenizer.eos_token_id;
    this.eosIds = (Array.isArray(eos) ? eos : eos == null ? [] : [eos]).map(Number);
    const template = tokenizer.chat_template as unknown;
    this.chatTemplate = typeof template === 'string' ? template : template && typeof template === 'object' ? Object.values(template).join('\n') : null;
    // One macrotask per decoding step, so chunks stream out and cancels get in (see nextTask).
    const forward = model.forward.bind(model);
    model.forward = async (inputs: unknown) => {
      await nextTask();
      const hook = this.stepHook;
      if (!hook) return forward(inputs as never);
      // The grammar's mask for this step is computed while the model runs.
      const outputs = forward(inputs as never);
      outputs.catch(() => undefined);
      await hook();
      return outputs;
    };
  }

  /** The vocabulary for core's grammar engine: token strings by id, specials blanked. */
  tokenVocabulary(): TokenVocabulary {
    this.vocabulary ??= vocabularyOf(this.tokenizer, this.model, this.eosIds);
    return this.vocabulary;
  }

  async prepareChat(input: PromptInput): Promise<PreparedPrompt> {
    if (!this.tokenizer.chat_template) {
      throw new BadRequestError(`Model '${this.id}' has no chat template; use the completions endpoint.`, { param: 'model' });
    }
    return this.prepareText(renderChatTemplate(this.tokenizer, input));
  }

  async prepareText(text: string): Promise<PreparedPrompt> {
    // The template already holds the special tokens (BOS etc.): add none (HF semantics).
    const tokenIds = await encodeCooperatively(this.tokenizer, text);
    return { text, tokenIds };
  }

  async *generate(prompt: PreparedPrompt, options: GenerateOptions, signal: AbortSignal): AsyncGenerator<GeneratedToken> {
    const tokens = new Channel<GeneratedToken>();
    const sampler = new Sampler({
      params: options.sampling,
      rng: createRng(options.seed),
      eosIds: this.eosIds,
      minTokens: options.minTokens,
      ignoreEos: options.ignoreEos,
      topLogprobs: options.topLogprobs,
      promptIds: prompt.tokenIds,
    });
    const detokenizer = new IncrementalDetokenizer((ids) => this.tokenizer.decode(ids, { skip_special_tokens: true }));
    const tokenText = (id: number) => this.tokenizer.decode([id], { skip_special_tokens: false });
    const wantTokenText = options.topLogprobs !== null;
    let stop = false;
    /** Prompt tokens that came from the prefix cache; reported with the first token. */
    let cachedTokens: number | undefined;
    const cached = () => {
      const n = cachedTokens;
      cachedTokens = undefined;
      return n === undefined ? {} : { cachedTokens: n };
    };
    // A grammar (response_format, a forced tool call): its mask for each step is computed
    // in the forward wrapper (xgrammar's mask is async), applied here synchronously.
    const mask = options.tokenMask ? await options.tokenMask.create() : null;
    let allowed: Int32Array | null = null;

    const processor = new (class extends LogitsProcessor {
      override _call(_ids: bigint[][], logits: Tensor): Tensor {
        const row = logits.data as Float32Array;
        const picked = sampler.sample(row, allowed);
        if (mask && !mask.accept(picked.id)) stop = true;
        // Hand the choice back to transformers.js's greedy loop.
        row.fill(-Infinity);
        row[picked.id] = 0;
        const isEos = eosIds.includes(picked.id);
        if (isEos) stop = true;
        tokens.push({
          id: picked.id,
          text: isEos ? detokenizer.flush() : detokenizer.push(picked.id),
          tokenText: wantTokenText ? tokenText(picked.id) : '',
          isEos,
          ...cached(),
          ...(picked.logprob === undefined ? {} : { logprob: picked.logprob }),
          ...(picked.top ? { top: picked.top.map((t) => ({ ...t, text: tokenText(t.id) })) } : {}),
        });
        return logits;
      }
    })();
    const eosIds = this.eosIds;
    const criteria = new (class extends StoppingCriteria {
      override _call(ids: unknown[]): boolean[] {
        return ids.map(() => stop || signal.aborted);
      }
    })();

    const ids = prompt.tokenIds;
    const input_ids = new Tensor('int64', BigInt64Array.from(ids, (id) => BigInt(id)), [1, ids.length]);
    const attention_mask = new Tensor('int64', new BigInt64Array(ids.length).fill(1n), [1, ids.length]);
    // Media inputs make equal token ids mean different things: no prefix cache for them.
    const kv = prompt.modelInputs ? null : this.kv;
    const block = prompt.modelInputs ? 0 : this.block;
    const reuse = kv ? await reuseFrom(kv, ids, block || 1) : null;
    // Only engines that keep a prefix cache report it (0 on a miss).
    cachedTokens = kv ? (reuse?.tokens ?? 0) : undefined;
    // Blocked prefill: every whole block before the last runs here, generate() runs the last.
    // (After the mask is built: a mask that fails must not have consumed a cached state.)
    let past = reuse?.cache ?? null;
    if (block) {
      try {
        past = await prefillBlocks(this.model, ids, past, reuse?.tokens ?? 0, lastBlockStart(ids.length, block), block, signal);
      } catch (err) {
        mask?.dispose();
        throw err;
      }
      if (!past && signal.aborted) {
        mask?.dispose();
        return;
      }
    }
    this.stepHook = mask ? async () => { allowed = await mask.next(); } : null;
    const done = this.model
      .generate({
        // Engine-private inputs that go with the tokens (a vision model's pixel_values, ...).
        ...prompt.modelInputs,
        input_ids,
        attention_mask,
        // The cached prefix: transformers.js runs only the tokens after it.
        ...(past ? { past_key_values: past } : {}),
        // Everything transformers.js would do to the logits, our sampler already did.
        generation_config: {
          do_sample: false,
          max_new_tokens: options.maxTokens,
          eos_token_id: null,
          repetition_penalty: null,
          no_repeat_ngram_size: null,
          bad_words_ids: null,
          min_length: null,
          min_new_tokens: null,
          forced_bos_token_id: null,
          forced_eos_token_id: null,
          suppress_tokens: null,
          begin_suppress_tokens: null,
          guidance_scale: null,
          // Hands back the KV state for the prefix cache.
          return_dict_in_generate: kv !== null,
        } as never,
        logits_processor: [processor] as never,
        stopping_criteria: [criteria] as never,
      } as never)
      .then(
        (out: unknown) => {
          // Blocked: what later requests may reuse is the prompt's whole blocks.
          if (kv) keep(kv, out as GenerateOutput, block ? ids.length - (ids.length % block) : Infinity);
          tokens.close();
        },
        (err: unknown) => tokens.fail(err),
      );
    try {
      for await (const token of tokens) {
        yield token;
        if (token.isEos) break;
      }
    } finally {
      // Stop at the next step and hand back only once the engine is idle again.
      stop = true;
      await done;
      this.stepHook = null;
      mask?.dispose();
    }
  }

  async unload(): Promise<void> {
    await this.kv?.clear();
    await this.model.dispose();
  }
}

interface GenerateOutput {
  sequences?: Tensor;
  past_key_values?: KvState;
}

/** The cached state to start from: the longest common prefix with a kept sequence, in whole blocks of `align`. */
async function reuseFrom(kv: PrefixCache<KvState>, ids: number[], align: number): Promise<{ cache: KvState; tokens: number } | null> {
  const match = kv.match(ids, align);
  if (!match) return null;
  const { cache, consumed } = await reusable(match.entry.state, match.reuse);
  if (consumed) kv.take(match.entry);
  return { cache, tokens: match.reuse };
}

/**
 * Keeps a finished generation's KV state with the ids it covers (prompt and output, less
 * the last sampled token); `exact` of its positions may be reused.
 */
function keep(kv: PrefixCache<KvState>, out: GenerateOutput, exact: number): void {
  const state = out?.past_key_values;
  if (!state || !out.sequences) return;
  const length = kvLength(state);
  const ids = Array.from((out.sequences.data as BigInt64Array).subarray(0, length), Number);
  kv.put(ids, state, kvBytes(state), Math.min(exact, length));
}

/** Where the prompt's last prefill block starts: it holds 1 to `block` positions. */
function lastBlockStart(length: number, block: number): number {
  return Math.floor((length - 1) / block) * block;
}

/**
 * xgrammar's view of a transformers.js tokenizer: the raw token strings by id (special
 * tokens blanked, so a grammar never lets the model write them), and how they decode.
 */
function vocabularyOf(tokenizer: PreTrainedTokenizer, model: PreTrainedModel, eosIds: number[]): TokenVocabulary {
  const byToken = tokenizer.get_vocab() as Map<string, number>;
  const special = new Set<number>((tokenizer as unknown as { all_special_ids?: number[] }).all_special_ids ?? []);
  const config = model.config as unknown as Record<string, unknown>;
  const textConfig = (config.text_config ?? {}) as Record<string, unknown>;
  let size = 0;
  for (const id of byToken.values()) size = Math.max(size, id + 1);
  const vocabSize = Math.max(size, Number(config.vocab_size ?? textConfig.vocab_size ?? 0));
  const tokens = new Array<string>(vocabSize).fill('');
  for (const [token, id] of byToken) if (!special.has(id)) tokens[id] = token;
  const raw = (tokenizer as unknown as { _tokenizer?: { tokenizer?: { decoder?: DecoderConfig } } })._tokenizer?.tokenizer?.decoder;
  return { tokens, vocabSize, stopTokenIds: eosIds, ...decoding(raw) };
}

interface DecoderConfig {
  type?: string;
  decoders?: DecoderConfig[];
  start?: number;
  content?: string;
  add_prefix_space?: boolean;
  prepend_scheme?: string;
}

/** GPT-2 byte-level, SentencePiece (▁ and <0xNN> byte fallback), or raw strings. */
function decoding(decoder: DecoderConfig | undefined): Pick<TokenVocabulary, 'vocabType' | 'prependSpace'> {
  const all = decoder?.type === 'Sequence' ? decoder.decoders ?? [] : decoder ? [decoder] : [];
  if (all.some((d) => d.type === 'ByteLevel')) return { vocabType: 'byte_level', prependSpace: false };
  const sentencePiece = all.some((d) => d.type === 'ByteFallback' || d.type === 'Metaspace' || (d.type === 'Replace' && d.content === ' '));
  if (sentencePiece) {
    const prependSpace = all.some((d) => (d.type === 'Strip' && (d.start ?? 0) > 0) || (d.type === 'Metaspace' && (d.add_prefix_space || d.prepend_scheme === 'always' || d.prepend_scheme === 'first')));
    return { vocabType: 'byte_fallback', prependSpace };
  }
  return { vocabType: 'raw', prependSpace: false };
}

/** The model's generation_config, read the way vLLM reads it. */
function samplingDefaults(gen: Record<string, unknown>): Partial<SamplingParams> {
  const out: Partial<SamplingParams> = {};
  const num = (v: unknown) => (typeof v === 'number' ? v : undefined);
  if (gen.do_sample === false) out.temperature = 0;
  else if (num(gen.temperature) !== undefined) out.temperature = num(gen.temperature)!;
  if (num(gen.top_p) !== undefined) out.topP = num(gen.top_p)!;
  if (num(gen.top_k) !== undefined) out.topK = num(gen.top_k)!;
  if (num(gen.min_p) !== undefined) out.minP = num(gen.min_p)!;
  if (num(gen.repetition_penalty) !== undefined) out.repetitionPenalty = num(gen.repetition_penalty)!;
  return out;
}
