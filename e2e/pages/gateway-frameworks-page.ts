/**
 * Page for e2e/gateway-frameworks.e2e.ts: an in-page client (the engine host), the
 * gateway registered, the tiny model loaded on WASM; then the Vercel AI SDK and LangChain,
 * unmodified, pointed at location.origin + '/v1' the way their docs say to point them at
 * any OpenAI-compatible server. Each function on `window.fw` makes the calls an app makes
 * and returns what it got as plain data.
 *
 * Exposes on window: fw (below), client, gateway, and `ready` (or `setupError`).
 */
import { createOpenAI } from '@ai-sdk/openai';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { HumanMessage, SystemMessage, type AIMessageChunk } from '@langchain/core/messages';
import { tool as lcTool } from '@langchain/core/tools';
import { ChatOpenAI, type ChatOpenAIFields } from '@langchain/openai';
import { generateObject, generateText, Output, stepCountIs, streamText, tool, type LanguageModel } from 'ai';
import { z } from 'zod';
import { createClient, registerGateway, type WebInfer } from '../../src/client/index.js';
import { TINY_CHAT, reportSetup, waitIdle } from './page-setup.js';

const w = window as unknown as Record<string, unknown>;
const baseURL = `${location.origin}/v1`;

/** A small object that the tiny model can only produce finitely (every string and array is bounded). */
const Pet = z.object({
  name: z.string().min(1).max(10),
  species: z.enum(['cat', 'dog', 'owl']),
  age: z.number().int().min(0).max(30),
  vaccinated: z.boolean(),
  toys: z.array(z.string().max(6)).max(3),
});
const WeatherArgs = z.object({ city: z.string().min(1).max(12), unit: z.enum(['celsius', 'fahrenheit']) });

// ---- Vercel AI SDK -------------------------------------------------------------------

/** The provider the AI SDK documents for OpenAI-compatible servers. */
const compatible = createOpenAICompatible({ name: 'webinfer', baseURL, includeUsage: true, supportsStructuredOutputs: true });
/** OpenAI's own provider with a baseURL; `.chat()` is Chat Completions (plain `openai(id)` is the Responses API). */
const openai = createOpenAI({ baseURL, apiKey: 'local' });

/** 'responses': @ai-sdk/openai's default model, `openai(id)`, which speaks the Responses API. */
export type AiProvider = 'compatible' | 'openai' | 'responses';
function aiModel(provider: AiProvider): LanguageModel {
  if (provider === 'responses') return openai('tiny-chat');
  return provider === 'compatible' ? compatible.chatModel('tiny-chat') : openai.chat('tiny-chat');
}

function describeError(e: any) {
  return { name: e?.name ?? e?.constructor?.name ?? null, message: String(e?.message ?? e), statusCode: e?.statusCode ?? e?.status ?? null };
}


