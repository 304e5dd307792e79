import type { StructuralTagFormat } from '@mlc-ai/web-xgrammar';
import type { ChatCompletionCreateParams, ChatCompletionMessage, FunctionDefinition, ResponseFormat, TokenLogprob } from '../protocol/chat.js';
import { BadRequestError } from '../protocol/errors.js';
import type { GrammarConstraint, LoadedModel, PreparedPrompt, PromptInput, TokenMaskSource } from './engine.js';
import { asBadRequest, lowerSchema, lowerStructuralFormat, toFormat, validateConstraint } from './grammar/constraint.js';
import { tokenMaskSource } from './grammar/matcher.js';
import { checkSchema } from './grammar/schema.js';
import {
  isReasoningTemplate,
  opensInPrompt,
  ReasoningParser,
  reasoningTags,
  type ReasoningTags,
} from './reasoning.js';
import { callsOnlyFormat, detectToolFormat, parametersSchema, triggeredCallsFormat, type ToolCallFormat, type ToolGrammar } from './tools/format.js';
import { ToolCallParser } from './tools/parser.js';
import { withDefaultToolPrompt } from './tools/prompt.js';

/**
 * Structured output, tools and reasoning for one chat request: what the request asks
 * (checked without a model), how the prompt is rendered, which grammar the engine must
 * enforce, and how each choice's text becomes content / reasoning_content / tool_calls.
 */

type FunctionToolDef = { type: 'function'; function: FunctionDefinition };
export type ToolMode = 'none' | 'auto' | 'required' | { name: string };
export type ReasoningFormat = 'parsed' | 'inline';

export interface StructuredRequest {
  /** The tools the model may call (none when tool_choice is 'none'). */
  tools: FunctionToolDef[];
  toolMode: ToolMode;
  parallel: boolean;
  /** A non-text response_format. */
  responseFormat: Exclude<ResponseFormat, { type: 'text' }> | null;
  reasoning: ReasoningFormat;
  /** Hugging Face's `tool_prompt`: the default tool prompt's instruction, replaced. */
  toolPrompt: string | null;
}

/** Every check that needs no model: 400s before the request waits in the queue. */
export function resolveStructured(params: ChatCompletionCreateParams): StructuredRequest {
  const format = params.response_format && params.response_format.type !== 'text' ? params.response_format : null;
  if (format?.type === 'json_schema' && format.json_schema.schema != null) {
    checkOrThrow(format.json_schema.schema, 'response_format', 'response_format.json_schema.schema');
  }
  if (format?.type === 'structural_tag') checkStructuralTagShape(format);

  const all = params.tools ?? [];
  all.forEach((t, i) => {
    if (t.type !== 'function') {
      throw new BadRequestError(`Tool type '${t.type}' is not supported; use function tools.`, { param: `tools[${i}].type`, code: 'unsupported_parameter' });
    }
  });
  const choice = params.tool_choice ?? (all.length ? 'auto' : 'none');
  let tools = all as FunctionToolDef[];
  let toolMode: ToolMode;
  if (typeof choice === 'string') {
    toolMode = choice;
  } else if (choice.type === 'function') {
    toolMode = { name: choice.function.name };
    if (!tools.some((t) => t.function.name === choice.function.name)) {
      throw new BadRequestError(`tool_choice names function '${choice.function.name}', which is not in tools.`, { param: 'tool_choice', code: 'invalid_value' });
    }
  } else if (choice.type === 'allowed_tools') {
    const names = new Set(choice.allowed_tools.tools.map((t) => ((t as { function?: { name?: string } }).function?.name ?? (t as { name?: string }).name)));
    tools = tools.filter((t) => names.has(t.function.name));
    if (tools.length === 0) throw new BadRequestError('tool_choice.allowed_tools names no function from tools.', { param: 'tool_choice', code: 'invalid_value' });
    toolMode = choice.allowed_tools.mode;
  } else {
    throw new BadRequestError('Custom tools are not supported.', { param: 'tool_choice', code: 'unsupported_parameter' });
  }
  if (toolMode !== 'none' && toolMode !== 'auto' && all.length === 0) {
    throw new BadRequestError("tool_choice is only allowed when 'tools' are specified.", { param: 'tool_choice', code: 'invalid_value' });
  }
  if (toolMode === 'none') tools = [];
  tools.forEach((t) => {
    const i = all.indexOf(t);
    checkOrThrow(parametersSchema(t.function), `tools[${i}].function.parameters`, `tools[${i}].function.parameters`);
  });
  if (tools.length === 0 && toolMode === 'auto') toolMode = 'none';
  const reasoning: ReasoningFormat = params.reasoning_format ?? 'parsed';
  return { tools, toolMode, parallel: params.parallel_tool_calls !== false, responseFormat: format, reasoning, toolPrompt: params.tool_prompt ?? null };
}

