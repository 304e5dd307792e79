import { describe, expect, test } from 'vitest';
import { extractAttachments } from './media.js';

const image = (url: unknown) => ({ type: 'image_url', image_url: { url, detail: 'low' } });

describe('extractAttachments', () => {
  test('string URLs pass through untouched (the same object)', () => {
    const params = { model: 'm', messages: [{ role: 'user', content: [image('https://a.example/x.png'), { type: 'text', text: 'hi' }] }] };
    const { body, attachments } = extractAttachments(params);
    expect(body).toBe(params);
    expect(attachments).toBeUndefined();
  });

  test('binary parts become attachments; the caller’s params are not changed', () => {
    const blob = new Blob([new Uint8Array([1, 2, 3])], { type: 'image/png' });
    const buffer = new Uint8Array([4, 5]).buffer;
    const view = new Uint8Array([9, 8, 7, 6]).subarray(1, 3);
    const params = {
      model: 'm',
      messages: [
        { role: 'system', content: 'be brief' },
        { role: 'user', content: [image(blob), image('data:image/png;base64,AAAA'), image(buffer)] },
        { role: 'assistant', content: 'ok' },
        { role: 'user', content: [image(view), image(blob)] },
      ],
    };
    const { body, attachments, transfer } = extractAttachments(params);
    const b = body as typeof params;
    expect(b.messages[1]!.content).toEqual([
      image('webinfer-attachment:0'), image('data:image/png;base64,AAAA'), image('webinfer-attachment:1'),
    ]);
    expect(b.messages[3]!.content).toEqual([image('webinfer-attachment:2'), image('webinfer-attachment:0')]);
    expect(b.messages[0]).toBe(params.messages[0]);
    expect((params.messages[1]!.content as Array<{ image_url: { url: unknown } }>)[0]!.image_url.url).toBe(blob);
    expect(attachments).toHaveLength(3);
    expect(attachments![0]).toEqual({ kind: 'blob', blob });
    expect(attachments![1]).toEqual({ kind: 'bytes', bytes: buffer });
    // A view's bytes are copied once (its buffer may hold other data).
    const copied = attachments![2] as { kind: 'bytes'; bytes: ArrayBuffer };
    expect(Array.from(new Uint8Array(copied.bytes))).toEqual([8, 7]);
    expect(transfer).toEqual([buffer, copied.bytes]);
    // That the buffers are transferred (detached on the page) is checked in the browser (e2e/multimodal-client).
  });

  test('anything else is a TypeError', () => {
    expect(() => extractAttachments({ messages: [{ role: 'user', content: [image({ not: 'an image' })] }] })).toThrow(TypeError);
  });

  test('video_url parts take a Blob or bytes the same way, beside images', () => {
    const clip = new Blob([new Uint8Array([0x1a, 0x45, 0xdf, 0xa3])], { type: 'video/webm' });
    const video = (url: unknown) => ({ type: 'video_url', video_url: { url } });
    const { body, attachments } = extractAttachments({ messages: [{ role: 'user', content: [video(clip), image(clip), video('data:video/webm;base64,AAAA')] }] });
    expect((body as { messages: Array<{ content: unknown[] }> }).messages[0]!.content).toEqual([
      video('webinfer-attachment:0'), image('webinfer-attachment:0'), video('data:video/webm;base64,AAAA'),
    ]);
    expect(attachments).toEqual([{ kind: 'blob', blob: clip }]);
    expect(() => extractAttachments({ messages: [{ role: 'user', content: [video(42)] }] })).not.toThrow();
    expect(() => extractAttachments({ messages: [{ role: 'user', content: [video({})] }] })).toThrow(/video_url\.url must be/);
  });
});
