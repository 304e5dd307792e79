import { BadRequestError, NotFoundError } from '../../protocol/errors.js';
import type { InputItem, OutputItem, Response } from '../../protocol/responses.js';
import type { InputItemList, InputItemsQuery } from '../../protocol/rpc.js';

export type { InputItemList, InputItemsQuery };

/**
 * The engine host's in-memory store of Responses (`store` defaults to true, as on
 * OpenAI): what `previous_response_id`, `item_reference` items and GET/DELETE
 * /v1/responses/{id} read. One per host, shared by every tab and the Service Worker;
 * it lives as long as the host does. Bounded: least recently used entries go first once
 * there are more than `maxEntries` or their estimated size passes `maxBytes` (input
 * images as data: URLs can be megabytes).
 */

/** An item as stored: every item has an id (given by the client, or assigned here). */
export type StoredItem = InputItemList['data'][number];

export interface StoredResponse {
  response: Response;
  /** The whole conversation the response answered (a chain's earlier turns included), ids assigned. */
  input: StoredItem[];
  output: OutputItem[];
}

export interface ResponseStoreLimits {
  maxEntries?: number;
  maxBytes?: number;
}

export const DEFAULT_STORE_LIMITS = { maxEntries: 256, maxBytes: 32 * 1024 * 1024 } as const;

export class ResponseStore {
  readonly maxEntries: number;
  readonly maxBytes: number;
  /** Insertion order is recency: the first entry is the least recently used. */
  private readonly entries = new Map<string, { value: StoredResponse; bytes: number }>();
  private total = 0;

  constructor(limits: ResponseStoreLimits = {}) {
    this.maxEntries = limits.maxEntries ?? DEFAULT_STORE_LIMITS.maxEntries;
    this.maxBytes = limits.maxBytes ?? DEFAULT_STORE_LIMITS.maxBytes;
  }

  get size(): number {
    return this.entries.size;
  }

  get bytes(): number {
    return this.total;
  }

  /** Stores (or replaces) a response; returns false when it alone is larger than the whole store. */
  put(value: StoredResponse): boolean {
    const id = value.response.id;
    this.delete(id);
    const bytes = estimateBytes(value);
    if (bytes > this.maxBytes) return false;
    this.entries.set(id, { value, bytes });
    this.total += bytes;
    for (const [oldest, entry] of this.entries) {
      if (this.entries.size <= this.maxEntries && this.total <= this.maxBytes) break;
      this.entries.delete(oldest);
      this.total -= entry.bytes;
    }
    return true;
  }

  /** The stored response, now the most recently used; undefined when unknown or evicted. */
  get(id: string): StoredResponse | undefined {
    const entry = this.entries.get(id);
    if (!entry) return undefined;
    this.entries.delete(id);
    this.entries.set(id, entry);
    return entry.value;
  }

  delete(id: string): boolean {
    const entry = this.entries.get(id);
    if (!entry) return false;
    this.entries.delete(id);
    this.total -= entry.bytes;
    return true;
  }

  /** An item of any stored response (its output, then its input), the most recent response first. */
  findItem(id: string): StoredItem | OutputItem | undefined {
    const all = [...this.entries.values()].reverse();
    for (const { value } of all) {
      const found = value.output.find((item) => item.id === id) ?? value.input.find((item) => item.id === id);
      if (found) return found;
    }
    return undefined;
  }

  /** The stored response or a 404 naming `param`. */
  require(id: string, param: string): StoredResponse {
    const found = this.get(id);
    if (!found) throw this.notFound(id, param);
    return found;
  }

  notFound(id: string, param: string | null, what = 'Response'): NotFoundError {
    return new NotFoundError(
      `${what} with id '${id}' not found. Responses are kept in the engine host's memory only ` +
        `(the ${this.maxEntries} most recently used, up to ${Math.round(this.maxBytes / 1048576)} MiB): it may have been ` +
        'evicted or deleted, the host may have restarted (all tabs of the app closed), or it was created with store: false.',
      { type: 'invalid_request_error', param, code: 'not_found' },
    );
  }
}

function estimateBytes(value: StoredResponse): number {
  // UTF-16 length of the JSON: close enough for a bound dominated by data: URLs and text.
  return JSON.stringify(value).length;
}

// ---- GET /v1/responses/{id}/input_items ------------------------------------------------

/** OpenAI's cursor page: `order` desc by default, `limit` 1..100 (default 20), `after` an item id. */
export function listInputItems(items: readonly StoredItem[], query: InputItemsQuery = {}): InputItemList {
  const limit = query.limit == null || query.limit === '' ? 20 : Number(query.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 100) {
    throw new BadRequestError(`Invalid 'limit': expected an integer from 1 to 100, got '${query.limit}'.`, { param: 'limit', code: 'invalid_value' });
  }
  const order = query.order == null || query.order === '' ? 'desc' : query.order;
  if (order !== 'asc' && order !== 'desc') {
    throw new BadRequestError(`Invalid 'order': expected 'asc' or 'desc', got '${order}'.`, { param: 'order', code: 'invalid_value' });
  }
  const ordered = order === 'asc' ? [...items] : [...items].reverse();
  let start = 0;
  if (query.after != null && query.after !== '') {
    const at = ordered.findIndex((item) => item.id === query.after);
    if (at < 0) {
      throw new BadRequestError(`Invalid 'after': no input item with id '${query.after}' in this response.`, { param: 'after', code: 'invalid_value' });
    }
    start = at + 1;
  }
  const data = ordered.slice(start, start + limit);
  return {
    object: 'list',
    data,
    first_id: data[0]?.id ?? null,
    last_id: data.at(-1)?.id ?? null,
    has_more: start + limit < ordered.length,
  };
}