function checkOrThrow(schema: unknown, param: string, what: string): void {
  try {
    checkSchema(schema);
  } catch (err) {
    asBadRequest(err, param, what);
  }
}

type StructuralTagRequest = Extract<ResponseFormat, { type: 'structural_tag' }>;

function checkStructuralTagShape(format: StructuralTagRequest): void {
  const f = format as StructuralTagRequest & { format?: unknown };
  if (f.format !== undefined && f.format !== null) return;
  if (!f.structures?.length || !f.triggers?.length) {
    throw new BadRequestError("A structural_tag response_format needs 'structures' and 'triggers' (or a 'format').", { param: 'response_format', code: 'invalid_value' });
  }
  f.structures.forEach((s, i) => {
    if (!f.triggers!.some((t) => s.begin.startsWith(t))) {
      throw new BadRequestError(`structures[${i}].begin does not start with any of the triggers.`, { param: 'response_format', code: 'invalid_value' });
    }
    checkOrThrow(s.schema, 'response_format', `response_format.structures[${i}].schema`);
  });
}

// ---- preparing a job ---------------------------------------------------------------------

/** How each choice's text is shaped into the message. */
export interface OutputSpec {
  tools: { names: Set<string>; maxCalls: number; format: ToolCallFormat } | null;
  reasoning: { tags: ReasoningTags[]; startInside: ReasoningTags | null } | null;
}

export interface PreparedStructured {
  prompt: PreparedPrompt;
  output: OutputSpec;
  /** The constraint to enforce (on GenerateOptions.grammar) and, for logits engines, core's mask. */
  grammar: GrammarConstraint | null;
  tokenMask: TokenMaskSource | null;
}

const templateRendersTools = new WeakMap<LoadedModel, boolean>();

export async function prepareStructured(
  params: ChatCompletionCreateParams,
  model: LoadedModel,
  input: PromptInput,
  /** The request's: aborting it stops a grammar compile (the lazy engine checks it between slices). */
  signal?: AbortSignal,
): Promise<PreparedStructured> {
  const req = resolveStructured(params);
  const render = (i: PromptInput) => model.prepareChat(i);

  // Tools reach the model through its template when the template renders them (the
  // prompt changes), otherwise through the default tool prompt.
  let prompt: PreparedPrompt;
  let defaultPrompt = false;
  if (req.tools.length) {
    // Learnt once per model: does its template render `tools` (does the prompt change)?
    let renders = templateRendersTools.get(model);
    let withTools: PreparedPrompt | null = null;
    if (renders !== false) {
      withTools = await render({ ...input, tools: req.tools }).catch(() => null);
      if (renders === undefined && withTools) {
        const without = await render({ ...input, tools: undefined }).catch(() => null);
        renders = !!without && withTools.text !== without.text;
        templateRendersTools.set(model, renders);
      }
    }
    if (renders && withTools) {
      prompt = withTools;
    } else {
      prompt = await render({ ...input, messages: withDefaultToolPrompt(input.messages, req.tools, req.toolPrompt), tools: undefined });
      defaultPrompt = true;
    }
  } else {
    prompt = await render({ ...input, tools: undefined });
  }

  const toolFormat = defaultPrompt ? 'hermes' : detectToolFormat(model.chatTemplate, prompt.text);
  const tags = reasoningTags(model.chatTemplate);
  const startInside = req.reasoning === 'parsed' ? opensInPrompt(prompt.text, tags) : null;
  const output: OutputSpec = {
    tools: req.tools.length ? { names: new Set(req.tools.map((t) => t.function.name)), maxCalls: req.parallel ? Infinity : 1, format: toolFormat } : null,
    reasoning: req.reasoning === 'parsed' ? { tags, startInside } : null,
  };

  const enforceable = !!model.nativeGrammar || !!model.tokenVocabulary;
  const built = await buildConstraint(req, toolFormat, enforceable);
  if (!built) return { prompt, output, grammar: null, tokenMask: null };
  if (!enforceable) {
    throw new BadRequestError(
      `Model '${model.id}' (engine '${model.engine}') cannot enforce ${built.what}: its engine exposes neither logits nor grammar-constrained decoding, and the output would not be guaranteed.`,
      { param: built.param, code: 'unsupported_parameter' },
    );
  }
  let grammar = built.constraint;
  // A reasoning model thinks first: the grammar allows its block before the output.
  if (isReasoningTemplate(model.chatTemplate)) grammar = allowReasoning(grammar, opensInPrompt(prompt.text, tags), tags[0]!);

  try {
    if (model.nativeGrammar) {
      await validateConstraint(grammar);
      return { prompt, output, grammar, tokenMask: null };
    }
    if (model.tokenVocabulary) {
      return { prompt, output, grammar, tokenMask: refusing(await tokenMaskSource(model, grammar, signal), built) };
    }
  } catch (err) {
    asBadRequest(err, built.param, built.what);
  }
  throw new Error('unreachable');
}

