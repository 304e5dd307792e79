import { z } from 'zod';
import { MAX_TOOLS, samplingFields, Usage } from './common.js';

/**
 * The Chat Completions contract, as OpenAI documents it. Request objects are strict:
 * an unknown field is a 400 naming it, as OpenAI answers.
 */

// ---- content parts -------------------------------------------------------------------

export const TextPart = z.strictObject({ type: z.literal('text'), text: z.string() });

export const ImageURLPart = z.strictObject({
  type: z.literal('image_url'),
  image_url: z.strictObject({
    url: z.string().min(1),
    detail: z.enum(['auto', 'low', 'high']).nullish(),
  }),
});

export const InputAudioPart = z.strictObject({
  type: z.literal('input_audio'),
  input_audio: z.strictObject({ data: z.string().min(1), format: z.enum(['wav', 'mp3']) }),
});

/** vLLM's extension: a video by URL (data:, https:, blob: as for images); sampled to frames in the engine host. */
export const VideoURLPart = z.strictObject({
  type: z.literal('video_url'),
  video_url: z.strictObject({ url: z.string().min(1) }),
});

export const FilePart = z.strictObject({
  type: z.literal('file'),
  file: z.strictObject({
    file_data: z.string().nullish(),
    file_id: z.string().nullish(),
    filename: z.string().nullish(),
  }),
});

export const RefusalPart = z.strictObject({ type: z.literal('refusal'), refusal: z.string() });

export const UserContentPart = z.discriminatedUnion('type', [TextPart, ImageURLPart, InputAudioPart, VideoURLPart, FilePart]);
export type UserContentPart = z.infer<typeof UserContentPart>;

// ---- tool calls ----------------------------------------------------------------------

export const FunctionToolCall = z.strictObject({
  id: z.string(),
  type: z.literal('function'),
  function: z.strictObject({ name: z.string(), arguments: z.string() }),
});
export const CustomToolCall = z.strictObject({
  id: z.string(),
  type: z.literal('custom'),
  custom: z.strictObject({ name: z.string(), input: z.string() }),
});
export const ToolCall = z.discriminatedUnion('type', [FunctionToolCall, CustomToolCall]);
export type ToolCall = z.infer<typeof ToolCall>;

// ---- messages ------------------------------------------------------------------------

const textContent = z.union([z.string(), z.array(TextPart)]);

export const SystemMessage = z.strictObject({
  role: z.literal('system'),
  content: textContent,
  name: z.string().nullish(),
});
export const DeveloperMessage = z.strictObject({
  role: z.literal('developer'),
  content: textContent,
  name: z.string().nullish(),
});
export const UserMessage = z.strictObject({
  role: z.literal('user'),
  content: z.union([z.string(), z.array(UserContentPart)]),
  name: z.string().nullish(),
});
export const AssistantMessage = z.strictObject({
  role: z.literal('assistant'),
  content: z.union([z.string(), z.array(z.discriminatedUnion('type', [TextPart, RefusalPart]))]).nullish(),
  refusal: z.string().nullish(),
  name: z.string().nullish(),
  tool_calls: z.array(ToolCall).nullish(),
  /** Deprecated by OpenAI, still accepted. */
  function_call: z.strictObject({ name: z.string(), arguments: z.string() }).nullish(),
  audio: z.strictObject({ id: z.string() }).nullish(),
  /** Extension (vLLM, DeepSeek): a reasoning model's earlier thoughts. */
  reasoning_content: z.string().nullish(),
});
export const ToolMessage = z.strictObject({
  role: z.literal('tool'),
  content: textContent,
  tool_call_id: z.string(),
  /**
   * Not in OpenAI's reference, but its API accepts it and its own cookbook sends it (the
   * function's name); so does LangChain (a ToolMessage from tool.invoke(call) carries it).
   */
  name: z.string().nullish(),
});
/** Deprecated by OpenAI, still accepted. */
export const FunctionMessage = z.strictObject({
  role: z.literal('function'),
  content: z.string().nullable(),
  name: z.string(),
});

export const ChatMessage = z.discriminatedUnion('role', [
  SystemMessage,
  DeveloperMessage,
  UserMessage,
  AssistantMessage,
  ToolMessage,
  FunctionMessage,
]);
export type ChatMessage = z.infer<typeof ChatMessage>;

// ---- tools and response formats -------------------------------------------------------

export const FunctionDefinition = z.strictObject({
  name: z.string().regex(/^[a-zA-Z0-9_-]{1,64}$/, 'must be 1-64 characters of a-z, A-Z, 0-9, _ or -'),
  description: z.string().nullish(),
  parameters: z.record(z.string(), z.unknown()).nullish(),
  strict: z.boolean().nullish(),
});
export type FunctionDefinition = z.infer<typeof FunctionDefinition>;

