import { MLCEngine, type InitProgressReport, type LogitProcessor, type MLCEngineConfig, type ResponseFormat } from '@mlc-ai/web-llm';
import type { ChatConfig, ConvTemplateConfig } from '@mlc-ai/web-llm/lib/config';
import { createRng } from '../../../src/core/rng.js';
import { loadXGrammar, type XG } from './xgrammar.js';

/**
 * A scripted stand-in for web-llm's GPU half, driven by web-llm's REAL MLCEngine.
 *
 * Only `reload()` (which needs WebGPU, downloads and compiled model libraries) and the
 * LLMChatPipeline (which runs the model on the GPU) are replaced. Everything between our
 * adapter and the pipeline is web-llm's own code from node_modules: request validation
 * (`postInitAndCheckFields`), `chatCompletion`/`completion`, the streaming generator
 * `asyncGenerate` with its lock and interrupt handling, the chunks it builds, the
 * conversation templates (`Conversation`) and KV-cache reuse decisions
 * (`preparePrefillInput`), `unload()`.
 *
 * The pipeline mirrors LLMChatPipeline's contract as of web-llm 0.2.86: prefill renders
 * the conversation web-llm hands it (`getPromptArray`, tokenized piece by piece, with
 * `system_prefix_token_ids`), each step applies the grammar mask with the real xgrammar
 * exactly as web-llm compiles `response_format`, then the registered LogitProcessor, then
 * samples as web-llm's GPU sampler does (logit_bias, penalties, temperature, top_p, its own
 * seeded RNG), then `processSampledToken`, grammar `acceptToken`, and web-llm's stop rules (stop
 * tokens, stop strings, max_tokens, context window). Its "model" is a script: logits per
 * step from the text generated so far.
 */

export const EOS = 0;
export const IM_END = 1;
export const BOS = 2;
const SPECIALS = ['<eos>', '<|im_end|>', '<s>', '<|im_start|>'];
export const PEAK = 40;

export const CHATML: ConvTemplateConfig = {
  system_template: '<|im_start|>system\n{system_message}<|im_end|>\n',
  system_message: 'You are a helpful assistant.',
  roles: { user: '<|im_start|>user', assistant: '<|im_start|>assistant', tool: '<|im_start|>user' } as ConvTemplateConfig['roles'],
  seps: ['<|im_end|>\n'],
  role_content_sep: '\n',
  role_empty_sep: '\n',
  stop_str: ['<|im_end|>'],
  stop_token_ids: [EOS, IM_END],
  system_prefix_token_ids: [BOS],
};

/** Llama-2's shape: a multi-token text stop string, no role after the system prompt. */
export const LLAMA2: ConvTemplateConfig = {
  system_template: '[INST] <<SYS>>\n{system_message}\n<</SYS>>\n\n',
  system_message: '',
  roles: { user: '[INST]', assistant: '[/INST]' } as ConvTemplateConfig['roles'],
  seps: [' ', ' </s>'],
  role_content_sep: ' ',
  role_empty_sep: ' ',
  stop_str: ['[INST]'],
  stop_token_ids: [EOS],
  system_prefix_token_ids: [BOS],
  add_role_after_system_message: false,
  render_empty_system_message: false,
};

/** Byte-level tokenizer: specials, printable ASCII and `\n` as single chars, any extra words, 256 byte tokens. */
export class FakeTokenizer {
  readonly vocab: string[];
  private readonly index = new Map<string, number>();
  private readonly maxLen: number;
  readonly byteBase: number;