/**
 * The mask source with the grammar's own failures during decoding (a grammar found too
 * ambiguous only as the text grows) turned into the 400 naming the param, like at compile.
 */
function refusing(source: TokenMaskSource, built: BuiltConstraint): TokenMaskSource {
  const guard = <T>(run: () => T): T => {
    try {
      return run();
    } catch (err) {
      return asBadRequest(err, built.param, built.what);
    }
  };
  return {
    async create() {
      const mask = await source.create().catch((err) => asBadRequest(err, built.param, built.what));
      // Wrapped in place: the mask stays the engine's own object.
      const next = mask.next.bind(mask);
      const accept = mask.accept.bind(mask);
      mask.next = () => next().catch((err) => asBadRequest(err, built.param, built.what));
      mask.accept = (id) => guard(() => accept(id));
      return mask;
    },
  };
}

interface BuiltConstraint {
  constraint: GrammarConstraint;
  /** Where a problem is reported. */
  param: string;
  what: string;
  /** Only improves the output (tool_choice auto): may be dropped where it cannot be enforced. */
  optional: boolean;
}

async function buildConstraint(req: StructuredRequest, format: ToolCallFormat, enforceable: boolean): Promise<BuiltConstraint | null> {
  const forced = req.toolMode === 'required' || typeof req.toolMode === 'object';
  if (!enforceable && (req.responseFormat || forced)) {
    // Nothing to compile: the engine could not enforce it anyway (a 400 below).
    const param = forced ? 'tool_choice' : 'response_format';
    return { constraint: { type: 'json_object' }, param, what: forced ? 'a forced tool call' : `response_format '${req.responseFormat!.type}'`, optional: false };
  }
  if (!enforceable) return null;
  const rf = req.responseFormat ? await responseFormatConstraint(req.responseFormat) : null;
  if (req.toolMode === 'none' || req.tools.length === 0) {
    return rf ? { constraint: rf, param: 'response_format', what: `response_format '${req.responseFormat!.type}'`, optional: false } : null;
  }
  const chosen = typeof req.toolMode === 'object' ? req.tools.filter((t) => t.function.name === (req.toolMode as { name: string }).name) : req.tools;
  const grammars: ToolGrammar[] = await Promise.all(chosen.map(async (t) => {
    const i = req.tools.indexOf(t);
    try {
      return { name: t.function.name, arguments: await lowerSchema(parametersSchema(t.function)) };
    } catch (err) {
      return asBadRequest(err, `tools[${i}].function.parameters`, `tools[${i}].function.parameters`);
    }
  }));
  const tag = (format: StructuralTagFormat): GrammarConstraint => ({ type: 'structural_tag', structuralTag: { type: 'structural_tag', format } });
  if (req.toolMode === 'required' || typeof req.toolMode === 'object') {
    const parallel = req.toolMode === 'required' && req.parallel;
    return { constraint: tag(callsOnlyFormat(format, grammars, parallel)), param: 'tool_choice', what: 'a forced tool call', optional: false };
  }
  // auto
  if (rf) {
    return {
      constraint: tag({ type: 'or', elements: [callsOnlyFormat(format, grammars, req.parallel), toFormat(rf)] }),
      param: 'response_format',
      what: `response_format '${req.responseFormat!.type}'`,
      optional: false,
    };
  }
  if (format !== 'hermes') return null;
  return { constraint: tag(triggeredCallsFormat(grammars, req.parallel)), param: 'tools', what: 'tool calls', optional: true };
}

