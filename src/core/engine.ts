import type { ChatCompletionChunk, ChatCompletionCreateParams, ChatMessage, Tool } from '../protocol/chat.js';
import type { RemoteTarget, RoutingMode } from '../protocol/routing.js';
import type { Completion, CompletionCreateParams } from '../protocol/completions.js';
import type { ResponseCreateParams, ResponseStreamEvent } from '../protocol/responses.js';
import type { DeviceKind, LoadProgress, Modality, ModelStorage } from '../protocol/models.js';
import type { ResolvedMedia } from './media/types.js';

/**
 * The contract every backend implements. An engine turns a prompt into a stream of
 * tokens under sampling settings; everything OpenAI-specific (stop strings, n, usage,
 * logprob shapes, finish reasons, the queue) lives in core, once for all engines.
 */

/** Where a model's files come from. */
export interface ModelSource {
  /** A hub repo id (e.g. `onnx-community/Qwen2.5-0.5B-Instruct`) or a name under `baseUrl`. */
  repo: string;
  /** Self-hosted weights: the folder URL that holds `config.json` etc. Relative URLs resolve against the host's origin. */
  baseUrl?: string;
  revision?: string;
  /** One file in the repo or folder (a GGUF model: `model-Q4_0.gguf`, or a split's first shard). */
  file?: string;
}

/** A registry entry: which engine runs a model id, and from which files. */
export interface ModelSpec {
  id: string;
  engine: string;
  source: ModelSource;
  modalities?: Modality[];
  contextLength?: number;
  sizeBytes?: number;
  ownedBy?: string;
  /** Engine-specific settings (dtype, model_lib URL, ...). */
  options?: Record<string, unknown>;
  /**
   * The same model on a remote OpenAI-compatible server: the whole model when `engine` is
   * `'remote'`, else the local model's counterpart, chosen as `routing` says (core/routing.ts).
   */
  remote?: RemoteTarget;
  routing?: RoutingMode;
}

export interface EngineCapabilities {
  modalities: Modality[];
  /** Renders chat templates itself (true) or needs core to hand it a prompt string. */
  chatTemplate: boolean;
  /** Produces per-token logits that core's sampler can read (full sampling control). */
  logits: boolean;
  grammar: boolean;
  embeddings: boolean;
}

export interface LoadContext {
  device: 'auto' | DeviceKind;
  signal: AbortSignal;
  onProgress: (p: LoadProgress) => void;
}

export interface Engine {
  readonly name: string;
  readonly capabilities: EngineCapabilities;
  load(spec: ModelSpec, ctx: LoadContext): Promise<LoadedModel>;
}

/** What core hands to the engine to become a prompt. */
export interface PromptInput {
  messages: ChatMessage[];
  tools?: Tool[];
  /** Extra chat-template variables (`chat_template_kwargs`). */
  templateKwargs?: Record<string, unknown>;
  /**
   * The request's images and audio, already fetched, checked and decoded by core (in the
   * order their parts appear in `messages`); absent when the request has none.
   */
  media?: ResolvedMedia;
}

/** A prompt ready for generation; the engine may carry its own data in it. */
export interface PreparedPrompt {
  tokenIds: number[];
  /** The rendered text, for debugging and `echo`. */
  text: string;
  /**
   * Engine-private model inputs that go with the tokens (e.g. a vision model's
   * `pixel_values`); core never reads them.
   */
  modelInputs?: Record<string, unknown>;
}

export interface SamplingParams {
  temperature: number;
  topP: number;
  topK: number;
  minP: number;
  repetitionPenalty: number;
  presencePenalty: number;
  frequencyPenalty: number;
  logitBias: Map<number, number>;
}

export interface GenerateOptions {
  maxTokens: number;
  sampling: SamplingParams;
  seed: number;
  /** Number of top alternatives per token to report; null = no logprobs at all. */
  topLogprobs: number | null;
  minTokens: number;
  ignoreEos: boolean;
  /**
   * An output constraint to enforce while decoding (response_format, a forced tool call).
   * Engines with `capabilities.grammar` enforce it natively; absent = free text.
   */
  grammar?: GrammarConstraint | null;
  /**
   * Core's enforcement of `grammar` for engines without native grammar support that
   * expose logits (LoadedModel.tokenVocabulary): one matcher per generation, whose mask
   * the engine hands to the Sampler each step (see TokenMask).
   */
  tokenMask?: TokenMaskSource | null;
}