  constructor(words: string[] = []) {
    const chars = ['\n', ...Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i))];
    const extra = words.filter((w) => w.length > 1 && !SPECIALS.includes(w));
    this.vocab = [...SPECIALS, ...chars, ...new Set(extra)];
    this.byteBase = this.vocab.length;
    for (let b = 0; b < 256; b++) this.vocab.push(`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`);
    this.vocab.slice(0, this.byteBase).forEach((t, i) => this.index.set(t, i));
    this.maxLen = Math.max(...this.vocab.slice(0, this.byteBase).map((t) => t.length));
  }

  id(piece: string): number {
    const id = this.index.get(piece);
    if (id === undefined) throw new Error(`not in the vocabulary: ${JSON.stringify(piece)}`);
    return id;
  }

  /** Greedy longest match; anything else as UTF-8 byte tokens. */
  encode(text: string): Int32Array {
    const out: number[] = [];
    let i = 0;
    while (i < text.length) {
      let matched = 0;
      for (let len = Math.min(this.maxLen, text.length - i); len > 0; len--) {
        const id = this.index.get(text.slice(i, i + len));
        if (id !== undefined) { out.push(id); matched = len; break; }
      }
      if (matched) { i += matched; continue; }
      const cp = text.codePointAt(i)!;
      const ch = String.fromCodePoint(cp);
      for (const b of new TextEncoder().encode(ch)) out.push(this.byteBase + b);
      i += ch.length;
    }
    return Int32Array.from(out);
  }

  decode(ids: Int32Array | number[]): string {
    const bytes: number[] = [];
    for (const id of ids) {
      if (id >= this.byteBase) bytes.push(id - this.byteBase);
      else bytes.push(...new TextEncoder().encode(this.vocab[id]!));
    }
    return new TextDecoder().decode(Uint8Array.from(bytes));
  }

  /** The pieces of a text as this tokenizer splits it (for scripts). */
  pieces(text: string): string[] {
    return Array.from(this.encode(text), (id) => this.vocab[id]!);
  }
}

export interface WebLLMScript {
  /** Words (multi-char tokens) the tokenizer knows, besides single characters. */
  words?: string[];
  template?: ConvTemplateConfig;
  /** The reply, as text (tokenized) or a function of the rendered prompt; then the end token. */
  reply?: string | ((prompt: string) => string);
  /** Full control: logits by piece for the next step, given the text generated so far. Others get 0. */
  logits?: (generated: string, step: number) => Record<string, number>;
  /** After the reply: end token (default) or keep saying `filler`. */
  eos?: boolean;
  filler?: string;
  contextWindow?: number;
  /** mlc-chat-config.json sampling defaults. */
  config?: Partial<ChatConfig>;
  /** Pause per step (default: one macrotask). */
  stepDelayMs?: number;
  /** Throw this at the given decode step. */
  failAt?: { step: number; error: Error };
  /** reload(): progress reports and a pause between them, or an error. */
  loadDelayMs?: number;
  loadError?: Error;
}

/** One call our adapter made on the MLCEngine, as it made it. */
export interface RecordedCall {
  method: 'reload' | 'unload' | 'chatCompletion' | 'completion' | 'interruptGenerate' | 'embedding';
  args: unknown[];
}

/** web-llm's CustomLock (not exported), same semantics: FIFO hand-over, release must follow acquire. */
export class FifoLock {
  acquired = false;
  private readonly queue: Array<() => void> = [];
  async acquire(): Promise<void> {
    if (!this.acquired) { this.acquired = true; return; }
    return new Promise((resolve) => this.queue.push(resolve));
  }
  async release(): Promise<void> {
    if (!this.acquired) throw Error('InternalError: expect lock is acquired upon release()');
    const next = this.queue.shift();
    if (next) next();
    else this.acquired = false;
  }
}

interface Prefill {
  tokens: number[];
  /** The KV cache was empty (a fresh conversation) rather than reused. */
  fresh: boolean;
  /** Images appear as `<image>`. */
  text: string;
  /** The image URLs web-llm's Conversation placed in the prompt, in prefill order. */
  images: string[];
}

/**
 * Embedding tokens per image, as LLMChatPipeline.computeImageEmbedSize (0.2.86):
 * `mm_tokens_per_image`, or phi3_v's crop formula from the image's size (read from the
 * PNG header of the data URL, as web-llm would after decoding it).
 */
function imageTokens(config: ChatConfig, url: string): number {
  const fixed = (config as { model_config?: { mm_tokens_per_image?: number } }).model_config?.mm_tokens_per_image;
  if (fixed) return fixed;
  if ((config as { model_type?: string }).model_type !== 'phi3_v') throw new Error('scripted pipeline: no image embed size');
  const png = Buffer.from(url.slice(url.indexOf(',') + 1), 'base64');
  const w = png.readUInt32BE(16), h = png.readUInt32BE(20);
  const ratio = w / h;
  let scale = 1;
  while (scale * Math.ceil(scale / ratio) <= 16) scale += 1;
  scale -= 1;
  const newW = scale * 336, newH = Math.floor(newW / ratio);
  const cropH = Math.ceil(newH / 336), cropW = newW / 336;
  return cropH * 12 * (cropW * 12 + 1) + 1 + 12 * 13;
}