async function responseFormatConstraint(rf: NonNullable<StructuredRequest['responseFormat']>): Promise<GrammarConstraint> {
  try {
    switch (rf.type) {
      case 'json_object':
        return { type: 'json_object' };
      case 'json_schema':
        if (rf.json_schema.schema == null) return { type: 'json_object' };
        return { type: 'grammar', grammar: await lowerSchema(rf.json_schema.schema) };
      case 'grammar': {
        const c: GrammarConstraint = { type: 'grammar', grammar: rf.grammar };
        await validateConstraint(c);
        return c;
      }
      case 'regex': {
        const c: GrammarConstraint = { type: 'regex', pattern: rf.regex };
        await validateConstraint(c);
        return c;
      }
      case 'structural_tag': {
        const f = rf as StructuralTagRequest & { format?: unknown };
        const format = f.format != null
          ? await lowerStructuralFormat(f.format)
          : {
              type: 'triggered_tags' as const,
              triggers: f.triggers!,
              tags: await Promise.all(f.structures!.map(async (s) => ({
                type: 'tag' as const,
                begin: s.begin,
                content: { type: 'grammar' as const, grammar: await lowerSchema(s.schema) },
                end: s.end,
              }))),
            };
        const c: GrammarConstraint = { type: 'structural_tag', structuralTag: { type: 'structural_tag', format } };
        await validateConstraint(c);
        return c;
      }
    }
  } catch (err) {
    return asBadRequest(err, 'response_format', 'response_format');
  }
}

/** A reasoning block (free text up to the closing tag) may come before the output. */
function allowReasoning(c: GrammarConstraint, openedInPrompt: ReasoningTags | null, tags: ReasoningTags): GrammarConstraint {
  const inner = toFormat(c);
  const format: StructuralTagFormat = openedInPrompt
    ? { type: 'sequence', elements: [{ type: 'tag', begin: '', content: { type: 'any_text' }, end: openedInPrompt.close }, inner] }
    : {
        type: 'or',
        elements: [
          { type: 'sequence', elements: [{ type: 'tag', begin: tags.open, content: { type: 'any_text' }, end: tags.close }, inner] },
          inner,
        ],
      };
  return { type: 'structural_tag', structuralTag: { type: 'structural_tag', format } };
}

// ---- shaping the output ------------------------------------------------------------------

export interface ToolCallDelta {
  index: number;
  id?: string;
  type?: 'function';
  function?: { name?: string; arguments?: string };
}

export interface OutputDelta {
  content?: string;
  reasoning_content?: string;
  tool_calls?: ToolCallDelta[];
  /** The logprobs of the tokens whose text this delta completes (content chunks). */
  logprobs: TokenLogprob[] | null;
}

/**
 * One choice's text -> OpenAI deltas. Token logprobs ride on the next delta that is sent
 * (text held back, e.g. a possible tool call, keeps its logprobs until it goes out).
 */
export class OutputShaper {
  private readonly reasoning: ReasoningParser | null;
  private readonly tools: ToolCallParser | null;
  private pendingLogprobs: TokenLogprob[] | null = null;

  constructor(spec: OutputSpec, private readonly wantLogprobs: boolean) {
    this.reasoning = spec.reasoning ? new ReasoningParser(spec.reasoning.tags, spec.reasoning.startInside) : null;
    this.tools = spec.tools ? new ToolCallParser({ names: spec.tools.names, maxCalls: spec.tools.maxCalls, format: spec.tools.format }) : null;
  }

  get toolCalls(): number {
    return this.tools?.calls ?? 0;
  }

