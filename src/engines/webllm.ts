import {
  MLCEngine,
  type ChatCompletionRequestStreaming,
  type CompletionCreateParamsStreaming,
  type LogitProcessor,
  type MLCEngineConfig,
  type ModelRecord,
} from '@mlc-ai/web-llm';
// Not re-exported by web-llm's index; types only.
import type { ChatConfig, ConvTemplateConfig } from '@mlc-ai/web-llm/lib/config';
import { AbortError } from '../core/abort.js';
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
} from '../core/engine.js';
import { createRng } from '../core/rng.js';
import { Sampler, type SampledToken } from '../core/sampling.js';
import { StopMatcher } from '../core/stop.js';
import { BadRequestError, InternalServerError } from '../protocol/errors.js';
import type { DeviceKind, Modality } from '../protocol/models.js';
import { WebLLMEmbeddingModel, webllmTokenizer, type WebLLMTokenizer } from './webllm/embeddings.js';
import { gpuProblems, kindOf, needsOf, probeGpu, recordFromSpec, type GpuFacts, type WebLLMModelOptions } from './webllm/catalog.js';
import { effectiveTemplate, renderPrompt, toWebLLMChat, type ChatPrompt } from './webllm/conversation.js';
import { fromWebLLMError } from './webllm/errors.js';
import { toResponseFormat } from './webllm/grammar.js';
import { checkImages, toDataUrl } from './webllm/image.js';
import { prebuiltModelList } from './webllm/prebuilt.js';
import { progressMapper } from './webllm/progress.js';

/**
 * web-llm (MLC LLM on WebGPU), in-process in the engine host: `MLCEngine` itself, not its
 * worker wrapper, so its errors keep their types and nothing crosses a second worker.
 *
 * What we drive: web-llm's streaming `chatCompletion` (and `completion` for prompts), one
 * call per choice, so web-llm keeps its conversation templates, its KV cache (reused
 * across turns of the same conversation), its lock and its xgrammar `response_format`.
 * A `LogitProcessor` registered for the model (web-llm's public hook) sees every step:
 * `processSampledToken` gives each step's token id, which web-llm's chunks do not carry,
 * and the token's text comes from our incremental detokenizer, so each token is one event.
 *
 * Who samples, per request:
 * - web-llm, on the GPU ("native"), when its sampler expresses the request exactly:
 *   temperature, top_p, presence/frequency penalties, logit_bias, seed (web-llm seeds its
 *   own RNG per call; choice i gets seed + i as everywhere). The hook only observes.
 * - core's Sampler ("webinfer") for everything else: logprobs, top_k > 1, min_p,
 *   min_tokens, ignore_eos, repetition_penalty != 1 (HF semantics, prompt included). The
 *   hook gets the logits (after web-llm's grammar mask), core's Sampler picks, and we
 *   hand back logits in which only that token is possible, so web-llm's sampler, run with
 *   neutral settings, commits our choice. Costs a few ms of JS per token on large vocabularies.
 * `sampling: 'webinfer'` (engine option, or a model's `options.sampling`) always uses core's.
 *
 * Images (vision models, web-llm's VLM kind: Phi-3.5-vision): core fetches, checks and
 * decodes them as for every engine; web-llm gets PNG data URLs of those pixels as
 * `image_url` parts of the user message they came in (src/engines/webllm/image.ts), so it
 * never fetches a URL itself. Its limits (an image within one prefill chunk) are 400s here.
 *
 * Two web-llm internals are read, both present in 0.2.86 and checked by
 * tests/webllm/internals.test.ts: `MLCEngine.getLLMStates()` (the loaded chat config) and
 * the pipeline's `tokenizer` (to count prompt tokens before generation and to give each
 * token its text).
 */

/** The part of MLCEngine this engine uses (tests pass a scripted one). */
export type MLCEngineLike = Pick<MLCEngine, 'reload' | 'unload' | 'chatCompletion' | 'completion' | 'interruptGenerate' | 'embedding'>;