type Conversation = {
  isTextCompletion: boolean;
  prompt?: string;
  appendMessage(role: string, message: string, name?: string): void;
  appendReplyHeader(role: string): void;
  appendEmptyThinkingReplyHeader(role: string, s: string): void;
  finishReply(message: string): void;
  getPromptArray(config?: unknown): Array<string | unknown[]>;
  getPromptArrayLastRound(config?: unknown): Array<string | unknown[]>;
  getStopStr(): string[];
  getStopTokens(): number[];
};

export class ScriptedPipeline {
  readonly tokenizer: FakeTokenizer;
  readonly config: ChatConfig;
  conversation!: Conversation;
  readonly prefills: Prefill[] = [];
  readonly genConfigs: Array<Record<string, unknown>> = [];
  readonly responseFormats: Array<ResponseFormat | undefined> = [];
  /** Every committed step's token, across calls. */
  readonly sampled: number[] = [];
  disposed = false;
  seeds: number[] = [];

  private rng = createRng(Date.now());
  private filled = 0;
  private outputIds: number[] = [];
  private outputMessage = '';
  private stopTriggered = false;
  private finishReason: string | undefined;
  private stopStr: string[] = [];
  private stopTokens: number[] = [];
  private step = 0;
  private totalSteps = 0;
  private grammarMatcher: { getNextTokenBitmask(): Promise<Int32Array>; acceptToken(id: number): boolean; reset(): void; dispose(): void } | undefined;
  private grammarKey: string | undefined;
  private compiler: { compileJSONSchema(s?: string): Promise<unknown>; compileGrammar(g: string): Promise<unknown>; compileStructuralTag(t: unknown): Promise<unknown>; compileBuiltinJSONGrammar(): Promise<unknown> } | undefined;

  constructor(
    readonly script: WebLLMScript,
    readonly logitProcessor: LogitProcessor | undefined,
    private readonly xg: () => Promise<XG>,
  ) {
    this.tokenizer = new FakeTokenizer(script.words);
    const template = script.template ?? CHATML;
    this.config = {
      tokenizer_files: ['tokenizer.json'],
      vocab_size: this.tokenizer.vocab.length,
      conv_template: template,
      context_window_size: script.contextWindow ?? 1024,
      sliding_window_size: -1,
      attention_sink_size: -1,
      repetition_penalty: 1,
      frequency_penalty: 0,
      presence_penalty: 0,
      top_p: 1,
      temperature: 0.7,
      ...script.config,
    } as ChatConfig;
    // LLMChatPipeline starts with an empty Conversation of its template (the class is not
    // exported; these are the fields web-llm's compareConversationObject reads).
    this.conversation = {
      messages: [], function_string: '', use_function_calling: false, override_system_message: undefined, isTextCompletion: false,
      config: template, getStopStr: () => template.stop_str, getStopTokens: () => template.stop_token_ids,
    } as unknown as Conversation;
    this.setConversation(this.conversation);
  }

  // ---- what MLCEngine calls -------------------------------------------------------------

  getSupportedInputKinds(): undefined { return undefined; }
  setSeed(seed: number): void {
    this.seeds.push(seed);
    this.rng = createRng(seed);
  }
  getConversationObject(): Conversation { return this.conversation; }
  setConversation(conv: Conversation): void {
    this.conversation = conv;
    this.stopStr = conv.getStopStr();
    this.stopTokens = conv.getStopTokens();
  }
  resetChat(): void {
    this.filled = 0;
    this.outputIds = [];
    this.outputMessage = '';
    this.finishReason = undefined;
    this.logitProcessor?.resetState();
  }
  getFinishReason(): string | undefined { return this.finishReason; }
  stopped(): boolean { return this.stopTriggered; }
  getMessage(): string { return this.outputMessage; }
  getTokenLogprobArray(): unknown[] { return []; }
  getCurRoundCompletionTotalTokens(): number { return this.outputIds.length; }
  getCurRoundDecodingTotalTokens(): number { return this.step; }
  getCurRoundPrefillTotalTokens(): number { return this.prefills.at(-1)?.tokens.length ?? 0; }
  getCurRoundDecodingTotalTime(): number { return 1; }
  getCurRoundPrefillTotalTime(): number { return 1; }
  getCurRoundPrefillTokensPerSec(): number { return 1; }
  getCurRoundDecodingTokensPerSec(): number { return 1; }
  getCurRoundGrammarInitTotalTime(): number { return 0; }
  getCurRoundGrammarPerTokenTotalTime(): number { return 0; }
  getCurRoundLatencyBreakdown(): Record<string, number[]> { return {}; }
  dispose(): void { this.disposed = true; }
  async sync(): Promise<void> {}

