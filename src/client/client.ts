import * as Comlink from 'comlink';
import type { z } from 'zod';
import type { ChatCompletion, ChatCompletionChunk, ChatCompletionCreateParams } from '../protocol/chat.js';
import { APIUserAbortError, errorFromBody } from '../protocol/errors.js';
import type { LoadOptions, LoadProgress, LoadedModelInfo, Model, ModelList } from '../protocol/models.js';
import type { Response as ResponseObject, ResponseCreateParams, ResponseDeleted, ResponseStreamEvent } from '../protocol/responses.js';
import type { EmbeddingCreateParams } from '../protocol/embeddings.js';
import type { RerankParams, ScoreEvaluationParams, ScoreParams } from '../protocol/scoring.js';
import type { DetokenizeParams, TokenCheckParams, TokenizeParams } from '../protocol/tokenize.js';
import type { CacheDeleteResult, CacheInfo, ChatMessageOut, EndpointMessageOut, EndpointName, EndpointResults, InputItemList, InputItemsQuery, ResponseMessageOut, HostConfig, HostStats, LoadMessageOut, ModelRegistration } from '../protocol/rpc.js';
import { portStream } from '../protocol/port-stream.js';
import { lifeline } from '../protocol/lifeline.js';
import { checkRequestShape } from '../protocol/limits.js';
import { connect, startHost, type Connection, type HostTarget } from './connection.js';
import { Stream } from './stream.js';
import { extractAttachments, type WithMediaInputs } from './media.js';
import { wasmPathsFromPage } from './runtime-defaults.js';

/** OpenAI's request shape; in user messages `image_url.url` may also be a Blob, File, ImageBitmap or ArrayBuffer (see media.ts). */
export type ChatCompletionCreateInput = WithMediaInputs<z.input<typeof ChatCompletionCreateParams>>;
export type ChatCompletionStreamingInput = ChatCompletionCreateInput & { stream: true };
export type ChatCompletionNonStreamingInput = ChatCompletionCreateInput & { stream?: false | null };

/** The Responses API's request; `input_image.image_url` may also be a data: URL. */
export type ResponseCreateInput = z.input<typeof ResponseCreateParams>;

/** A non-generating endpoint's call: its request (as sent) in, its answer out. */
type EndpointCall<P, N extends EndpointName> = (params: z.input<P extends z.ZodType ? P : never>, options?: RequestOptions) => Promise<EndpointResults[N]>;

export interface RequestOptions {
  signal?: AbortSignal;
}

export interface ClientOptions {
  /** An engine host you started yourself (Worker, SharedWorker, or a port to one). */
  host?: HostTarget;
  /** Start the bundled host as a SharedWorker where possible (default true). */
  shared?: boolean;
  /** Host settings: runtime file paths, extra models. The first client to configure a shared host wins. */
  config?: HostConfig;
}

export interface ModelLoadOptions extends LoadOptions, RequestOptions {
  onProgress?: (progress: LoadProgress) => void;
}

/** The in-page API, shaped like openai-node: `client.chat.completions.create(...)`. */
export class WebInfer {
  readonly chat: { completions: { create: WebInfer['createChatCompletion'] } };
  /**
   * The Responses API, as openai-node: `create`, and for responses the engine host keeps
   * in memory (`store` not false) `retrieve`, `delete`, `inputItems.list`.
   */
  readonly responses: {
    create: WebInfer['createResponse'];
    retrieve(id: string): Promise<ResponseObject>;
    delete(id: string): Promise<ResponseDeleted>;
    inputItems: { list(id: string, query?: InputItemsQuery): Promise<InputItemList> };
  };
  readonly models: {
    list(): Promise<ModelList>;
    retrieve(id: string): Promise<Model>;
    register(model: ModelRegistration): Promise<void>;
    load(id: string, options?: ModelLoadOptions): Promise<LoadedModelInfo>;
    unload(id: string): Promise<void>;
  };
  /**
   * The engines' downloaded model files (web-llm's and transformers.js's Cache API
   * storage), by model, with the origin's storage usage and quota; `delete(modelId)` frees
   * a model's files (an unregistered folder URL from `list()` works too).
   */
  readonly cache: {
    list(): Promise<CacheInfo>;
    delete(modelId: string): Promise<CacheDeleteResult>;
  };
  /** OpenAI's embeddings: `create({ model, input, encoding_format?, dimensions? })`. */
  readonly embeddings: { create: EndpointCall<typeof EmbeddingCreateParams, 'embeddings'> };
  /** A cross-encoder's ranking of documents against a query (vLLM / llama.cpp `/rerank`). */
  readonly rerank: { create: EndpointCall<typeof RerankParams, 'rerank'> };
  /**
   * `create`: vLLM's `/score` (a cross-encoder, text_1 against text_2); `evaluate`:
   * LLaMA-Factory's score evaluation (a reward model, one score per text).
   */
  readonly score: { create: EndpointCall<typeof ScoreParams, 'score'>; evaluate: EndpointCall<typeof ScoreEvaluationParams, 'scoreEvaluation'> };
  /** vLLM / llama.cpp `/tokenize`: a prompt, or chat messages rendered with the model's template. */
  readonly tokenize: EndpointCall<typeof TokenizeParams, 'tokenize'>;
  readonly detokenize: EndpointCall<typeof DetokenizeParams, 'detokenize'>;
  /** FastChat's token check: does each prompt plus max_tokens fit the model's context? */
  readonly tokenCheck: EndpointCall<typeof TokenCheckParams, 'tokenCheck'>;
  private readonly connection: Connection;
  private readonly ready: Promise<void>;