  /** Whether the model is writing its reasoning now (see ReasoningParser). */
  get inReasoning(): boolean {
    return this.reasoning?.inReasoning ?? false;
  }

  push(text: string, logprobs: TokenLogprob[] | null): OutputDelta[] {
    if (logprobs?.length) (this.pendingLogprobs ??= []).push(...logprobs);
    const events = this.reasoning ? this.reasoning.push(text) : [{ type: 'content' as const, text }];
    return this.shape(events, false);
  }

  finish(): OutputDelta[] {
    const events = this.reasoning ? this.reasoning.finish() : [];
    return this.shape(events, true);
  }

  private shape(events: Array<{ type: 'reasoning' | 'content'; text: string }>, final: boolean): OutputDelta[] {
    const deltas: OutputDelta[] = [];
    const add = (d: Omit<OutputDelta, 'logprobs'>) => {
      const last = deltas[deltas.length - 1];
      if (last && d.content !== undefined && last.content !== undefined) { last.content += d.content; return; }
      if (last && d.reasoning_content !== undefined && last.reasoning_content !== undefined) { last.reasoning_content += d.reasoning_content; return; }
      deltas.push({ ...d, logprobs: null });
    };
    const toolEvents = (list: ReturnType<ToolCallParser['push']>) => {
      for (const e of list) {
        if (e.type === 'content') add({ content: e.text });
        else if (e.type === 'call') add({ tool_calls: [{ index: e.index, id: e.id, type: 'function', function: { name: e.name, arguments: '' } }] });
        else {
          const last = deltas[deltas.length - 1];
          const open = last?.tool_calls?.[0];
          // The header delta (index, id, type, name, arguments '') stays on its own, as OpenAI sends it.
          if (open && open.index === e.index && open.id === undefined && last!.tool_calls!.length === 1 && open.function) {
            open.function.arguments = (open.function.arguments ?? '') + e.text;
          } else {
            add({ tool_calls: [{ index: e.index, function: { arguments: e.text } }] });
          }
        }
      }
    };
    for (const e of events) {
      if (e.type === 'reasoning') add({ reasoning_content: e.text });
      else if (this.tools) toolEvents(this.tools.push(e.text));
      else add({ content: e.text });
    }
    if (final && this.tools) toolEvents(this.tools.finish());
    if (this.pendingLogprobs && this.wantLogprobs) {
      if (deltas.length) {
        deltas[0]!.logprobs = this.pendingLogprobs;
        this.pendingLogprobs = null;
      } else if (final) {
        deltas.push({ content: '', logprobs: this.pendingLogprobs });
        this.pendingLogprobs = null;
      }
    }
    return deltas;
  }
}

// ---- reassembling the message ------------------------------------------------------------

/** A choice's message as its deltas build it up (the non-streaming answer = the stream folded). */
export interface MessageParts {
  content: string;
  reasoning: string;
  calls: Array<{ id: string; name: string; arguments: string }>;
}

export function newMessageParts(): MessageParts {
  return { content: '', reasoning: '', calls: [] };
}

export function addDelta(parts: MessageParts, delta: { content?: string | null; reasoning_content?: string; tool_calls?: ToolCallDelta[] }): void {
  if (delta.content) parts.content += delta.content;
  if (delta.reasoning_content) parts.reasoning += delta.reasoning_content;
  for (const t of delta.tool_calls ?? []) {
    const call = (parts.calls[t.index] ??= { id: '', name: '', arguments: '' });
    if (t.id) call.id = t.id;
    if (t.function?.name) call.name += t.function.name;
    if (t.function?.arguments) call.arguments += t.function.arguments;
  }
}

/** OpenAI's message: content null when the reply is only tool calls. */
export function toMessage(parts: MessageParts): ChatCompletionMessage {
  const calls = parts.calls.filter(Boolean);
  return {
    role: 'assistant',
    content: calls.length && !parts.content ? null : parts.content,
    refusal: null,
    ...(calls.length ? { tool_calls: calls.map((c) => ({ id: c.id, type: 'function' as const, function: { name: c.name, arguments: c.arguments } })) } : {}),
    ...(parts.reasoning ? { reasoning_content: parts.reasoning } : {}),
  };
}