  triggerStop(): void {
    if (this.stopTriggered) return;
    this.stopTriggered = true;
    this.finishReason = 'abort';
    if (!this.conversation.isTextCompletion) this.conversation.finishReply(this.outputMessage);
  }

  async prefillStep(inp: string, msgRole: string, inpRoleStr: string | undefined, genConfig: Record<string, unknown>): Promise<void> {
    if (msgRole !== 'user' && msgRole !== 'tool') throw Object.assign(new Error('The last message should be from `user` or `tool`.'), { name: 'MessageOrderError' });
    this.genConfigs.push({ ...genConfig });
    this.outputIds = [];
    this.outputMessage = '';
    this.stopTriggered = false;
    this.finishReason = undefined;
    this.step = 0;
    const grammarInit = this.prepareGrammar(genConfig.response_format as ResponseFormat | undefined);
    const conv = this.conversation;
    if (conv.isTextCompletion) conv.prompt = inp;
    else {
      conv.appendMessage(msgRole, inp, inpRoleStr);
      if (genConfig.enable_thinking === false) {
        const empty = '<think>\n\n</think>\n\n';
        this.outputIds.push(...this.tokenizer.encode(empty));
        conv.appendEmptyThinkingReplyHeader('assistant', empty);
      } else conv.appendReplyHeader('assistant');
    }
    const fresh = this.filled === 0;
    const prompts = conv.isTextCompletion ? [conv.prompt!] : fresh ? conv.getPromptArray(this.config) : conv.getPromptArrayLastRound(this.config);
    const tokens: number[] = fresh && !conv.isTextCompletion ? [...(conv as unknown as { config: ConvTemplateConfig }).config.system_prefix_token_ids ?? []] : [];
    let counted = 0;
    const images: string[] = [];
    let text = '';
    for (const p of prompts) {
      // A message with images: strings and ImageURLs in prefill order (getPromptArray).
      for (const piece of typeof p === 'string' ? [p] : (p as Array<string | { url: string }>)) {
        if (typeof piece === 'string') {
          const ids = this.tokenizer.encode(piece);
          counted += ids.length;
          tokens.push(...ids);
          text += piece;
        } else {
          if (!piece.url.startsWith('data:image/')) throw new Error(`scripted pipeline: web-llm would fetch ${piece.url}`);
          const n = imageTokens(this.config, piece.url);
          counted += n;
          tokens.push(...new Array<number>(n).fill(-1));
          images.push(piece.url);
          text += '<image>';
        }
      }
    }
    if (counted + this.filled > this.config.context_window_size) {
      throw Object.assign(
        new Error(`Prompt tokens exceed context window size: number of prompt tokens: ${counted}; context window size: ${this.config.context_window_size}\nConsider shortening the prompt, or increase \`context_window_size\`, or using sliding window via \`sliding_window_size\`.`),
        { name: 'ContextWindowSizeExceededError' },
      );
    }
    this.prefills.push({ tokens, fresh, text, images });
    this.filled += tokens.length;
    await grammarInit;
    await this.sampleAndCommit(genConfig);
  }

  async decodeStep(genConfig: Record<string, unknown>): Promise<void> {
    if (this.stopTriggered) throw Error('Cannot run decode when stopped');
    this.filled += 1;
    await this.sampleAndCommit(genConfig);
  }

  // ---- the scripted model ---------------------------------------------------------------