/**
 * A grammar matcher for one generation. Per step: `await next()` (the allowed-token
 * bitmask; engines may compute it while the model's forward pass runs), sample with it,
 * then `accept(id)` the sampled token. Bit i of the mask (word i >> 5, bit i & 31) set =
 * token i allowed; ids beyond the mask are not allowed. The mask is read-only: the grammar
 * engine may hand the same array to several steps and generations.
 */
export interface TokenMask {
  next(): Promise<Int32Array>;
  /** False when the grammar rejects the token (generation should end). */
  accept(id: number): boolean;
  /** The grammar accepted a stop token: nothing may follow. */
  isTerminated(): boolean;
  dispose(): void;
}

export interface TokenMaskSource {
  create(): Promise<TokenMask>;
}

/** What core's grammar engine (xgrammar) needs to know about a model's tokenizer. */
export interface TokenVocabulary {
  /**
   * Every token's string in the tokenizer's own encoding (byte-level BPE: `Ġhello`), by id.
   * Special tokens the model must never write inside constrained output are ''.
   */
  tokens: string[];
  /** How `tokens` decode to bytes: GPT-2 byte-level, SentencePiece byte fallback, or raw. */
  vocabType: 'byte_level' | 'byte_fallback' | 'raw';
  /** The tokenizer prepends a space to the text (SentencePiece `add_dummy_prefix`). */
  prependSpace: boolean;
  /** The logits row size (may exceed tokens.length when the model pads its vocabulary). */
  vocabSize: number;
  /** End-of-sequence ids: what a finished grammar allows. */
  stopTokenIds: number[];
}

/**
 * Engine-neutral output constraints, in the shapes xgrammar compiles. JSON schemas are
 * objects (or booleans), never JSON strings; `structural_tag` is xgrammar's
 * `{ type: 'structural_tag', format }` (or a bare format).
 */
export type GrammarConstraint =
  | { type: 'json_object' }
  | { type: 'json_schema'; schema: Record<string, unknown> | boolean }
  | { type: 'grammar'; grammar: string }
  | { type: 'regex'; pattern: string }
  | { type: 'structural_tag'; structuralTag: Record<string, unknown> };

export interface TokenAlternative {
  id: number;
  text: string;
  logprob: number;
}

export interface GeneratedToken {
  id: number;
  /** Newly decodable text (may be '' while a multi-byte character is incomplete). */
  text: string;
  /** The token's own text, for logprobs: '' unless they were asked for (`topLogprobs` not null), which spares a decode per token. */
  tokenText: string;
  isEos: boolean;
  logprob?: number;
  top?: TokenAlternative[];
  /**
   * On the first token of a generation, from engines with a prefix cache: how many prompt
   * tokens came from cached state instead of being prefilled (0 on a miss).
   */
  cachedTokens?: number;
}

export interface LoadedModel {
  readonly id: string;
  readonly engine: string;
  readonly device: DeviceKind;
  readonly contextLength: number | null;
  readonly modalities: Modality[];
  /** The model's own defaults (generation_config), applied where a request says nothing. */
  readonly defaults: Partial<SamplingParams>;
  /** Whether the load's files went into the browser's cache (engines that know; set by the engine's load). */
  storage?: ModelStorage;
  prepareChat(input: PromptInput): Promise<PreparedPrompt>;
  prepareText(text: string): Promise<PreparedPrompt>;
  /**
   * Streams generated tokens. Breaking out of the loop (or the signal) stops generation;
   * the iterator settles only once the engine is idle again.
   */
  generate(prompt: PreparedPrompt, options: GenerateOptions, signal: AbortSignal): AsyncIterable<GeneratedToken>;
  unload(): Promise<void>;
  /**
   * Engines whose logits core samples: the tokenizer's vocabulary, so that core can
   * enforce GenerateOptions.grammar with a token mask (GenerateOptions.tokenMask).
   */
  tokenVocabulary?(): TokenVocabulary | Promise<TokenVocabulary>;
  /** The engine enforces GenerateOptions.grammar itself (web-llm); core then sends no tokenMask. */
  readonly nativeGrammar?: boolean;
  /**
   * The model's chat template source, where it has one: core reads the model family's
   * tool-call format and reasoning tags from it.
   */
  readonly chatTemplate?: string | null;

