import { attachmentUrl, type MediaAttachment } from '../protocol/media.js';

/**
 * Binary images and videos from the page. In the in-page client an `image_url` (or
 * `video_url`) part's `url` may be,
 * besides a URL string, a Blob or File, an ImageBitmap, an ArrayBuffer or a typed array.
 * They are converted once, here, into attachments that cross to the engine host next to
 * the request body (the body keeps `webinfer-attachment:<n>` URLs in their place):
 *   - Blob / File: by reference; the bytes are never copied on the page;
 *   - ArrayBuffer: transferred (zero copy; the page's buffer becomes detached);
 *   - ImageBitmap: transferred (already decoded; the page's bitmap becomes detached);
 *   - typed arrays / DataView: their bytes are copied once into a buffer that is transferred.
 * Decoding and resizing happen in the worker, never on the page.
 */
export type ImageInput = string | Blob | ImageBitmap | ArrayBuffer | ArrayBufferView;

/** A video file (WebM) as a URL string, Blob / File, ArrayBuffer or typed array. */
export type VideoInput = string | Blob | ArrayBuffer | ArrayBufferView;

type WidenImagePart<P> = P extends { type: 'image_url'; image_url: infer I }
  ? Omit<P, 'image_url'> & { image_url: Omit<I, 'url'> & { url: ImageInput } }
  : P extends { type: 'video_url'; video_url: infer V }
    ? Omit<P, 'video_url'> & { video_url: Omit<V, 'url'> & { url: VideoInput } }
    : P;

type WidenMessage<M> = M extends { role: 'user'; content: infer C }
  ? Omit<M, 'content'> & { content: C extends Array<infer P> ? Array<WidenImagePart<P>> : C }
  : M;

/** Chat params whose user messages may carry binary images (see ImageInput). */
export type WithMediaInputs<T extends { messages: unknown[] }> = Omit<T, 'messages'> & {
  messages: Array<WidenMessage<T['messages'][number]>>;
};

export interface PreparedBody {
  body: unknown;
  attachments: MediaAttachment[] | undefined;
  /** What to transfer (not copy) with the attachments. */
  transfer: Transferable[];
}

/** Pulls binary images and videos out of the request into attachments. */
export function extractAttachments(params: { messages?: unknown }): PreparedBody {
  const messages = params.messages;
  if (!Array.isArray(messages)) return { body: params, attachments: undefined, transfer: [] };
  const attachments: MediaAttachment[] = [];
  const transfer: Transferable[] = [];
  const seen = new Map<unknown, number>();
  let changed = false;

  const attach = (url: Exclude<ImageInput, string>, key: string): string => {
    const known = seen.get(url);
    if (known !== undefined) return attachmentUrl(known);
    let a: MediaAttachment;
    if (typeof Blob !== 'undefined' && url instanceof Blob) {
      a = { kind: 'blob', blob: url };
    } else if (typeof ImageBitmap !== 'undefined' && url instanceof ImageBitmap) {
      a = { kind: 'bitmap', bitmap: url };
      transfer.push(url);
    } else if (url instanceof ArrayBuffer) {
      a = { kind: 'bytes', bytes: url };
      transfer.push(url);
    } else if (ArrayBuffer.isView(url)) {
      const copy = new Uint8Array(url.byteLength);
      copy.set(new Uint8Array(url.buffer, url.byteOffset, url.byteLength));
      a = { kind: 'bytes', bytes: copy.buffer };
      transfer.push(copy.buffer);
    } else if (typeof SharedArrayBuffer !== 'undefined' && (url as unknown) instanceof SharedArrayBuffer) {
      const copy = new Uint8Array(url as unknown as SharedArrayBuffer).slice();
      a = { kind: 'bytes', bytes: copy.buffer };
      transfer.push(copy.buffer);
    } else {
      throw new TypeError(`${key}.url must be a string, Blob, File, ImageBitmap, ArrayBuffer or typed array`);
    }
    attachments.push(a);
    seen.set(url, attachments.length - 1);
    return attachmentUrl(attachments.length - 1);
  };

  const out = messages.map((m: { role?: unknown; content?: unknown }) => {
    if (!m || m.role !== 'user' || !Array.isArray(m.content)) return m;
    let touched = false;
    const content = m.content.map((p: { type?: unknown } & Record<string, { url?: unknown } | undefined>) => {
      const key = p?.type === 'image_url' || p?.type === 'video_url' ? p.type : null;
      const url = key ? p[key]?.url : undefined;
      if (!key || url == null || typeof url === 'string' || typeof url !== 'object') return p;
      touched = true;
      return { ...p, [key]: { ...p[key], url: attach(url as Exclude<ImageInput, string>, key) } };
    });
    if (!touched) return m;
    changed = true;
    return { ...m, content };
  });
  if (!changed) return { body: params, attachments: undefined, transfer: [] };
  return { body: { ...params, messages: out }, attachments, transfer };
}