  private async sampleAndCommit(genConfig: Record<string, unknown>): Promise<void> {
    const { script } = this;
    await pause(script.stepDelayMs);
    if (script.failAt && this.totalSteps === script.failAt.step) {
      this.totalSteps++;
      throw script.failAt.error;
    }
    this.totalSteps++;
    let logits = this.logits();
    // web-llm: 0. grammar bitmask, 1. LogitProcessor, 2.-4. bias, penalties, sampling.
    if (this.grammarMatcher) {
      const mask = await this.grammarMatcher.getNextTokenBitmask();
      for (let id = 0; id < logits.length; id++) if (!((mask[id >> 5]! >>> (id & 31)) & 1)) logits[id] = -Infinity;
    }
    if (this.logitProcessor) logits = this.logitProcessor.processLogits(logits);
    const next = this.sample(logits, genConfig);
    this.step++;
    this.sampled.push(next);
    // commitSamplerState, then processNextToken.
    this.logitProcessor?.processSampledToken(next);
    if (this.grammarMatcher && !this.grammarMatcher.acceptToken(next)) throw Error('Grammar matcher rejected the newly sampled token.');
    this.processNextToken(next, genConfig);
  }

  /**
   * web-llm's GPU sampler (sampleFromRawLogits 2.-4.): logit_bias, then presence/frequency/
   * repetition penalties over the tokens generated this round, softmax with temperature
   * (at least 1e-6), top-p sampling with the RNG `setSeed` seeds. On a one-hot distribution
   * (core's pick) it returns that token whatever the settings.
   */
  private sample(input: Float32Array, genConfig: Record<string, unknown>): number {
    const logits = Float32Array.from(input);
    const num = (v: unknown, d: number) => (typeof v === 'number' ? v : d);
    for (const [id, bias] of Object.entries((genConfig.logit_bias as Record<string, number> | undefined) ?? {})) logits[Number(id)]! += bias;
    const presence = num(genConfig.presence_penalty, this.config.presence_penalty);
    const frequency = num(genConfig.frequency_penalty, this.config.frequency_penalty);
    const repetition = num(genConfig.repetition_penalty, this.config.repetition_penalty);
    const counts = new Map<number, number>();
    for (const id of this.outputIds) counts.set(id, (counts.get(id) ?? 0) + 1);
    for (const [id, count] of counts) {
      const v = logits[id]! - presence - frequency * count;
      logits[id] = repetition === 1 ? v : v > 0 ? v / repetition : v * repetition;
    }
    const temperature = Math.max(1e-6, num(genConfig.temperature, this.config.temperature));
    const topP = Math.max(1e-5, num(genConfig.top_p, this.config.top_p));
    let max = -Infinity;
    for (const v of logits) if (v > max) max = v;
    const probs = Array.from(logits, (v) => Math.exp((v - max) / temperature));
    const total = probs.reduce((a, b) => a + b, 0);
    const order = probs.map((p, id) => [p / total, id] as const).filter(([p]) => p > 0).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
    const nucleus: Array<readonly [number, number]> = [];
    let mass = 0;
    for (const entry of order) {
      nucleus.push(entry);
      mass += entry[0];
      if (mass >= topP) break;
    }
    let r = this.rng() * mass;
    for (const [p, id] of nucleus) {
      r -= p;
      if (r <= 0) return id;
    }
    return nucleus[nucleus.length - 1]![1];
  }

  private generatedText(): string {
    return this.tokenizer.decode(this.outputIds);
  }

  private logits(): Float32Array {
    const { script, tokenizer } = this;
    const logits = new Float32Array(tokenizer.vocab.length);
    const generated = this.generatedText();
    if (script.logits) {
      for (const [piece, value] of Object.entries(script.logits(generated, this.step))) logits[tokenizer.id(piece)] = value;
      return logits;
    }
    const promptText = this.prefills.at(-1)?.text ?? '';
    const reply = typeof script.reply === 'function' ? script.reply(promptText) : script.reply ?? '';
    const pieces = Array.from(tokenizer.encode(reply));
    if (this.step < pieces.length) logits[pieces[this.step]!] = PEAK;
    else {
      if (script.eos !== false) logits[this.stopTokens[0] ?? EOS] = PEAK;
      logits[tokenizer.id(script.filler ?? '~')] = PEAK / 2;
    }
    return logits;
  }