  constructor(options: ClientOptions = {}) {
    this.connection = options.host ? connect(options.host) : connect(startHost(options.shared ?? true), true);
    const api = this.connection.api;
    const wasmPaths = options.config?.wasmPaths ?? wasmPathsFromPage();
    const config = wasmPaths ? { ...options.config, wasmPaths } : options.config;
    this.ready = config ? api.configure(config) : Promise.resolve();
    this.chat = { completions: { create: this.createChatCompletion.bind(this) as WebInfer['createChatCompletion'] } };
    this.responses = {
      create: this.createResponse.bind(this) as WebInfer['createResponse'],
      retrieve: async (id) => { await this.ready; return api.retrieveResponse(id); },
      delete: async (id) => { await this.ready; return api.deleteResponse(id); },
      inputItems: { list: async (id, query = {}) => { await this.ready; return api.listResponseInputItems(id, query); } },
    };
    const call = <N extends EndpointName>(name: N) => (params: unknown, options?: RequestOptions) => this.callEndpoint(name, params, options);
    this.embeddings = { create: call('embeddings') };
    this.rerank = { create: call('rerank') };
    this.score = { create: call('score'), evaluate: call('scoreEvaluation') };
    this.tokenize = call('tokenize');
    this.detokenize = call('detokenize');
    this.tokenCheck = call('tokenCheck');
    this.models = {
      list: async () => { await this.ready; return api.listModels(); },
      retrieve: async (id) => { await this.ready; return api.retrieveModel(id); },
      register: async (model) => { await this.ready; return api.registerModel(model); },
      load: (id, opts) => this.loadModel(id, opts),
      unload: async (id) => { await this.ready; return api.unloadModel(id); },
    };
    this.cache = {
      list: async () => { await this.ready; return api.listCache(); },
      delete: async (id) => { await this.ready; return api.deleteCache(id); },
    };
  }

  createChatCompletion(params: ChatCompletionStreamingInput, options?: RequestOptions): Promise<Stream<ChatCompletionChunk>>;
  createChatCompletion(params: ChatCompletionNonStreamingInput, options?: RequestOptions): Promise<ChatCompletion>;
  createChatCompletion(params: ChatCompletionCreateInput, options?: RequestOptions): Promise<Stream<ChatCompletionChunk> | ChatCompletion>;
  async createChatCompletion(
    params: ChatCompletionCreateInput,
    options: RequestOptions = {},
  ): Promise<Stream<ChatCompletionChunk> | ChatCompletion> {
    await this.ready;
    // Already aborted: nothing to ask the host for.
    if (options.signal?.aborted) throw new APIUserAbortError();
    const controller = linkedController(options.signal);
    const { body, attachments, transfer } = extractAttachments(params);
    // A body too deep to structured-clone would fail in postMessage: the same 400 as /v1's.
    checkRequestShape(body);
    // The lifeline lets a shared host abort this request if the page is closed mid-stream.
    const call = Comlink.transfer({ attachments, lifeline: await lifeline() }, transfer);
    const port = await this.connection.api.chatCompletion(body, call);
    return answer<ChatMessageOut, ChatCompletionChunk, ChatCompletion>(port, !!params.stream, controller);
  }

