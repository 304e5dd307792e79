import type { EmbeddingInfo, GenerateOptions, GeneratedToken, LoadedModel, ModelSpec, ModelTask, PromptInput, SamplingParams, TokenVocabulary, ClassifyInput } from '../../core/engine.js';
import type { DeviceKind, LoadProgress, Modality, ModelStorage } from '../../protocol/models.js';
import type { ErrorMessage } from '../../protocol/rpc.js';
import type { EngineConfig } from '../engines.js';
import type { VideoDecodeOptions, VideoFrames } from '../../core/media/index.js';

/**
 * The engine worker's API: a dedicated Worker owned by one tab (elected with Web Locks,
 * client/election.ts) that runs the engines a SharedWorker cannot (nested workers:
 * onnxruntime-web's thread pool, wllama's llama.cpp worker). The SharedWorker host reaches
 * it over a MessagePort with Comlink; it is a plain object so that more tab-only
 * capabilities (e.g. WebCodecs video decoding) can be added as methods.
 */
export interface EngineWorkerApi {
  /** What this worker can do: threads need cross-origin isolation and nested workers. */
  info(): Promise<EngineWorkerInfo>;
  /** Loads a model; the port streams `progress` then `done` (or `error`); cancelling it aborts the load. */
  load(engine: string, spec: ModelSpec, device: 'auto' | DeviceKind, config: EngineConfig): Promise<MessagePort>;
  prepare(handle: number, prompt: PromptRequest): Promise<WirePrompt>;
  /**
   * One generation: the port streams tokens (`chunk`), then closes; cancelling it stops the
   * engine. `mask`: a port to the host's grammar matcher when core enforces a grammar.
   */
  generate(handle: number, prompt: WirePrompt, options: WireGenerateOptions, mask?: MessagePort): Promise<MessagePort>;
  tokenVocabulary(handle: number): Promise<TokenVocabulary>;
  embed(handle: number, inputs: number[][]): Promise<Float32Array[]>;
  classify(handle: number, inputs: ClassifyInput[]): Promise<number[][]>;
  /** The model's tokenizer files (transformers.js), so the host can tokenize synchronously. */
  tokenizerData(handle: number): Promise<TokenizerData | null>;
  unload(handle: number): Promise<void>;
  /**
   * Video bytes -> sampled frames with WebCodecs, which a SharedWorker lacks. Failures come
   * back as data (their `name` tells core's refusal apart), not as thrown errors.
   */
  decodeVideo(bytes: Uint8Array, options: VideoDecodeOptions): Promise<DecodedVideo>;
}

export type DecodedVideo = { frames: VideoFrames } | { error: { name: string; message: string } };

export interface EngineWorkerInfo {
  isolated: boolean;
  /** onnxruntime-web / llama.cpp threads are possible here. */
  threads: boolean;
  cores: number;
}

export type PromptRequest = { kind: 'chat'; input: PromptInput } | { kind: 'text'; text: string };

/** A prepared prompt as it crosses: engine-private model inputs stay in the worker under `inputs`. */
export interface WirePrompt {
  tokenIds: number[];
  text: string;
  inputs?: number;
}

export type WireGenerateOptions = Omit<GenerateOptions, 'tokenMask'>;

/** What the host's proxy knows of a model loaded in the worker. */
export interface LoadedDescription {
  handle: number;
  device: DeviceKind;
  contextLength: number | null;
  modalities: Modality[];
  defaults: Partial<SamplingParams>;
  storage?: ModelStorage;
  chatTemplate?: string | null;
  nativeGrammar?: boolean;
  task?: ModelTask;
  embedding?: EmbeddingInfo;
  labels?: string[];
  /** Which optional methods the model has. */
  has: { tokenVocabulary: boolean; embed: boolean; classify: boolean; textTokenizer: boolean };
  /** CPU threads the engine runs with (1 on WebGPU or without isolation). */
  threads: number;
}

export interface TokenizerData {
  json: unknown;
  config: unknown;
}

export type EngineLoadMessage = { type: 'progress'; progress: LoadProgress } | { type: 'done'; model: LoadedDescription } | ErrorMessage;
export type EngineTokenMessage = { type: 'chunks'; chunks: GeneratedToken[] } | ErrorMessage;

/** The optional capabilities of a LoadedModel, as the description's `has`. */
export function capabilitiesOf(model: LoadedModel): LoadedDescription['has'] {
  return { tokenVocabulary: !!model.tokenVocabulary, embed: !!model.embed, classify: !!model.classify, textTokenizer: !!model.textTokenizer };
}
