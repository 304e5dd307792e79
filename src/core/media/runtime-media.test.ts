import { describe, expect, test, vi } from 'vitest';
import { png } from '../../../tests/support/media-fixtures.js';
import { ScriptedEngine, collect } from '../../../tests/support/scripted-engine.js';
import { BadRequestError } from '../../protocol/errors.js';
import type { LoadedModel, PromptInput } from '../engine.js';
import { Runtime } from '../runtime.js';
import { fitWithin, type ImageDecoder } from './decode.js';
import { mediaLimits } from './limits.js';

/** Media through the Runtime (scripted engine, fake decoder and fetch): when it is resolved, what the engine gets. */
const decoder: ImageDecoder = {
  async decode(bytes, _mime, maxEdge) {
    const v = new DataView(bytes.buffer, bytes.byteOffset);
    const { width, height } = fitWithin(v.getUint32(16), v.getUint32(20), maxEdge);
    return { data: new Uint8ClampedArray(width * height * 4), width, height };
  },
  async fromBitmap() {
    throw new Error('unused');
  },
};

function setup(fetchImpl: typeof fetch) {
  const engine = new ScriptedEngine({
    vlm: { reply: ['seen'], modalities: ['text', 'image'] },
    'vlm-undeclared': { reply: ['seen'], modalities: ['text', 'image'] },
    chat: { reply: ['hello'] },
    'chat-declared': { reply: ['hello'] },
  });
  const runtime = new Runtime({
    engines: { scripted: async () => engine },
    models: [
      { id: 'vlm', engine: 'scripted', source: { repo: 'vlm' }, modalities: ['text', 'image'] },
      { id: 'vlm-undeclared', engine: 'scripted', source: { repo: 'vlm-undeclared' } },
      { id: 'chat', engine: 'scripted', source: { repo: 'chat' } },
      { id: 'chat-declared', engine: 'scripted', source: { repo: 'chat-declared' }, modalities: ['text'] },
    ],
    media: { limits: () => mediaLimits(), decoder, fetch: fetchImpl },
  });
  return { engine, runtime };
}

const withImage = (model: string, url = 'https://images.example/a.png') => ({
  model,
  messages: [{ role: 'user', content: [{ type: 'text', text: 'look' }, { type: 'image_url', image_url: { url } }] }],
});

describe('media in the runtime', () => {
  test('a slow image URL does not hold the queue: a text request sent later finishes first', async () => {
    let releaseFetch!: () => void;
    const fetchImpl = vi.fn(() => new Promise<Response>((resolve) => { releaseFetch = () => resolve(new Response(png(40, 30))); }));
    const { engine, runtime } = setup(fetchImpl);
    const order: string[] = [];
    const slow = runtime.createChatCompletion(withImage('vlm'), new AbortController().signal).then((r) => { order.push('image'); return r; });
    await vi.waitFor(() => expect(fetchImpl).toHaveBeenCalled());
    const text = await runtime.createChatCompletion({ model: 'chat', messages: [{ role: 'user', content: 'hi' }] }, new AbortController().signal);
    order.push('text');
    expect(text.choices[0]!.message.content).toBe('hello');
    releaseFetch();
    const image = await slow;
    expect(order).toEqual(['text', 'image']);
    expect(image.choices[0]!.message.content).toBe('seen');
    const prompt = engine.calls.find((c) => c.model === 'vlm')!.prompt;
    expect(prompt.tokenIds.length).toBeGreaterThan(0);
  });

  test('the engine gets the decoded pictures in PromptInput.media', async () => {
    const { engine, runtime } = setup(async () => new Response(png(40, 30)));
    const spy = vi.spyOn(engine, 'load');
    await runtime.createChatCompletion(withImage('vlm'), new AbortController().signal);
    const model = (await spy.mock.results[0]!.value) as LoadedModel;
    const prepare = vi.spyOn(model, 'prepareChat');
    await runtime.createChatCompletion(withImage('vlm'), new AbortController().signal);
    const input = prepare.mock.calls[0]![0] as PromptInput;
    expect(input.media?.images.map((i) => [i.width, i.height, i.mime, i.message, i.part])).toEqual([[40, 30, 'image/png', 0, 1]]);
  });

  test('a model declared text-only: 400 before anything is fetched or loaded', async () => {
    const fetchImpl = vi.fn(async () => new Response(png(4, 4)));
    const { engine, runtime } = setup(fetchImpl);
    const err = await runtime.createChatCompletion(withImage('chat-declared'), new AbortController().signal).catch((e) => e);
    expect(err).toBeInstanceOf(BadRequestError);
    expect(err).toMatchObject({ param: 'messages[0].content[1]', code: 'unsupported_content' });
    expect(fetchImpl).not.toHaveBeenCalled();
    expect(engine.loads).toBe(0);
  });

  test('modalities not declared: checked after the load (and nothing fetched for a text model)', async () => {
    const fetchImpl = vi.fn(async () => new Response(png(4, 4)));
    const { engine, runtime } = setup(fetchImpl);
    const err = await runtime.createChatCompletion(withImage('chat'), new AbortController().signal).catch((e) => e);
    expect(err).toMatchObject({ status: 400, code: 'unsupported_content' });
    expect(fetchImpl).not.toHaveBeenCalled();
    expect(engine.loads).toBe(1);
    const ok = await runtime.createChatCompletion(withImage('vlm-undeclared'), new AbortController().signal);
    expect(ok.choices[0]!.message.content).toBe('seen');
    expect(fetchImpl).toHaveBeenCalledTimes(1);
    // Once loaded, its modalities are known: /v1/models says so.
    expect(runtime.retrieveModel('vlm-undeclared').modalities).toEqual(['text', 'image']);
  });

  test('a refused image is a 400 and the runtime keeps serving', async () => {
    const { runtime } = setup(async () => new Response('<html>', { headers: { 'content-type': 'image/png' } }));
    const err = await runtime.createChatCompletion(withImage('vlm'), new AbortController().signal).catch((e) => e);
    expect(err).toMatchObject({ status: 400, param: 'messages[0].content[1]', code: 'invalid_image' });
    const bad = await runtime.createChatCompletion(withImage('vlm', 'file:///etc/passwd'), new AbortController().signal).catch((e) => e);
    expect(bad).toMatchObject({ status: 400, code: 'unsupported_url_scheme' });
    const chunks = await collect(await runtime.startChatCompletion({ model: 'chat', messages: [{ role: 'user', content: 'hi' }], stream: true }, new AbortController().signal));
    expect(chunks.map((c) => c.choices[0]?.delta.content ?? '').join('')).toBe('hello');
  });
});
