import type { ChatCompletionCreateParams } from '../../protocol/chat.js';
import { BadRequestError } from '../../protocol/errors.js';
import {
  DetokenizeParams,
  TokenCheckParams,
  TokenizeParams,
  type DetokenizeResponse,
  type TokenCheckResponse,
  type TokenizeResponse,
} from '../../protocol/tokenize.js';
import { checkModalities } from './chat.js';
import type { LoadedModel, PreparedPrompt } from '../engine.js';
import { hasMedia } from '../media/resolve.js';
import { messageText } from '../message-text.js';
import { prepareStructured } from '../structured.js';
import { tokenizerOf, type Endpoint, type EndpointContext } from './endpoint.js';

/**
 * `/v1/tokenize`, `/v1/detokenize` (vLLM's and llama.cpp's shapes) and FastChat's
 * `/v1/token_check`. Messages are rendered exactly as chat completions render them (the
 * template, tools through it or the default tool prompt), so the count is the prompt's.
 */

const named = (model: string | null | undefined) => (model ? [{ id: model, param: 'model' }] : []);
const modelFor = (id: string | null | undefined, ctx: EndpointContext) => (id ? ctx.model(id) : Promise.resolve(ctx.soleModel()));

export const tokenizeEndpoint: Endpoint<TokenizeParams, TokenizeResponse> = {
  schema: TokenizeParams,
  models: (p) => named(p.model),
  async run(params, ctx) {
    const given = (['prompt', 'content', 'messages'] as const).filter((k) => params[k] != null);
    if (given.length !== 1) {
      throw new BadRequestError(given.length ? `Send one of ${given.join(' and ')}, not both.` : "Missing required parameter: 'prompt' (or 'messages', or llama.cpp's 'content').", {
        param: given[1] ?? 'prompt', code: given.length ? 'invalid_value' : 'missing_required_parameter',
      });
    }
    if (params.add_special_tokens != null && params.add_special != null) {
      throw new BadRequestError("Send add_special_tokens or llama.cpp's add_special, not both.", { param: 'add_special', code: 'invalid_value' });
    }
    const model = await modelFor(params.model, ctx);
    const tokenizer = tokenizerOf(model);
    const special = params.add_special_tokens ?? params.add_special ?? null;
    let ids: number[];
    if (params.messages) {
      // The prompt's own tokens, as chat prefills them; re-encoded when the text was cut or special tokens are asked for.
      const prompt = await renderChat(params, model);
      const cut = params.continue_final_message ? continueFinal(prompt.text, params.messages) : null;
      ids = special || cut !== null ? tokenizer.encode(cut ?? prompt.text, { addSpecialTokens: special ?? false }) : prompt.tokenIds;
    } else {
      // vLLM adds special tokens to a text prompt by default; llama.cpp (content) does not.
      ids = tokenizer.encode(params.prompt ?? params.content!, { addSpecialTokens: special ?? params.prompt != null });
    }
    return {
      count: ids.length,
      max_model_len: model.contextLength,
      tokens: params.with_pieces ? ids.map((id) => ({ id, piece: tokenizer.decode([id]) })) : ids,
      token_strs: params.return_token_strs ? tokenizer.tokenStrings(ids) : null,
    };
  },
};

/** The prompt chat completions would send for these messages. */
async function renderChat(params: TokenizeParams, model: LoadedModel): Promise<PreparedPrompt> {
  const messages = params.messages!;
  checkModalities(messages, model);
  if (hasMedia(messages)) {
    throw new BadRequestError('Tokenize takes text-only messages: image and audio tokens depend on the pictures and clips.', {
      param: 'messages', code: 'unsupported_content',
    });
  }
  if (params.continue_final_message && params.add_generation_prompt) {
    throw new BadRequestError('continue_final_message continues the last message: it cannot be combined with add_generation_prompt.', {
      param: 'continue_final_message', code: 'invalid_value',
    });
  }
  const generation = params.continue_final_message ? false : params.add_generation_prompt;
  const kwargs = { ...params.chat_template_kwargs, ...(generation != null ? { add_generation_prompt: generation } : {}) };
  const chat = { model: model.id, messages, tools: params.tools } as ChatCompletionCreateParams;
  return (await prepareStructured(chat, model, { messages, templateKwargs: kwargs })).prompt;
}

/**
 * `continue_final_message` as Hugging Face renders it: the prompt up to the end of the last
 * message's text, so the model would go on writing that message.
 */
function continueFinal(text: string, messages: NonNullable<TokenizeParams['messages']>): string {
  const last = messageText(messages.at(-1)!.content ?? '');
  const at = last ? text.lastIndexOf(last) : -1;
  if (at === -1) {
    throw new BadRequestError("continue_final_message: the last message's text does not appear in the rendered prompt.", {
      param: 'continue_final_message', code: 'invalid_value',
    });
  }
  return text.slice(0, at + last.length);
}

export const detokenizeEndpoint: Endpoint<DetokenizeParams, DetokenizeResponse> = {
  schema: DetokenizeParams,
  models: (p) => named(p.model),
  async run(params, ctx) {
    const model = await modelFor(params.model, ctx);
    const tokenizer = tokenizerOf(model);
    const bad = params.tokens.findIndex((id) => id >= tokenizer.vocabSize);
    if (bad !== -1) {
      throw new BadRequestError(`Token id ${params.tokens[bad]} is not in model '${model.id}''s vocabulary (size ${tokenizer.vocabSize}).`, {
        param: `tokens[${bad}]`, code: 'invalid_value',
      });
    }
    const text = tokenizer.decode(params.tokens);
    return { prompt: text, content: text };
  },
};

/** FastChat's check: the prompt's tokens (special tokens added) plus max_tokens against the context. */
export const tokenCheckEndpoint: Endpoint<TokenCheckParams, TokenCheckResponse> = {
  schema: TokenCheckParams,
  models: (p) => p.prompts.map((x, i) => ({ id: x.model, param: `prompts[${i}].model` })),
  async run(params, ctx) {
    const prompts: TokenCheckResponse['prompts'] = [];
    for (const item of params.prompts) {
      const model = await ctx.model(item.model);
      const tokenCount = tokenizerOf(model).encode(item.prompt, { addSpecialTokens: true }).length;
      const contextLength = model.contextLength;
      prompts.push({ fits: contextLength === null || tokenCount + item.max_tokens <= contextLength, tokenCount, contextLength });
    }
    return { prompts };
  },
};
