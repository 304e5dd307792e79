import { z } from 'zod';
import { FunctionDefinition } from './chat.js';
import { MAX_TOOLS, samplingFields } from './common.js';

/**
 * The Responses API contract (`POST /v1/responses`), the subset a stateless local server
 * can honour. Request objects are strict: an unknown field is a 400 naming it.
 */

const functionName = FunctionDefinition.shape.name;

// ---- input ---------------------------------------------------------------------------

export const InputText = z.strictObject({ type: z.literal('input_text'), text: z.string() });
export const InputImage = z.strictObject({
  type: z.literal('input_image'),
  image_url: z.string().min(1).nullish(),
  /** Uploaded files do not exist here: a 400 (core). */
  file_id: z.string().nullish(),
  detail: z.enum(['auto', 'low', 'high']).nullish(),
});
export const OutputText = z.strictObject({
  type: z.literal('output_text'),
  text: z.string(),
  annotations: z.array(z.unknown()).nullish(),
  logprobs: z.array(z.unknown()).nullish(),
});
export const Refusal = z.strictObject({ type: z.literal('refusal'), refusal: z.string() });

export const InputContentPart = z.discriminatedUnion('type', [InputText, InputImage, OutputText, Refusal]);
export type InputContentPart = z.infer<typeof InputContentPart>;

export const MessageItem = z.strictObject({
  type: z.literal('message').optional(),
  role: z.enum(['user', 'assistant', 'system', 'developer']),
  content: z.union([z.string(), z.array(InputContentPart)]),
  /** Output messages fed back carry these. */
  id: z.string().nullish(),
  status: z.enum(['in_progress', 'completed', 'incomplete']).nullish(),
});
export type MessageItem = z.infer<typeof MessageItem>;

export const FunctionCallItem = z.strictObject({
  type: z.literal('function_call'),
  call_id: z.string().min(1),
  name: z.string(),
  arguments: z.string(),
  id: z.string().nullish(),
  status: z.enum(['in_progress', 'completed', 'incomplete']).nullish(),
});
export type FunctionCallItem = z.infer<typeof FunctionCallItem>;

export const FunctionCallOutputItem = z.strictObject({
  type: z.literal('function_call_output'),
  call_id: z.string().min(1),
  output: z.union([z.string(), z.array(InputText)]),
  id: z.string().nullish(),
  status: z.enum(['in_progress', 'completed', 'incomplete']).nullish(),
});
export type FunctionCallOutputItem = z.infer<typeof FunctionCallOutputItem>;

/** A model's earlier thoughts: accepted, and dropped (not fed back to the model). */
export const ReasoningItem = z.object({
  type: z.literal('reasoning'),
  id: z.string().nullish(),
  summary: z.array(z.unknown()).nullish(),
  content: z.array(z.unknown()).nullish(),
  encrypted_content: z.string().nullish(),
  status: z.string().nullish(),
});

/** A stored item (of an earlier response's input or output), by id: resolved from the host's response store. */
export const ItemReference = z.strictObject({ type: z.literal('item_reference'), id: z.string().nullish() });

/** Items are told apart by `type` (a message may leave it out). */
export const InputItem = z.union([
  MessageItem,
  z.discriminatedUnion('type', [FunctionCallItem, FunctionCallOutputItem, ReasoningItem, ItemReference]),
]);
export type InputItem = z.infer<typeof InputItem>;

// ---- tools, text format ----------------------------------------------------------------

export const ResponseFunctionTool = z.strictObject({
  type: z.literal('function'),
  name: functionName,
  description: z.string().nullish(),
  parameters: z.record(z.string(), z.unknown()).nullish(),
  strict: z.boolean().nullish(),
});
export type ResponseFunctionTool = z.infer<typeof ResponseFunctionTool>;

export const ResponseToolChoice = z.union([
  z.enum(['none', 'auto', 'required']),
  z.strictObject({ type: z.literal('function'), name: z.string() }),
]);
export type ResponseToolChoice = z.infer<typeof ResponseToolChoice>;

export const TextFormat = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('text') }),
  z.strictObject({ type: z.literal('json_object') }),
  z.strictObject({
    type: z.literal('json_schema'),
    name: functionName,
    schema: z.record(z.string(), z.unknown()),
    description: z.string().nullish(),
    strict: z.boolean().nullish(),
  }),
]);
export type TextFormat = z.infer<typeof TextFormat>;

export const TextConfig = z.strictObject({
  format: TextFormat.nullish(),
  verbosity: z.enum(['low', 'medium', 'high']).nullish(),
});

// ---- request -------------------------------------------------------------------------

const { n: _n, stop: _stop, stream_options: _so, logit_bias: _lb, ...sampling } = samplingFields;

export const ResponseCreateParams = z.strictObject({
  model: z.string().min(1),
  input: z.union([z.string(), z.array(InputItem)]),
  instructions: z.string().nullish(),
  /** Any tool type but `function` is a 400 naming it (core), so it is only loosely shaped here. */
  tools: z.array(z.looseObject({ type: z.string() })).max(MAX_TOOLS).nullish(),
  tool_choice: ResponseToolChoice.nullish(),
  parallel_tool_calls: z.boolean().nullish(),
  text: TextConfig.nullish(),
  max_output_tokens: z.number().int().min(1).nullish(),
  ...sampling,
  /** The stored response this one continues (core/endpoints/response-chain.ts). */
  previous_response_id: z.string().min(1).nullish(),
  /** The Conversations API does not exist here: a 400 (core). */
  conversation: z.unknown().optional(),
  /** Default true: the response is kept in the host's in-memory store (core/endpoints/response-store.ts). */
  store: z.boolean().nullish(),
  metadata: z.record(z.string(), z.string()).nullish(),
  reasoning: z.record(z.string(), z.unknown()).nullish(),
  truncation: z.enum(['auto', 'disabled']).nullish(),
  include: z.array(z.string()).nullish(),
  service_tier: z.string().nullish(),
  prompt_cache_key: z.string().nullish(),
  safety_identifier: z.string().nullish(),
  background: z.boolean().nullish(),
  top_logprobs: z.number().int().min(0).max(20).nullish(),
  /** Extension (as in chat): extra variables for the model's chat template. */
  chat_template_kwargs: z.record(z.string(), z.unknown()).nullish(),
});
export type ResponseCreateParams = z.infer<typeof ResponseCreateParams>;