export interface WebLLMEngineOptions {
  /** Builds the MLCEngine for one model; default `new MLCEngine(config)`. */
  createEngine?: (config: MLCEngineConfig) => MLCEngineLike;
  /** The WebGPU adapter facts checked before loading; default: ask `navigator.gpu`. */
  probeGpu?: () => Promise<GpuFacts | null>;
  /** Where web-llm caches model files: the Cache API (default) or IndexedDB. */
  cacheBackend?: 'cache' | 'indexeddb';
  /** Model ids known to exist, for "use the f32 variant" suggestions (default: web-llm's prebuilt list). */
  knownModel?: (id: string) => boolean;
  logLevel?: 'TRACE' | 'DEBUG' | 'INFO' | 'WARN' | 'ERROR' | 'SILENT';
  /**
   * 'auto' (default): web-llm samples on the GPU where its sampler expresses the request
   * exactly, core's Sampler otherwise. 'webinfer': always core's Sampler (the same random
   * stream as on every other engine, at a few ms of CPU per token). A model's
   * `options.sampling` overrides it.
   */
  sampling?: 'auto' | 'webinfer';
}

type Tokenizer = WebLLMTokenizer;

const prebuiltIds = new Set(prebuiltModelList.map((r) => r.model_id));

export function createWebLLMEngine(options: WebLLMEngineOptions = {}): Engine {
  const create = options.createEngine ?? ((config: MLCEngineConfig) => new MLCEngine(config));
  const probe = options.probeGpu ?? (() => probeGpu());
  const known = options.knownModel ?? ((id: string) => prebuiltIds.has(id));

  return {
    name: 'webllm',
    capabilities: { modalities: ['text', 'image'], chatTemplate: true, logits: true, grammar: true, embeddings: true },
    async load(spec: ModelSpec, ctx: LoadContext): Promise<LoadedModel> {
      if (ctx.device === 'wasm') {
        throw new BadRequestError(`Model '${spec.id}' runs on web-llm, which runs on WebGPU only; it cannot load on 'wasm'.`, {
          param: 'device',
          code: 'unsupported_device',
        });
      }
      let record: ModelRecord;
      try {
        record = recordFromSpec(spec);
      } catch (err) {
        throw new BadRequestError((err as Error).message, { param: 'model', code: 'invalid_model_config' });
      }
      // Everything that would fail halfway through the load, before any download.
      const problems = gpuProblems(spec.id, needsOf(record), await probe(), known);
      if (problems.length) {
        const [first] = problems;
        throw new BadRequestError(problems.map((p) => p.message).join(' '), { param: 'model', code: first!.code });
      }
      if (ctx.signal.aborted) throw new AbortError();

      const hook = new SamplingHook();
      const engine = create({
        appConfig: { model_list: [record], ...(options.cacheBackend ? { cacheBackend: options.cacheBackend } : {}) },
        logitProcessorRegistry: new Map([[spec.id, hook]]),
        initProgressCallback: progressMapper(spec.id, ctx.onProgress),
        logLevel: options.logLevel ?? 'WARN',
      });
      // web-llm's unload() aborts a reload in flight (its downloads take the signal).
      const cancel = () => void engine.unload().catch(() => {});
      ctx.signal.addEventListener('abort', cancel, { once: true });
      try {
        await engine.reload(spec.id);
      } catch (err) {
        if (ctx.signal.aborted) throw new AbortError();
        throw fromWebLLMError(err, { model: spec.id, storage: await storageEstimate() });
      } finally {
        ctx.signal.removeEventListener('abort', cancel);
      }
      // An aborted reload returns quietly; whatever it did load goes.
      if (ctx.signal.aborted) {
        await engine.unload().catch(() => {});
        throw new AbortError();
      }
      const sampling = (spec.options as { sampling?: unknown } | undefined)?.sampling;
      try {
        const kind = kindOf(record as unknown as WebLLMModelOptions);
        if (kind === 'embedding') return new WebLLMEmbeddingModel(spec, engine);
        const vision = kind === 'vision';
        return new WebLLMModel(spec, engine, hook, sampling === 'webinfer' || sampling === 'auto' ? sampling : options.sampling ?? 'auto', vision);
      } catch (err) {
        await engine.unload().catch(() => {});
        throw err;
      }
    },
  };
}

/** Our prompt: the token count core needs, plus what web-llm itself is given. */
interface WebLLMPrompt extends PreparedPrompt {
  webllm: { kind: 'chat'; chat: ChatPrompt } | { kind: 'text'; prompt: string };
}