export const FunctionTool = z.strictObject({ type: z.literal('function'), function: FunctionDefinition });
export const CustomTool = z.strictObject({
  type: z.literal('custom'),
  custom: z.strictObject({
    name: z.string(),
    description: z.string().nullish(),
    format: z.record(z.string(), z.unknown()).nullish(),
  }),
});
export const Tool = z.discriminatedUnion('type', [FunctionTool, CustomTool]);
export type Tool = z.infer<typeof Tool>;

export const ToolChoice = z.union([
  z.enum(['none', 'auto', 'required']),
  z.strictObject({ type: z.literal('function'), function: z.strictObject({ name: z.string() }) }),
  z.strictObject({ type: z.literal('custom'), custom: z.strictObject({ name: z.string() }) }),
  z.strictObject({
    type: z.literal('allowed_tools'),
    allowed_tools: z.strictObject({
      mode: z.enum(['auto', 'required']),
      tools: z.array(z.record(z.string(), z.unknown())),
    }),
  }),
]);
export type ToolChoice = z.infer<typeof ToolChoice>;

/**
 * `response_format`. Besides OpenAI's shapes: vLLM's / TRT-LLM's `grammar`, `regex`,
 * `structural_tag`, and Hugging Face's (TGI) `{ type: 'json', value: <schema> }` and
 * `{ type: 'regex', value: '...' }`, which parse into the OpenAI-style shapes
 * (`json_schema`, `regex.regex`), so everything after validation sees one spelling.
 */
export const ResponseFormat = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('text') }),
  z.strictObject({ type: z.literal('json_object') }),
  z.strictObject({
    type: z.literal('json_schema'),
    json_schema: z.strictObject({
      name: z.string().regex(/^[a-zA-Z0-9_-]{1,64}$/, 'must be 1-64 characters of a-z, A-Z, 0-9, _ or -'),
      description: z.string().nullish(),
      schema: z.record(z.string(), z.unknown()).nullish(),
      strict: z.boolean().nullish(),
    }),
  }),
  // Server extensions (vLLM / TRT-LLM shapes).
  z.strictObject({ type: z.literal('grammar'), grammar: z.string().min(1) }),
  z.strictObject({ type: z.literal('regex'), regex: z.string().min(1).optional(), value: z.string().min(1).optional() })
    .refine((f) => (f.regex == null) !== (f.value == null), { message: "give the pattern as 'regex' (or Hugging Face's 'value'), once", path: ['regex'] }),
  z.strictObject({ type: z.literal('json'), value: z.record(z.string(), z.unknown()) }),
  // vLLM's legacy shape ({ structures, triggers }) or xgrammar's current one ({ format }).
  z.strictObject({
    type: z.literal('structural_tag'),
    structures: z.array(z.strictObject({ begin: z.string(), schema: z.record(z.string(), z.unknown()), end: z.string() })).nullish(),
    triggers: z.array(z.string()).nullish(),
    format: z.record(z.string(), z.unknown()).nullish(),
  }),
]).transform((f) => {
  if (f.type === 'json') return { type: 'json_schema' as const, json_schema: { name: 'json', schema: f.value } };
  if (f.type === 'regex') return { type: 'regex' as const, regex: (f.regex ?? f.value)! };
  return f;
});
export type ResponseFormat = z.infer<typeof ResponseFormat>;

// ---- request -------------------------------------------------------------------------

/**
 * Fields OpenAI accepts that mean nothing for a model running locally. They are accepted
 * (so SDKs and frameworks that send them keep working) and ignored.
 */
const acceptedAndIgnored = {
  store: z.boolean().nullish(),
  metadata: z.record(z.string(), z.string()).nullish(),
  service_tier: z.string().nullish(),
  prompt_cache_key: z.string().nullish(),
  prompt_cache_retention: z.string().nullish(),
  safety_identifier: z.string().nullish(),
  reasoning_effort: z.enum(['none', 'minimal', 'low', 'medium', 'high', 'xhigh']).nullish(),
  verbosity: z.enum(['low', 'medium', 'high']).nullish(),
  modalities: z.array(z.enum(['text', 'audio'])).nullish(),
  audio: z.record(z.string(), z.unknown()).nullish(),
  prediction: z.record(z.string(), z.unknown()).nullish(),
  web_search_options: z.record(z.string(), z.unknown()).nullish(),
};
export const IGNORED_CHAT_FIELDS = Object.keys(acceptedAndIgnored);