  createResponse(params: ResponseCreateInput & { stream: true }, options?: RequestOptions): Promise<Stream<ResponseStreamEvent>>;
  createResponse(params: ResponseCreateInput & { stream?: false | null }, options?: RequestOptions): Promise<ResponseObject>;
  createResponse(params: ResponseCreateInput, options?: RequestOptions): Promise<Stream<ResponseStreamEvent> | ResponseObject>;
  async createResponse(params: ResponseCreateInput, options: RequestOptions = {}): Promise<Stream<ResponseStreamEvent> | ResponseObject> {
    await this.ready;
    if (options.signal?.aborted) throw new APIUserAbortError();
    const controller = linkedController(options.signal);
    checkRequestShape(params);
    const port = await this.connection.api.response(params, { lifeline: await lifeline() });
    return answer<ResponseMessageOut, ResponseStreamEvent, ResponseObject>(port, !!params.stream, controller);
  }

  private async callEndpoint<N extends EndpointName>(name: N, params: unknown, options: RequestOptions = {}): Promise<EndpointResults[N]> {
    await this.ready;
    if (options.signal?.aborted) throw new APIUserAbortError();
    const controller = linkedController(options.signal);
    const port = await this.connection.api.endpoint(name, params, { lifeline: await lifeline() });
    return answer<EndpointMessageOut, never, EndpointResults[N]>(port, false, controller) as Promise<EndpointResults[N]>;
  }

  /** Host counters: loads per model, queue depth, connections. */
  async stats(): Promise<HostStats> {
    await this.ready;
    return this.connection.api.stats();
  }

  /** A fresh port to the same engine host, e.g. for the Service Worker gateway. */
  async createPort(): Promise<MessagePort> {
    await this.ready;
    const { port1, port2 } = new MessageChannel();
    await this.connection.api.connect(Comlink.transfer(port2, [port2]));
    return port1;
  }

  close(): void {
    this.connection.close();
  }

  private async loadModel(id: string, options: ModelLoadOptions = {}): Promise<LoadedModelInfo> {
    await this.ready;
    const controller = linkedController(options.signal);
    const { onProgress, signal: _signal, ...loadOptions } = options;
    const reader = portStream<LoadMessageOut>(await this.connection.api.loadModel(id, loadOptions)).getReader();
    for (;;) {
      const message: LoadMessageOut = await readOrAbort(reader, controller.signal);
      if (message.type === 'progress') onProgress?.(message.progress);
      else if (message.type === 'done') return message.info;
      else throw errorFromBody(message.error.status, message.error.error);
    }
  }
}

export function createClient(options?: ClientOptions): WebInfer {
  return new WebInfer(options);
}

function linkedController(signal?: AbortSignal): AbortController {
  const controller = new AbortController();
  if (signal?.aborted) controller.abort();
  else signal?.addEventListener('abort', () => controller.abort(), { once: true });
  return controller;
}

/**
 * A generation's port: its first message (started, or a typed error), then a Stream of
 * its chunks, or the one folded answer.
 */
async function answer<M extends ChatMessageOut | ResponseMessageOut | EndpointMessageOut, Chunk, Whole>(
  port: MessagePort,
  streaming: boolean,
  controller: AbortController,
): Promise<Stream<Chunk> | Whole> {
  const reader = portStream<M>(port).getReader();
  const first = await readOrAbort(reader, controller.signal);
  if (first.type === 'error') throw errorFromBody(first.error.status, first.error.error);
  // M carries Chunk in its `chunks` messages (ChatMessageOut, ResponseMessageOut).
  if (streaming) return new Stream<Chunk>(reader as never, controller);
  const second = await readOrAbort(reader, controller.signal);
  if (second.type === 'error') throw errorFromBody(second.error.status, second.error.error);
  if (second.type !== 'completion') throw new Error(`unexpected host message '${second.type}'`);
  return second.completion as Whole;
}

/** Reads one message; an abort cancels the stream, which stops the work in the host. */
async function readOrAbort<M extends ChatMessageOut | ResponseMessageOut | EndpointMessageOut | LoadMessageOut>(
  reader: ReadableStreamDefaultReader<M>,
  signal: AbortSignal,
): Promise<M> {
  if (signal.aborted) {
    await reader.cancel();
    throw new APIUserAbortError();
  }
  const onAbort = () => void reader.cancel().catch(() => {});
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    const { value, done } = await reader.read();
    if (signal.aborted) throw new APIUserAbortError();
    if (done) throw new Error('The engine host closed the stream unexpectedly.');
    return value;
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}