/** One step as web-llm committed it, with core's Sampler's pick when it was ours. */
interface Step {
  id: number;
  pick: SampledToken | null;
  /** First step only: prompt tokens web-llm did not prefill again (its multi-round KV reuse). */
  cachedTokens?: number;
}

interface Session {
  processLogits(logits: Float32Array): Float32Array;
  processSampledToken(id: number): void;
}

/** The LogitProcessor registered for the model; routes to the request being generated. */
class SamplingHook implements LogitProcessor {
  session: Session | null = null;

  processLogits(logits: Float32Array): Float32Array {
    return this.session ? this.session.processLogits(logits) : logits;
  }

  processSampledToken(token: number): void {
    this.session?.processSampledToken(token);
  }

  resetState(): void {}
}

class WebLLMModel implements LoadedModel {
  readonly engine = 'webllm';
  readonly id: string;
  readonly device: DeviceKind = 'webgpu';
  readonly contextLength: number | null;
  /** Vision models (web-llm's VLM kind, Phi-3.5-vision) take images too. */
  readonly modalities: Modality[];
  readonly defaults: Partial<SamplingParams>;
  /** web-llm enforces GenerateOptions.grammar itself (response_format, on the GPU). */
  readonly nativeGrammar = true;
  /** web-llm's templates are mlc-chat-config conv_templates, not Jinja. */
  readonly chatTemplate = null;
  private readonly template: ConvTemplateConfig;
  private readonly tokenizer: Tokenizer;
  private readonly pipeline: PipelineStats;
  private readonly eosIds: Set<number>;
  private readonly stopStrings: string[];
  private readonly vocabSize: number;
  private readonly chatConfig: ChatConfig;
  readonly textTokenizer: ModelTokenizer;

  constructor(
    spec: ModelSpec,
    private readonly mlc: MLCEngineLike,
    private readonly hook: SamplingHook,
    private readonly sampling: 'auto' | 'webinfer',
    vision: boolean,
  ) {
    this.id = spec.id;
    this.modalities = vision ? ['text', 'image'] : ['text'];
    const { chatConfig, tokenizer, pipeline } = internalsOf(mlc, spec.id);
    this.chatConfig = chatConfig;
    this.tokenizer = tokenizer;
    this.pipeline = pipeline;
    this.template = effectiveTemplate(chatConfig.conv_template, chatConfig.conv_config);
    this.eosIds = new Set(this.template.stop_token_ids ?? []);
    this.stopStrings = (this.template.stop_str ?? []).filter((s: string) => s !== '');
    const window = chatConfig.context_window_size;
    this.contextLength = typeof window === 'number' && window > 0 && !(chatConfig.sliding_window_size > 0) ? window : spec.contextLength ?? null;
    this.defaults = samplingDefaults(chatConfig);
    this.vocabSize = chatConfig.vocab_size > 0 ? chatConfig.vocab_size : Infinity;
    this.textTokenizer = webllmTokenizer(tokenizer, this.vocabSize);
  }

  async prepareChat(input: PromptInput): Promise<PreparedPrompt> {
    // Images: core fetched, checked and decoded them; web-llm gets them back as PNG data
    // URLs (it decodes URLs itself, and must never fetch one), after web-llm's limits.
    const images = this.modalities.includes('image') ? input.media?.images ?? [] : [];
    const embedSizes = checkImages(images, this.chatConfig, this.id);
    const urls = new Map<string, string>();
    for (const img of images) urls.set(`${img.message}:${img.part}`, await toDataUrl(img));
    const chat = toWebLLMChat(input.messages, this.template, input.templateKwargs, urls);
    let pieces: string[];
    try {
      pieces = renderPrompt(chat, this.template);
    } catch (err) {
      throw new BadRequestError(`The model's conversation template cannot render these messages: ${(err as Error).message}`, {
        param: 'messages',
        code: 'unsupported_messages',
      });
    }
    const tokenIds = [...(this.template.system_prefix_token_ids ?? [])];
    for (const piece of pieces) tokenIds.push(...this.tokenizer.encode(piece));
    // Each image prefills its embedding (web-llm adds a "\n" after each for phi3_v); they
    // count toward the context window. -1 stands for an image position (no token id).
    const newline = (this.chatConfig as { model_type?: string }).model_type === 'phi3_v' ? Array.from(this.tokenizer.encode('\n')) : [];
    for (const size of embedSizes) tokenIds.push(...new Array<number>(size).fill(-1), ...newline);
    const prompt: WebLLMPrompt = { tokenIds, text: pieces.join(''), webllm: { kind: 'chat', chat } };
    return prompt;
  }