  /** web-llm's processNextToken. */
  private processNextToken(next: number, genConfig: Record<string, unknown>): void {
    const maxTokens = (genConfig.max_tokens as number | undefined) ?? Infinity;
    let stopStrs = this.stopStr;
    if (genConfig.stop) stopStrs = stopStrs.concat(genConfig.stop as string[]);
    let stopTokens = this.stopTokens;
    if (genConfig.ignore_eos) { stopTokens = []; stopStrs = []; }
    if (stopTokens.includes(next)) { this.stopTriggered = true; this.finishReason = 'stop'; }
    if (!this.stopTriggered) this.outputIds.push(next);
    let message = this.generatedText();
    for (const s of stopStrs) {
      const at = message.lastIndexOf(s);
      if (at !== -1) { message = message.substring(0, at); this.stopTriggered = true; this.finishReason = 'stop'; break; }
    }
    this.outputMessage = message;
    if (this.outputIds.length >= maxTokens) { this.stopTriggered = true; this.finishReason = 'length'; }
    if (this.filled + 1 >= this.config.context_window_size) { this.stopTriggered = true; this.finishReason = 'length'; }
    if (this.stopTriggered && !this.conversation.isTextCompletion) this.conversation.finishReply(this.outputMessage);
  }

  /** web-llm's prepareGrammarMatcherForSampling, against the real xgrammar. */
  private async prepareGrammar(format: ResponseFormat | undefined): Promise<void> {
    this.responseFormats.push(format);
    const constrained = format?.type === 'json_object' || format?.type === 'grammar' || format?.type === 'structural_tag';
    if (!constrained) return;
    const key = format.type === 'json_object' ? format.schema : format.type === 'grammar' ? format.grammar
      : typeof format.structural_tag === 'string' ? format.structural_tag : JSON.stringify(format.structural_tag);
    if (key === this.grammarKey && this.grammarMatcher) { this.grammarMatcher.reset(); return; }
    try {
      const xg = await this.xg();
      this.grammarMatcher?.dispose();
      this.grammarMatcher = undefined;
      if (!this.compiler) {
        const info = await xg.TokenizerInfo.createTokenizerInfo(this.tokenizer.vocab, 'byte_fallback', false, this.tokenizer.vocab.length, this.config.conv_template.stop_token_ids);
        this.compiler = (await xg.GrammarCompiler.createGrammarCompiler(info)) as never;
      }
      const c = this.compiler!;
      const grammar = format.type === 'json_object' ? await c.compileJSONSchema(format.schema)
        : format.type === 'grammar' ? await c.compileGrammar(format.grammar!)
        : await c.compileStructuralTag(format.structural_tag);
      this.grammarMatcher = (await xg.GrammarMatcher.createGrammarMatcher(grammar as never)) as never;
      this.grammarKey = key;
    } catch (err) {
      throw Object.assign(new Error(`Failed to initialize the grammar matcher for response format \`${format.type}\`: ${(err as Error).message}`), {
        name: 'GrammarMatcherInitError',
      });
    }
  }
}

/**
 * web-llm's EmbeddingPipeline (0.2.86) with a scripted model: embedStep tokenizes strings
 * and takes token arrays as web-llm does, refuses empty inputs and inputs over the context
 * window with web-llm's errors, and embeds each input as [token count, sum of ids, 1],
 * normalized (a stand-in for the GPU model's CLS + normalize).
 */
export class ScriptedEmbeddingPipeline {
  readonly tokenizer: FakeTokenizer;
  readonly config: { context_window_size: number; vocab_size: number; sliding_window_size: number };
  readonly inputs: number[][][] = [];
  disposed = false;
  private tokens = 0;

  constructor(script: WebLLMScript) {
    this.tokenizer = new FakeTokenizer(script.words);
    this.config = { context_window_size: script.contextWindow ?? 512, vocab_size: this.tokenizer.vocab.length, sliding_window_size: -1 };
  }

