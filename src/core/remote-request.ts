import type { ChatCompletionCreateParams } from '../protocol/chat.js';
import type { CompletionCreateParams } from '../protocol/completions.js';
import { BadRequestError } from '../protocol/errors.js';
import type { ResponseCreateParams } from '../protocol/responses.js';
import type { ResolvedInput } from './endpoints/response-chain.js';
import { ATTACHMENT_SCHEME } from '../protocol/media.js';

/**
 * What a remote server gets for a chat request core has validated: OpenAI's request (and
 * the server extensions it may know: top_k, min_p, chat_template_kwargs, ...), without
 * what only this runtime understands (`routing`, `reasoning_format`) or can read (the
 * in-page client's attachments, the page's blob: URLs), and without nulls.
 */
export function remoteChatBody(params: ChatCompletionCreateParams): ChatCompletionCreateParams {
  const { routing: _routing, reasoning_format: _format, ...rest } = params;
  checkRemoteMedia(rest.messages);
  return dropNulls(rest);
}

/** Media only this browser can read is a 400 naming the part (send a data: or https: URL). */
function checkRemoteMedia(messages: ChatCompletionCreateParams['messages']): void {
  messages.forEach((message, i) => {
    if (!Array.isArray(message.content)) return;
    message.content.forEach((part, j) => {
      const url = part.type === 'image_url' ? part.image_url.url : null;
      if (url && (url.startsWith(ATTACHMENT_SCHEME) || url.startsWith('blob:'))) {
        throw new BadRequestError('A remote model cannot read binary attachments or blob: URLs; send the image as a data: or https: URL.', {
          param: `messages[${i}].content[${j}].image_url.url`, code: 'unsupported_url_scheme',
        });
      }
    });
  });
}

/** A legacy completions request for the server: without `routing`, and without nulls. */
export function remoteCompletionBody(params: CompletionCreateParams): CompletionCreateParams {
  const { routing: _routing, ...rest } = params;
  return dropNulls(rest);
}

/**
 * A Responses request for the server's own Responses API: the whole conversation this
 * runtime's store resolved (previous_response_id and item_reference replaced by the items
 * they name), `stream` explicit and `store: false`, so a stateless server (transformers serve ignores
 * previous_response_id) answers the same conversation, and the chain stays in one store.
 */
export function remoteResponseBody(params: ResponseCreateParams, resolved: ResolvedInput): ResponseCreateParams {
  const { previous_response_id: previous, ...rest } = params;
  const chained = previous != null || (Array.isArray(params.input) && params.input.some((item) => item.type === 'item_reference'));
  // `stream` always said: transformers serve streams /v1/responses when it is absent.
  return dropNulls({ ...rest, input: chained ? (resolved.items as ResponseCreateParams['input']) : params.input, stream: params.stream === true, store: false });
}

function dropNulls<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== null && v !== undefined)) as T;
}