  async prepareText(text: string): Promise<PreparedPrompt> {
    const prompt: WebLLMPrompt = { tokenIds: Array.from(this.tokenizer.encode(text)), text, webllm: { kind: 'text', prompt: text } };
    return prompt;
  }

  async *generate(prompt: PreparedPrompt, options: GenerateOptions, signal: AbortSignal): AsyncGenerator<GeneratedToken> {
    const own = (prompt as Partial<WebLLMPrompt>).webllm;
    if (!own) throw new InternalServerError('The web-llm engine was handed a prompt it did not prepare.', { code: 'engine_error' });
    if (options.maxTokens <= 0 || signal.aborted) return;
    const native = this.sampling === 'auto' ? nativeSampling(options, this.vocabSize) : null;
    const request = this.request(own, options, native);

    const steps = new Channel<Step>();
    const sampler = new Sampler({
      params: options.sampling,
      rng: createRng(options.seed),
      eosIds: [...this.eosIds],
      minTokens: options.minTokens,
      ignoreEos: options.ignoreEos,
      topLogprobs: options.topLogprobs,
      // -1: image positions.
      promptIds: prompt.tokenIds.filter((id) => id >= 0),
    });
    let lastPick: SampledToken | null = null;
    let sampledAny = false;
    // Image positions (-1) prefill as their embeddings: counted as web-llm counts them.
    const promptTokens = prompt.tokenIds.length;
    const session: Session = {
      processLogits: (logits) => {
        if (native) return logits;
        const pick = sampler.sample(logits);
        lastPick = pick;
        // Only our token stays possible: web-llm's sampler (neutral settings) commits it.
        logits.fill(-Infinity);
        logits[pick.id] = 0;
        return logits;
      },
      processSampledToken: (id) => {
        // By the first token web-llm has prefilled: what it did not prefill came from its KV cache.
        const first = sampledAny ? {} : { cachedTokens: Math.max(0, promptTokens - this.pipeline.getCurRoundPrefillTotalTokens()) };
        sampledAny = true;
        steps.push({ id, pick: lastPick?.id === id ? lastPick : null, ...first });
        lastPick = null;
      },
    };
    if (this.hook.session) throw new InternalServerError(`Model '${this.id}' is already generating.`, { code: 'engine_busy' });
    this.hook.session = session;

    let stopping = false;
    let pumpDone = false;
    let finish: string | null = null;
    const interrupt = () => {
      stopping = true;
      void this.mlc.interruptGenerate();
    };
    signal.addEventListener('abort', interrupt, { once: true });
    // Drives web-llm's stream; the tokens themselves arrive through the hook.
    const pump = (async () => {
      try {
        const stream = own.kind === 'chat'
          ? await this.mlc.chatCompletion(request as ChatCompletionRequestStreaming)
          : await this.mlc.completion(request as CompletionCreateParamsStreaming);
        for await (const chunk of stream) {
          finish = chunk.choices[0]?.finish_reason ?? finish;
          // Leaving the loop returns web-llm's generator, whose finally releases its lock.
          if (stopping) break;
        }
        steps.close();
      } catch (err) {
        steps.fail(fromWebLLMError(err, { model: this.id }));
      } finally {
        pumpDone = true;
        if (this.hook.session === session) this.hook.session = null;
        signal.removeEventListener('abort', interrupt);
      }
    })();

    const detokenizer = new IncrementalDetokenizer((ids) => this.tokenizer.decode(Int32Array.from(ids)));
    // The template's own stop strings (`[INST]`, `<human>`, ...): never shown, end the reply.
    const matcher = new StopMatcher(options.ignoreEos ? [] : this.stopStrings);
    let held = 0;
    // An event whose text may still grow (held back by the matcher or the detokenizer):
    // it waits for the next token, so held text always has an event to travel in.
    let deferred: GeneratedToken | null = null;
    const withTokenText = options.topLogprobs !== null;
    const event = (step: Step, text: string, isEos: boolean): GeneratedToken => this.event(step, text, isEos, withTokenText);

    try {
      for await (const step of steps) {
        if (!options.ignoreEos && this.eosIds.has(step.id)) {
          const last = matcher.push(detokenizer.flush());
          const rest = last.text + (last.stopped ? '' : matcher.flush());
          if (deferred) {
            deferred.text += rest;
            yield deferred;
            deferred = null;
          }
          yield event(step, '', true);
          return;
        }
        const raw = detokenizer.push(step.id);
        const piece = matcher.push(raw);
        if (piece.stopped) {
          if (deferred) {
            deferred.text += piece.text;
            yield deferred;
            deferred = null;
          } else if (piece.text) {
            // The stop string began inside this very token: its text needs an event of its own.
            yield event(step, piece.text, false);
            yield { ...event({ id: step.id, pick: null }, '', true), tokenText: '' };
            return;
          }
          yield event(step, '', true);
          return;
        }
        held += raw.length - piece.text.length;
        const next = event(step, piece.text, false);
        if (deferred) {
          yield deferred;
          deferred = null;
        }
        if (held > 0 || raw === '') deferred = next;
        else yield next;
      }
      // web-llm ended without an end token we saw: max_tokens, the context window, or its
      // own stop-string check.
      const last = matcher.push(detokenizer.flush());
      const rest = last.text + (last.stopped ? '' : matcher.flush());
      if (deferred) {
        deferred.text += rest;
        yield deferred;
        deferred = null;
      }
      if (finish === 'stop' && !stopping) {
        const eos = [...this.eosIds][0] ?? 0;
        yield { id: eos, text: '', tokenText: '', isEos: true };
      }
    } finally {
      // Stop web-llm at its next step and hand back only once it is idle (lock released).
      if (!pumpDone) {
        stopping = true;
        await this.mlc.interruptGenerate();
      }
      await pump;
    }
  }