  async embedStep(input: string | string[] | number[] | number[][]): Promise<number[][]> {
    if (input.length === 0) throw Object.assign(new Error('Embedding input cannot be empty string or empty token array.'), { name: 'EmbeddingInputEmptyError' });
    const batch: number[][] = typeof input === 'string' ? [Array.from(this.tokenizer.encode(input))]
      : typeof input[0] === 'number' ? [input as number[]]
      : (input as Array<string | number[]>).map((x) => (typeof x === 'string' ? Array.from(this.tokenizer.encode(x)) : x));
    for (const ids of batch) {
      if (ids.length > this.config.context_window_size) {
        throw Object.assign(new Error(`The embedding input size ${ids.length} exceeds the context window size ${this.config.context_window_size}.`), { name: 'EmbeddingExceedContextWindowSizeError' });
      }
    }
    this.inputs.push(batch);
    this.tokens = batch.reduce((n, ids) => n + ids.length, 0);
    return batch.map((ids) => {
      const v = [ids.length, ids.reduce((a, b) => a + b, 0), 1];
      const norm = Math.hypot(...v);
      return v.map((x) => x / norm);
    });
  }

  getCurRoundEmbedTotalTokens(): number { return this.tokens; }
  getCurRoundEmbedTokensPerSec(): number { return 1000; }
  dispose(): void { this.disposed = true; }
}

export interface ScriptedWebLLM {
  /** The factory to hand `createWebLLMEngine({ createEngine })`. */
  createEngine: (config: MLCEngineConfig) => MLCEngine;
  engines: MLCEngine[];
  pipelines: ScriptedPipeline[];
  embeddingPipelines: ScriptedEmbeddingPipeline[];
  locks: FifoLock[];
  calls: RecordedCall[];
  configs: MLCEngineConfig[];
  /** Calls of one method, in order. */
  callsOf(method: RecordedCall['method']): RecordedCall[];
}