  // ---- optional capabilities beyond generation (src/core/endpoints/) --------------------

  /** What the model is for; absent = 'generate'. Embedding and classification models do not chat. */
  readonly task?: ModelTask;
  /** The model's tokenizer, for /tokenize, /detokenize, token counts and context checks. */
  readonly textTokenizer?: ModelTokenizer;
  /** Embedding models: the pooling and normalization the model declares, and what `dimensions` may ask. */
  readonly embedding?: EmbeddingInfo;
  /**
   * Embedding models: one vector per input (token ids, special tokens included), pooled and
   * normalized as the model declares (EmbeddingInfo).
   */
  embed?(inputs: number[][], signal: AbortSignal): Promise<Float32Array[]>;
  /**
   * Sequence-classification models (reward models, cross-encoders): the raw logits per
   * input, one row of `labels.length` values; `pair` is the second text of a cross-encoder.
   */
  classify?(inputs: ClassifyInput[], signal: AbortSignal): Promise<number[][]>;
  /** Classification models: the label names (id2label), in logit order. */
  readonly labels?: string[];
}

export type ModelTask = 'generate' | 'embed' | 'classify';

export interface ClassifyInput {
  text: string;
  pair?: string;
  addSpecialTokens: boolean;
  /** Cut the input to this many tokens (from the start); absent = whole. */
  maxTokens?: number;
}

export interface ModelTokenizer {
  /** `pair`: a second text, encoded as the model's tokenizer joins pairs (cross-encoders). */
  encode(text: string, options: { addSpecialTokens: boolean; pair?: string }): number[];
  decode(ids: number[], options?: { skipSpecialTokens?: boolean }): string;
  /** Each id's raw token string (`Ġhello`, `##ing`), as `convert_ids_to_tokens` gives it. */
  tokenStrings(ids: number[]): string[];
  /** Ids at or above this are not tokens of the model. */
  readonly vocabSize: number;
}

export interface EmbeddingInfo {
  /** The vector's length. */
  dimensions: number;
  pooling: 'mean' | 'cls' | 'last' | 'max';
  /** Vectors come out L2-normalized (a sentence-transformers Normalize module, or the model's config). */
  normalized: boolean;
  /**
   * Matryoshka: which `dimensions` a request may ask for (`true`: any up to `dimensions`);
   * null = truncation is not supported (a 400).
   */
  matryoshka: number[] | true | null;
}

/**
 * A backend that does not produce tokens: a remote OpenAI-compatible server that takes
 * the request and does prompt, sampling, stop strings and tools itself. Core still
 * validates every request first, routes it, and hands over only what the server should
 * see (core/remote-request.ts); the engine owns the fetch (and the key), the retries, the
 * timeouts, and maps the server's errors to typed ones.
 */
export interface PassThroughEngine {
  readonly name: string;
  readonly passThrough: true;
  open(id: string, target: RemoteTarget): PassThroughModel;
}

export interface PassThroughModel {
  readonly id: string;
  /**
   * Sends a validated chat request; resolves once the server accepted it (every status
   * error before that, typed). The chunks are OpenAI's shape, with `model` the registered
   * id; a non-streaming request still yields chunks (the answer split as a stream would be).
   */
  chat(body: ChatCompletionCreateParams, signal: AbortSignal): Promise<AsyncIterableIterator<ChatCompletionChunk>>;
  /** The same for legacy completions (`/v1/completions`). */
  completion(body: CompletionCreateParams, signal: AbortSignal): Promise<AsyncIterableIterator<Completion>>;
  /**
   * `/v1/responses` on the server itself (its events as they come, `model` the registered
   * id); null when the target says `responses: 'chat'`, or (`'auto'`) the server was found
   * without the route (404/405, remembered): core then translates to chat.
   */
  response(body: ResponseCreateParams, signal: AbortSignal): Promise<AsyncIterableIterator<ResponseStreamEvent> | null>;
}

export function isPassThrough(engine: Engine | PassThroughEngine): engine is PassThroughEngine {
  return (engine as PassThroughEngine).passThrough === true;
}