  async unload(): Promise<void> {
    await this.mlc.unload();
  }

  private event(step: Step, text: string, isEos: boolean, withTokenText: boolean): GeneratedToken {
    const pick = step.pick;
    return {
      id: step.id,
      text,
      tokenText: withTokenText ? this.tokenText(step.id) : '',
      isEos,
      ...(pick?.logprob === undefined ? {} : { logprob: pick.logprob }),
      ...(pick?.top ? { top: pick.top.map((t) => ({ ...t, text: this.tokenText(t.id) })) } : {}),
      ...(step.cachedTokens === undefined ? {} : { cachedTokens: step.cachedTokens }),
    };
  }

  private tokenText(id: number): string {
    return this.tokenizer.decode(Int32Array.of(id));
  }

  /** The web-llm request for one choice: its sampling (native), or neutral sampling (ours happens in the hook). */
  private request(own: WebLLMPrompt['webllm'], options: GenerateOptions, native: NativeSampling | null): ChatCompletionRequestStreaming | CompletionCreateParamsStreaming {
    const common = {
      model: this.id,
      stream: true as const,
      n: 1,
      max_tokens: options.maxTokens,
      ...(native ?? NEUTRAL),
      ...(options.ignoreEos ? { ignore_eos: true } : {}),
    };
    if (own.kind === 'text') {
      if (options.grammar) {
        throw new BadRequestError('web-llm enforces output formats on chat completions only, not on legacy completions.', {
          param: 'response_format',
          code: 'unsupported_parameter',
        });
      }
      return { ...common, prompt: own.prompt };
    }
    const responseFormat = toResponseFormat(options.grammar);
    return {
      ...common,
      messages: own.chat.messages,
      ...(responseFormat ? { response_format: responseFormat } : {}),
      ...(own.chat.enableThinking === false ? { extra_body: { enable_thinking: false } } : {}),
    };
  }
}

type NativeSampling = {
  temperature: number;
  top_p: number;
  presence_penalty: number;
  frequency_penalty: number;
  repetition_penalty: 1;
  logit_bias?: Record<string, number>;
  seed: number;
};

/** web-llm's sampler with everything off: on a one-hot distribution it commits that token. */
const NEUTRAL = { temperature: 1, top_p: 1, presence_penalty: 0, frequency_penalty: 0, repetition_penalty: 1 } as const;