export const ChatCompletionCreateParams = z.strictObject({
  model: z.string().min(1),
  messages: z.array(ChatMessage).min(1),
  ...samplingFields,
  max_tokens: z.number().int().min(1).nullish(),
  max_completion_tokens: z.number().int().min(1).nullish(),
  logprobs: z.boolean().nullish(),
  top_logprobs: z.number().int().min(0).max(20).nullish(),
  response_format: ResponseFormat.nullish(),
  tools: z.array(Tool).max(MAX_TOOLS).nullish(),
  tool_choice: ToolChoice.nullish(),
  parallel_tool_calls: z.boolean().nullish(),
  /** Deprecated by OpenAI in favour of tools, still accepted. */
  functions: z.array(FunctionDefinition).nullish(),
  function_call: z.union([z.enum(['none', 'auto']), z.strictObject({ name: z.string() })]).nullish(),
  /** Extension (vLLM): extra variables for the model's chat template, e.g. enable_thinking. */
  chat_template_kwargs: z.record(z.string(), z.unknown()).nullish(),
  /**
   * Extension: where a reasoning model's thinking (`<think>…</think>`) goes. 'parsed'
   * (default): `reasoning_content` of the message / deltas; 'inline': left in `content`.
   */
  reasoning_format: z.enum(['parsed', 'inline']).nullish(),
  /**
   * Extension (Hugging Face's chat completion spec): the instruction put before the tool
   * definitions where the default tool prompt is used (templates that do not render `tools`).
   */
  tool_prompt: z.string().min(1).nullish(),
  ...acceptedAndIgnored,
});
export type ChatCompletionCreateParams = z.infer<typeof ChatCompletionCreateParams>;
export type ChatCompletionCreateParamsStreaming = ChatCompletionCreateParams & { stream: true };
export type ChatCompletionCreateParamsNonStreaming = ChatCompletionCreateParams & { stream?: false | null };

// ---- response ------------------------------------------------------------------------

export const TopLogprob = z.object({
  token: z.string(),
  logprob: z.number(),
  bytes: z.array(z.number().int()).nullable(),
});
export const TokenLogprob = TopLogprob.extend({ top_logprobs: z.array(TopLogprob) });
export type TokenLogprob = z.infer<typeof TokenLogprob>;
export const ChoiceLogprobs = z.object({
  content: z.array(TokenLogprob).nullable(),
  refusal: z.array(TokenLogprob).nullable(),
});
export type ChoiceLogprobs = z.infer<typeof ChoiceLogprobs>;

export const FinishReason = z.enum(['stop', 'length', 'tool_calls', 'content_filter', 'function_call']);
export type FinishReason = z.infer<typeof FinishReason>;

export const ChatCompletionMessage = z.object({
  role: z.literal('assistant'),
  content: z.string().nullable(),
  refusal: z.string().nullable(),
  tool_calls: z.array(FunctionToolCall).optional(),
  reasoning_content: z.string().optional(),
});
export type ChatCompletionMessage = z.infer<typeof ChatCompletionMessage>;

export const ChatCompletion = z.object({
  id: z.string(),
  object: z.literal('chat.completion'),
  created: z.number().int(),
  model: z.string(),
  system_fingerprint: z.string().nullable(),
  choices: z.array(
    z.object({
      index: z.number().int(),
      message: ChatCompletionMessage,
      logprobs: ChoiceLogprobs.nullable(),
      finish_reason: FinishReason,
    }),
  ),
  usage: Usage,
});
export type ChatCompletion = z.infer<typeof ChatCompletion>;

export const ToolCallDelta = z.object({
  index: z.number().int(),
  id: z.string().optional(),
  type: z.literal('function').optional(),
  function: z.object({ name: z.string().optional(), arguments: z.string().optional() }).optional(),
});

export const ChatCompletionChunk = z.object({
  id: z.string(),
  object: z.literal('chat.completion.chunk'),
  created: z.number().int(),
  model: z.string(),
  system_fingerprint: z.string().nullable(),
  choices: z.array(
    z.object({
      index: z.number().int(),
      delta: z.object({
        role: z.literal('assistant').optional(),
        content: z.string().nullable().optional(),
        refusal: z.string().nullable().optional(),
        tool_calls: z.array(ToolCallDelta).optional(),
        reasoning_content: z.string().optional(),
      }),
      logprobs: ChoiceLogprobs.nullable(),
      finish_reason: FinishReason.nullable(),
    }),
  ),
  usage: Usage.nullable().optional(),
});
export type ChatCompletionChunk = z.infer<typeof ChatCompletionChunk>;