const fw = {
  /** A two-turn conversation the way the AI SDK's docs build one: the first turn's `response.messages` fed back. */
  async aiTwoTurns(provider: AiProvider) {
    const model = aiModel(provider);
    const messages: any[] = [{ role: 'user', content: 'Hi' }];
    const first = await generateText({ model, messages, temperature: 0, maxRetries: 0 });
    messages.push(...first.response.messages, { role: 'user', content: 'Hi' });
    const second = await generateText({ model, messages, temperature: 0, maxRetries: 0 });
    return { first: { text: first.text, usage: first.usage }, second: { text: second.text, usage: second.usage } };
  },

  async aiGenerateText(provider: AiProvider) {
    const result = await generateText({ model: aiModel(provider), prompt: 'Hi', temperature: 0, maxRetries: 0 });
    return { text: result.text, finishReason: result.finishReason, usage: result.usage, warnings: result.warnings ?? [] };
  },

  async aiStreamText(provider: AiProvider) {
    const result = streamText({ model: aiModel(provider), prompt: 'Hi', temperature: 0, maxRetries: 0 });
    const deltas: string[] = [];
    const parts: string[] = [];
    let finish: { finishReason: string; totalUsage: unknown } | null = null;
    for await (const part of result.fullStream) {
      parts.push(part.type);
      if (part.type === 'text-delta') deltas.push(part.text);
      if (part.type === 'finish') finish = { finishReason: part.finishReason, totalUsage: part.totalUsage };
      if (part.type === 'error') throw part.error;
    }
    return { deltas, parts, finish, text: await result.text, finishReason: await result.finishReason, usage: await result.usage };
  },

  /**
   * Aborts through `abortSignal` after 5 text deltas of a request that would run for
   * 8 x 2000 tokens, then asks again. n and ignore_eos go through as provider options,
   * which @ai-sdk/openai-compatible copies into the body (@ai-sdk/openai does not).
   */
  async aiAbort() {
    const provider = 'compatible';
    const controller = new AbortController();
    let onAbort = false;
    const result = streamText({
      model: aiModel(provider),
      prompt: 'Hi',
      maxOutputTokens: 2000,
      maxRetries: 0,
      abortSignal: controller.signal,
      providerOptions: { webinfer: { ignore_eos: true, n: 8 } },
      onAbort: () => { onAbort = true; },
    });
    let received = 0;
    const parts: string[] = [];
    let error = null;
    try {
      for await (const part of result.fullStream) {
        parts.push(part.type);
        if (part.type === 'text-delta' && ++received === 5) controller.abort();
      }
    } catch (e) {
      error = describeError(e);
    }
    const idleMs = await waitIdle(w.client as WebInfer, 5000);
    const next = await generateText({ model: aiModel(provider), prompt: 'Hi', temperature: 0, maxRetries: 0 });
    return { received, parts, error, onAbort, idleMs, next: next.text };
  },

  /** generateText with `output: Output.object({ schema })`, the AI SDK 7 way to get an object. */
  async aiOutputObject(provider: AiProvider) {
    const result = await generateText({
      model: aiModel(provider),
      prompt: 'Give me a pet as JSON.',
      temperature: 0,
      maxRetries: 0,
      output: Output.object({ schema: Pet, name: 'pet' }),
    });
    return { output: result.output, safe: Pet.safeParse(result.output).success, text: result.text, finishReason: result.finishReason };
  },

  /** generateObject (deprecated in AI SDK 7 in favour of Output.object, still widely used). */
  async aiGenerateObject(provider: AiProvider) {
    const result = await generateObject({ model: aiModel(provider), prompt: 'Give me a pet as JSON.', temperature: 0, maxRetries: 0, schema: Pet, schemaName: 'pet' });
    return { object: result.object, safe: Pet.safeParse(result.object).success, finishReason: result.finishReason };
  },

  /** A forced tool call (toolChoice naming the tool); no execute, so generation stops at the call. */
  async aiToolCall(provider: AiProvider) {
    const result = await generateText({
      model: aiModel(provider),
      prompt: 'What is the weather in Paris?',
      temperature: 0,
      maxRetries: 0,
      tools: { get_weather: tool({ description: 'Current weather in a city', inputSchema: WeatherArgs }) },
      toolChoice: { type: 'tool', toolName: 'get_weather' },
    });
    return {
      finishReason: result.finishReason,
      text: result.text,
      calls: result.toolCalls.map((c) => ({ toolName: c.toolName, toolCallId: c.toolCallId, input: c.input, safe: WeatherArgs.safeParse(c.input).success })),
    };
  },

  /**
   * A two-step tool loop: step 1 is forced to call get_weather, the SDK runs `execute`,
   * and step 2 (tool_choice none) sends the history back: the system prompt, the
   * assistant's tool call and the tool result, in the AI SDK's own message shapes.
   */
  async aiToolLoop(provider: AiProvider) {
    const result = await generateText({
      model: aiModel(provider),
      system: 'You are a weather bot.',
      prompt: 'What is the weather in Paris?',
      temperature: 0,
      maxRetries: 0,
      tools: {
        get_weather: tool({
          description: 'Current weather in a city',
          inputSchema: WeatherArgs,
          execute: async ({ city, unit }) => ({ city, unit, temperature: 18 }),
        }),
      },
      stopWhen: stepCountIs(2),
      prepareStep: ({ stepNumber }) => ({ toolChoice: stepNumber === 0 ? { type: 'tool', toolName: 'get_weather' } : 'none' }),
    });
    return {
      steps: result.steps.map((step) => ({
        finishReason: step.finishReason,
        text: step.text,
        calls: step.toolCalls.map((c) => ({ toolName: c.toolName, input: c.input, safe: WeatherArgs.safeParse(c.input).success })),
        results: step.toolResults.map((r) => ({ toolName: r.toolName, output: r.output })),
      })),
      text: result.text,
      finishReason: result.finishReason,
      totalUsage: result.totalUsage,
    };
  },

  // ---- LangChain ---------------------------------------------------------------------

  lcChat(fields: ChatOpenAIFields = {}) {
    return new ChatOpenAI({ model: 'tiny-chat', apiKey: 'local', temperature: 0, maxRetries: 0, configuration: { baseURL }, ...fields });
  },

  async lcInvoke() {
    const message = await fw.lcChat().invoke('Hi');
    return { content: message.content, usage: message.usage_metadata ?? null, finishReason: message.response_metadata?.finish_reason ?? null, id: message.id ?? null };
  },

  async lcStream() {
    const chunks: AIMessageChunk[] = [];
    for await (const chunk of await fw.lcChat().stream('Hi')) chunks.push(chunk);
    const merged = chunks.reduce((a, b) => a.concat(b));
    return {
      contents: chunks.map((c) => c.content),
      content: merged.content,
      usage: merged.usage_metadata ?? null,
      finishReason: merged.response_metadata?.finish_reason ?? null,
    };
  },

  async lcAbort() {
    const controller = new AbortController();
    const chat = fw.lcChat({ maxTokens: 2000, modelKwargs: { ignore_eos: true, n: 8 } });
    let received = 0;
    let error = null;
    try {
      for await (const _chunk of await chat.stream('Hi', { signal: controller.signal })) {
        if (++received === 5) controller.abort();
      }
    } catch (e) {
      error = describeError(e);
    }
    const idleMs = await waitIdle(w.client as WebInfer, 5000);
    const next = await fw.lcChat().invoke('Hi');
    return { received, error, idleMs, next: next.content };
  },

  /** withStructuredOutput(zod); method undefined = LangChain's default (json_schema for this model name). */
  async lcStructured(method?: 'jsonSchema' | 'functionCalling' | 'jsonMode') {
    const structured = fw.lcChat().withStructuredOutput(Pet, { name: 'pet', ...(method ? { method } : {}) });
    const object = await structured.invoke('Give me a pet as JSON.');
    return { object, safe: Pet.safeParse(object).success };
  },

  /** bindTools with tool_choice naming the function (and 'any' = OpenAI's 'required'). */
  async lcToolCall(toolChoice: string) {
    const chat = fw.lcChat().bindTools([{ name: 'get_weather', description: 'Current weather in a city', schema: WeatherArgs }], { tool_choice: toolChoice });
    const message = await chat.invoke('What is the weather in Paris?');
    return {
      content: message.content,
      finishReason: message.response_metadata?.finish_reason ?? null,
      calls: (message.tool_calls ?? []).map((c) => ({ name: c.name, id: c.id, args: c.args, safe: WeatherArgs.safeParse(c.args).success })),
      invalid: message.invalid_tool_calls ?? [],
    };
  },

  /**
   * A tool round trip the LangChain way: a forced call, the tool run with tool.invoke(call)
   * (which returns the ToolMessage), then the history sent back with tool_choice none.
   */
  async lcToolRoundTrip() {
    const getWeather = lcTool(async ({ city, unit }) => JSON.stringify({ city, unit, temperature: 18 }), {
      name: 'get_weather',
      description: 'Current weather in a city',
      schema: WeatherArgs,
    });
    const history = [new SystemMessage('You are a weather bot.'), new HumanMessage('What is the weather in Paris?')];
    const ai = await fw.lcChat().bindTools([getWeather], { tool_choice: 'get_weather' }).invoke(history);
    const call = ai.tool_calls?.[0];
    if (!call) throw new Error(`no tool call: ${JSON.stringify(ai)}`);
    const toolMessage = await getWeather.invoke(call);
    const final = await fw.lcChat().bindTools([getWeather], { tool_choice: 'none' }).invoke([...history, ai, toolMessage]);
    return {
      call: { name: call.name, args: call.args, id: call.id, safe: WeatherArgs.safeParse(call.args).success },
      toolMessage: { type: toolMessage.type, content: toolMessage.content, tool_call_id: toolMessage.tool_call_id },
      final: { content: final.content, toolCalls: final.tool_calls ?? [], finishReason: final.response_metadata?.finish_reason ?? null, usage: final.usage_metadata ?? null },
    };
  },

  describeError,
  waitIdle: (timeoutMs?: number) => waitIdle(w.client as WebInfer, timeoutMs),
};
w.fw = fw;

async function setup() {
  const client = createClient({ config: { wasmPaths: '/ort/', models: [TINY_CHAT] } });
  w.client = client;
  w.gateway = await registerGateway({ client });
  await client.models.load('tiny-chat', { device: 'wasm' });
}

reportSetup(setup);
