import { BadRequestError } from '../../protocol/errors.js';
import type { ResponseCreateParams } from '../../protocol/responses.js';
import { responseId } from './response-events.js';
import type { ResponseStore, StoredItem } from './response-store.js';

/**
 * The conversation a Responses request stands for, from the store: the previous
 * response's input and output items (OpenAI semantics: its `instructions` are not carried
 * over), then the new input with `item_reference` items replaced by the stored items
 * they name. Every item gets an id (the client's, or a new one), so it can be stored and
 * referenced later. `paths` says where each item came from, for 400s.
 */
export interface ResolvedInput {
  items: StoredItem[];
  /** Per item: `previous_response_id`, `input` or `input[i]`. */
  paths: string[];
}

export function resolveInput(params: ResponseCreateParams, store: ResponseStore): ResolvedInput {
  const items: StoredItem[] = [];
  const paths: string[] = [];
  if (params.previous_response_id != null) {
    const previous = store.require(params.previous_response_id, 'previous_response_id');
    for (const item of [...previous.input, ...(previous.output as StoredItem[])]) {
      items.push(item);
      paths.push('previous_response_id');
    }
  }
  if (typeof params.input === 'string') {
    items.push({ type: 'message', id: responseId('msg'), role: 'user', content: [{ type: 'input_text', text: params.input }] });
    paths.push('input');
    return { items, paths };
  }
  params.input.forEach((item, i) => {
    const path = `input[${i}]`;
    if (item.type === 'item_reference') {
      if (!item.id) {
        throw new BadRequestError(`Missing required parameter: '${path}.id'.`, { param: `${path}.id`, code: 'missing_required_parameter' });
      }
      const found = store.findItem(item.id);
      if (!found) throw store.notFound(item.id, path, 'Item');
      items.push(found as StoredItem);
    } else {
      items.push({ ...item, id: item.id ?? responseId(idPrefix(item.type)) } as StoredItem);
    }
    paths.push(path);
  });
  return { items, paths };
}

function idPrefix(type: string | undefined): 'msg' | 'fc' | 'rs' | 'fco' {
  if (type === 'function_call') return 'fc';
  if (type === 'function_call_output') return 'fco';
  if (type === 'reasoning') return 'rs';
  return 'msg';
}