/**
 * The request's sampling in web-llm's terms, when web-llm's sampler means exactly what
 * core's does; null when core's Sampler must do it. web-llm's sampler has no top_k, min_p,
 * min_tokens or logprobs of the raw logits, and its repetition penalty ignores the prompt
 * (HF's includes it); with ignore_eos it would still sample (and print) end tokens.
 */
function nativeSampling(options: GenerateOptions, vocabSize: number): NativeSampling | null {
  const s = options.sampling;
  if (options.topLogprobs !== null || options.minTokens > 0 || options.ignoreEos) return null;
  if (s.minP > 0 || s.topK > 1 || s.repetitionPenalty !== 1) return null;
  if (!(s.temperature >= 0) || !(Math.abs(s.presencePenalty) <= 2) || !(Math.abs(s.frequencyPenalty) <= 2)) return null;
  const bias: Record<string, number> = {};
  for (const [id, value] of s.logitBias) {
    if (!Number.isInteger(id) || id < 0 || !(Math.abs(value) <= 100)) return null;
    // Ids beyond the vocabulary change nothing in core's sampler either.
    if (id < vocabSize) bias[String(id)] = value;
  }
  const greedy = s.temperature === 0 || s.topK === 1 || s.topP <= 0;
  return {
    temperature: greedy ? 0 : s.temperature,
    top_p: greedy ? 1 : Math.min(1, s.topP),
    presence_penalty: s.presencePenalty,
    frequency_penalty: s.frequencyPenalty,
    repetition_penalty: 1,
    ...(Object.keys(bias).length ? { logit_bias: bias } : {}),
    seed: options.seed,
  };
}

/**
 * The two web-llm internals this engine reads (see the file comment). A web-llm that
 * lacks them fails here, at load, with a message that says what changed.
 */
interface PipelineStats {
  /** Tokens prefilled for the current request (web-llm resets it at each prefill). */
  getCurRoundPrefillTotalTokens(): number;
}

function internalsOf(engine: MLCEngineLike, id: string): { chatConfig: ChatConfig; tokenizer: Tokenizer; pipeline: PipelineStats } {
  const states = (engine as unknown as { getLLMStates?: (name: string, id: string) => [string, { tokenizer?: Tokenizer } & Partial<PipelineStats>, ChatConfig] }).getLLMStates;
  if (typeof states !== 'function') {
    throw new InternalServerError('This web-llm version has no MLCEngine.getLLMStates(); webinfer supports @mlc-ai/web-llm 0.2.86.', { code: 'engine_error' });
  }
  const [, pipeline, chatConfig] = states.call(engine, 'webinfer', id);
  const tokenizer = pipeline?.tokenizer;
  if (typeof tokenizer?.encode !== 'function' || typeof tokenizer.decode !== 'function' || !chatConfig?.conv_template || typeof pipeline.getCurRoundPrefillTotalTokens !== 'function') {
    throw new InternalServerError("This web-llm version's pipeline has no tokenizer, prefill count or conv_template; webinfer supports @mlc-ai/web-llm 0.2.86.", {
      code: 'engine_error',
    });
  }
  return { chatConfig, tokenizer, pipeline: pipeline as PipelineStats };
}

/** mlc-chat-config.json's sampling values are the model's defaults, as generation_config is elsewhere. */
function samplingDefaults(config: ChatConfig): Partial<SamplingParams> {
  const out: Partial<SamplingParams> = {};
  const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
  if (num(config.temperature) !== undefined) out.temperature = num(config.temperature)!;
  if (num(config.top_p) !== undefined) out.topP = num(config.top_p)!;
  if (num(config.repetition_penalty) !== undefined) out.repetitionPenalty = num(config.repetition_penalty)!;
  if (num(config.presence_penalty) !== undefined) out.presencePenalty = num(config.presence_penalty)!;
  if (num(config.frequency_penalty) !== undefined) out.frequencyPenalty = num(config.frequency_penalty)!;
  return out;
}

async function storageEstimate(): Promise<{ usage?: number; quota?: number }> {
  try {
    const estimate = await (globalThis.navigator as Navigator | undefined)?.storage?.estimate?.();
    return estimate ? { usage: estimate.usage, quota: estimate.quota } : {};
  } catch {
    return {};
  }
}