/** A factory of real MLCEngines whose GPU half is the scripted pipeline. */
export function scriptedWebLLM(scripts: Record<string, WebLLMScript>): ScriptedWebLLM {
  const out: ScriptedWebLLM = {
    engines: [],
    pipelines: [],
    embeddingPipelines: [],
    locks: [],
    calls: [],
    configs: [],
    callsOf: (method) => out.calls.filter((c) => c.method === method),
    createEngine: (config) => {
      out.configs.push(config);
      const engine = new MLCEngine(config);
      out.engines.push(engine);
      const internals = engine as unknown as {
        loadedModelIdToPipeline: Map<string, unknown>;
        loadedModelIdToChatConfig: Map<string, ChatConfig>;
        loadedModelIdToModelType: Map<string, number>;
        loadedModelIdToLock: Map<string, FifoLock>;
        reloadController?: AbortController;
        getLLMStates: (name: string, id?: string) => [string, ScriptedPipeline, ChatConfig];
        getEmbeddingStates: (name: string, id?: string) => [string, ScriptedEmbeddingPipeline, ChatConfig];
      };
      const record = <T extends unknown[], R>(method: RecordedCall['method'], fn: (...args: T) => R) =>
        (...args: T): R => {
          out.calls.push({ method, args: structuredClone(args) });
          return fn(...args);
        };
      const realUnload = engine.unload.bind(engine);
      engine.unload = record('unload', realUnload);
      engine.chatCompletion = record('chatCompletion', engine.chatCompletion.bind(engine)) as typeof engine.chatCompletion;
      engine.completion = record('completion', engine.completion.bind(engine)) as typeof engine.completion;
      engine.interruptGenerate = record('interruptGenerate', engine.interruptGenerate.bind(engine));
      // The real getLLMStates checks `instanceof LLMChatPipeline` (not exported).
      internals.getLLMStates = (_name, id) => {
        const key = id ?? [...internals.loadedModelIdToPipeline.keys()][0]!;
        const pipeline = internals.loadedModelIdToPipeline.get(key) as ScriptedPipeline | undefined;
        if (!pipeline) throw Object.assign(new Error('Model not loaded before trying to complete ChatCompletionRequest.'), { name: 'ModelNotLoadedError' });
        return [key, pipeline, internals.loadedModelIdToChatConfig.get(key)!];
      };
      // The real getEmbeddingStates checks `instanceof EmbeddingPipeline` (not exported).
      internals.getEmbeddingStates = (_name, id) => {
        const key = id ?? [...internals.loadedModelIdToPipeline.keys()][0]!;
        const pipeline = internals.loadedModelIdToPipeline.get(key);
        if (!(pipeline instanceof ScriptedEmbeddingPipeline)) {
          throw Object.assign(new Error(`${key} is not loaded as an EmbeddingPipeline.`), { name: 'IncorrectPipelineLoadedError' });
        }
        return [key, pipeline, internals.loadedModelIdToChatConfig.get(key)!];
      };
      engine.embedding = record('embedding', engine.embedding.bind(engine)) as typeof engine.embedding;
      // reload(): web-llm's shape (progress reports, abortable by unload(), AbortError swallowed).
      engine.reload = record('reload', async (modelId: string | string[]) => {
        await realUnload();
        const id = Array.isArray(modelId) ? modelId[0]! : modelId;
        const script = scripts[id];
        if (!script) {
          // web-llm's own error for an id missing from appConfig.
          return MLCEngine.prototype.reload.call(new MLCEngine({ appConfig: { model_list: [] }, logLevel: 'SILENT' }), id);
        }
        const controller = new AbortController();
        internals.reloadController = controller;
        try {
          const report = (r: InitProgressReport) => config.initProgressCallback?.(r);
          const steps: InitProgressReport[] = [
            { progress: 0, timeElapsed: 0, text: 'Start to fetch params' },
            { progress: 1 / 3, timeElapsed: 1, text: 'Fetching param cache[1/3]: 10MB fetched. 33% completed, 1 secs elapsed. It can take a while when we first visit this page to populate the cache. Later refreshes will become faster.' },
            { progress: 2 / 3, timeElapsed: 1, text: 'Fetching param cache[2/3]: 20MB fetched. 66% completed, 1 secs elapsed. It can take a while when we first visit this page to populate the cache. Later refreshes will become faster.' },
            { progress: 1, timeElapsed: 2, text: 'Fetching param cache[3/3]: 30MB fetched. 100% completed, 2 secs elapsed. It can take a while when we first visit this page to populate the cache. Later refreshes will become faster.' },
            { progress: 1, timeElapsed: 2, text: 'Loading model from cache[3/3]: 30MB loaded. 100% completed, 2 secs elapsed.' },
            { progress: 1, timeElapsed: 3, text: 'Loading GPU shader modules[12/12]: 100% completed, 3 secs elapsed.' },
          ];
          for (const r of steps) {
            if (controller.signal.aborted) throw new DOMException('Engine.unload() is called.', 'AbortError');
            report(r);
            await pause(script.loadDelayMs);
          }
          if (script.loadError) throw script.loadError;
          if (controller.signal.aborted) throw new DOMException('Engine.unload() is called.', 'AbortError');
          const record = config.appConfig?.model_list.find((r) => r.model_id === id);
          // web-llm builds an EmbeddingPipeline for its embedding model type (1).
          const embedding = (record as { model_type?: number } | undefined)?.model_type === 1;
          const pipeline = embedding ? new ScriptedEmbeddingPipeline(script) : new ScriptedPipeline(script, config.logitProcessorRegistry?.get(id), loadXGrammar);
          const lock = new FifoLock();
          if (pipeline instanceof ScriptedEmbeddingPipeline) out.embeddingPipelines.push(pipeline);
          else out.pipelines.push(pipeline);
          out.locks.push(lock);
          internals.loadedModelIdToPipeline.set(id, pipeline);
          internals.loadedModelIdToChatConfig.set(id, pipeline.config as ChatConfig);
          internals.loadedModelIdToModelType.set(id, (record as { model_type?: number } | undefined)?.model_type ?? 0);
          internals.loadedModelIdToLock.set(id, lock);
          report({ progress: 1, timeElapsed: 3, text: 'Finish loading on WebGPU - scripted' });
        } catch (err) {
          if (err instanceof DOMException && err.name === 'AbortError') return;
          throw err;
        } finally {
          internals.reloadController = undefined;
        }
      });
      return engine;
    },
  };
  return out;
}

function pause(ms: number | undefined): Promise<void> {
  return new Promise((resolve) => (ms ? setTimeout(resolve, ms) : setImmediate(resolve)));
}