// ---- response ------------------------------------------------------------------------

export const OutputTextPart = z.object({
  type: z.literal('output_text'),
  text: z.string(),
  annotations: z.array(z.unknown()),
  logprobs: z.array(z.unknown()),
});
export type OutputTextPart = z.infer<typeof OutputTextPart>;

export const ReasoningTextPart = z.object({ type: z.literal('reasoning_text'), text: z.string() });
export type ReasoningTextPart = z.infer<typeof ReasoningTextPart>;

const itemStatus = z.enum(['in_progress', 'completed', 'incomplete']);

export const OutputMessage = z.object({
  type: z.literal('message'),
  id: z.string(),
  status: itemStatus,
  role: z.literal('assistant'),
  content: z.array(OutputTextPart),
});
export type OutputMessage = z.infer<typeof OutputMessage>;

export const OutputFunctionCall = z.object({
  type: z.literal('function_call'),
  id: z.string(),
  call_id: z.string(),
  name: z.string(),
  arguments: z.string(),
  status: itemStatus,
});
export type OutputFunctionCall = z.infer<typeof OutputFunctionCall>;

export const OutputReasoning = z.object({
  type: z.literal('reasoning'),
  id: z.string(),
  summary: z.array(z.unknown()),
  content: z.array(ReasoningTextPart),
  status: itemStatus,
});
export type OutputReasoning = z.infer<typeof OutputReasoning>;

export const OutputItem = z.discriminatedUnion('type', [OutputMessage, OutputFunctionCall, OutputReasoning]);
export type OutputItem = z.infer<typeof OutputItem>;

export const ResponseUsage = z.object({
  input_tokens: z.number().int(),
  input_tokens_details: z.object({ cached_tokens: z.number().int() }),
  output_tokens: z.number().int(),
  output_tokens_details: z.object({ reasoning_tokens: z.number().int() }),
  total_tokens: z.number().int(),
});
export type ResponseUsage = z.infer<typeof ResponseUsage>;

export const Response = z.object({
  id: z.string(),
  object: z.literal('response'),
  created_at: z.number().int(),
  completed_at: z.number().int().nullable(),
  status: z.enum(['in_progress', 'completed', 'incomplete', 'failed']),
  background: z.boolean(),
  error: z.object({ code: z.string(), message: z.string() }).nullable(),
  incomplete_details: z.object({ reason: z.literal('max_output_tokens') }).nullable(),
  instructions: z.string().nullable(),
  max_output_tokens: z.number().int().nullable(),
  max_tool_calls: z.number().int().nullable(),
  model: z.string(),
  output: z.array(OutputItem),
  parallel_tool_calls: z.boolean(),
  previous_response_id: z.string().nullable(),
  reasoning: z.object({ effort: z.string().nullable(), summary: z.string().nullable() }),
  service_tier: z.string(),
  store: z.boolean(),
  temperature: z.number().nullable(),
  text: z.object({ format: z.record(z.string(), z.unknown()) }),
  tool_choice: z.unknown(),
  tools: z.array(z.record(z.string(), z.unknown())),
  top_logprobs: z.number().int(),
  top_p: z.number().nullable(),
  truncation: z.literal('disabled'),
  usage: ResponseUsage.nullable(),
  user: z.string().nullable(),
  metadata: z.record(z.string(), z.string()),
});
export type Response = z.infer<typeof Response>;

/** DELETE /v1/responses/{id}. */
export interface ResponseDeleted {
  id: string;
  object: 'response.deleted';
  deleted: true;
}

// ---- streaming events ----------------------------------------------------------------

interface Seq { sequence_number: number }
interface At { item_id: string; output_index: number }

export type ResponseStreamEvent = Seq & (
  | { type: 'response.created' | 'response.in_progress' | 'response.completed' | 'response.incomplete' | 'response.failed'; response: Response }
  | { type: 'response.output_item.added' | 'response.output_item.done'; output_index: number; item: OutputItem }
  | (At & { type: 'response.content_part.added' | 'response.content_part.done'; content_index: number; part: OutputTextPart | ReasoningTextPart })
  | (At & { type: 'response.output_text.delta'; content_index: number; delta: string; logprobs: unknown[] })
  | (At & { type: 'response.output_text.done'; content_index: number; text: string; logprobs: unknown[] })
  | (At & { type: 'response.reasoning_text.delta'; content_index: number; delta: string })
  | (At & { type: 'response.reasoning_text.done'; content_index: number; text: string })
  | (At & { type: 'response.function_call_arguments.delta'; delta: string })
  | (At & { type: 'response.function_call_arguments.done'; arguments: string; name: string })
  | { type: 'error'; code: string | null; message: string; param: string | null }
);
export type ResponseStreamEventType = ResponseStreamEvent['type'];
