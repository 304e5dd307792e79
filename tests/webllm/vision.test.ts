/**
 * Images to web-llm's vision models (Phi-3.5-vision): core fetches, checks and decodes
 * them; the adapter hands web-llm's real MLCEngine PNG data URLs of those pixels, in the
 * user's message, so web-llm (which decodes image URLs itself) never fetches anything.
 * The scripted pipeline renders what web-llm's real Conversation builds from them
 * (images in place, phi3_v's "\n" after each) and counts image embedding tokens as
 * LLMChatPipeline does.
 */
import { inflateSync } from 'node:zlib';
import { describe, expect, test, vi } from 'vitest';
import type { ImageDecoder } from '../../src/core/media/decode.js';
import { fitWithin } from '../../src/core/media/decode.js';
import { mediaLimits } from '../../src/core/media/limits.js';
import { BadRequestError } from '../../src/protocol/errors.js';
import { encodePng } from '../../src/engines/webllm/image.js';
import { png } from '../support/media-fixtures.js';
import type { WebLLMScript } from './support/scripted-webllm.js';
import { setup, signal } from './support/setup.js';

/** Fake decoder: the header's size, pixels whose red channel is the width (so each image is recognisable). */
const decoder: ImageDecoder = {
  async decode(bytes, _mime, maxEdge) {
    const v = new DataView(bytes.buffer, bytes.byteOffset);
    const { width, height } = fitWithin(v.getUint32(16), v.getUint32(20), maxEdge);
    const data = new Uint8ClampedArray(width * height * 4);
    for (let i = 0; i < data.length; i += 4) data.set([width & 255, height & 255, i & 255, 255], i);
    return { data, width, height };
  },
  async fromBitmap() {
    throw new Error('unused');
  },
};

const dataUrl = (w: number, h: number) => `data:image/png;base64,${Buffer.from(png(w, h)).toString('base64')}`;

/** The pixels of a PNG data URL as our encoder writes it (RGBA, no filter). */
function pixelsOf(url: string): { width: number; height: number; data: Uint8Array } {
  expect(url.startsWith('data:image/png;base64,')).toBe(true);
  const bytes = Buffer.from(url.slice(url.indexOf(',') + 1), 'base64');
  const width = bytes.readUInt32BE(16), height = bytes.readUInt32BE(20);
  let o = 33, idat: Buffer[] = [];
  while (o < bytes.length) {
    const len = bytes.readUInt32BE(o), type = bytes.toString('latin1', o + 4, o + 8);
    if (type === 'IDAT') idat.push(bytes.subarray(o + 8, o + 8 + len));
    o += 12 + len;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const data = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) {
    expect(raw[y * (width * 4 + 1)]).toBe(0);
    data.set(raw.subarray(y * (width * 4 + 1) + 1, (y + 1) * (width * 4 + 1)), y * width * 4);
  }
  return { width, height, data };
}

async function expectedPixels(w: number, h: number) {
  return (await decoder.decode(png(w, h), 'image/png', 10_000)).data;
}

const VLM = { model_type: 'vlm' };

function vision(scripts: Record<string, WebLLMScript>, fetchImpl: typeof fetch = async () => { throw new Error('no fetch'); }, options: Record<string, Record<string, unknown>> = {}) {
  return setup(scripts, { media: { limits: () => mediaLimits(), decoder, fetch: fetchImpl }, options });
}

describe('images to web-llm vision models', () => {
  test('a vision model reports text and image; a chat model text only, and refuses images with a 400', async () => {
    const { runtime } = vision({ v: { reply: 'ok' }, c: { reply: 'ok' } }, undefined, { v: VLM });
    expect((await runtime.loadModel('v')).modalities).toEqual(['text', 'image']);
    expect((await runtime.loadModel('c')).modalities).toEqual(['text']);
    const err = await runtime
      .createChatCompletion({ model: 'c', messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: dataUrl(4, 4) } }] }] }, signal())
      .catch((e) => e);
    expect(err).toBeInstanceOf(BadRequestError);
    expect(err.param).toBe('messages[0].content[0]');
  });

  test('web-llm gets each image as a data URL of the decoded pixels, in its message; texts intact; it fetches nothing', async () => {
    const fetchImpl = vi.fn(async () => new Response(png(24, 8)));
    const { runtime, web } = vision(
      { v: { reply: 'Two pictures.', config: { model_config: { mm_tokens_per_image: 16 } } as never } },
      fetchImpl,
      { v: VLM },
    );
    const messages = [
      { role: 'system', content: 'Be brief.' },
      {
        role: 'user',
        content: [
          { type: 'text', text: 'Compare ' },
          { type: 'image_url', image_url: { url: dataUrl(16, 8) } },
          { type: 'text', text: 'with' },
          { type: 'image_url', image_url: { url: 'https://images.example/b.png' } },
        ],
      },
      { role: 'assistant', content: 'They differ.' },
      { role: 'user', content: [{ type: 'image_url', image_url: { url: dataUrl(8, 8), detail: 'low' } }, { type: 'text', text: 'And this?' }] },
    ];
    const completion = await runtime.createChatCompletion({ model: 'v', messages }, signal());
    expect(completion.choices[0]!.message.content).toBe('Two pictures.');
    expect(fetchImpl).toHaveBeenCalledTimes(1); // core's fetch, with its checks; never web-llm's

    const sent = (web.callsOf('chatCompletion')[0]!.args[0] as { messages: unknown[] }).messages;
    const url = (m: number, p: number) => ((sent[m] as { content: Array<{ image_url: { url: string } }> }).content[p]!).image_url.url;
    expect(sent).toEqual([
      { role: 'system', content: 'Be brief.' },
      {
        role: 'user',
        content: [
          { type: 'text', text: 'Compare with' },
          { type: 'image_url', image_url: { url: expect.stringMatching(/^data:image\/png;base64,/) } },
          { type: 'image_url', image_url: { url: expect.stringMatching(/^data:image\/png;base64,/) } },
        ],
      },
      { role: 'assistant', content: 'They differ.' },
      {
        role: 'user',
        content: [
          { type: 'image_url', image_url: { url: expect.stringMatching(/^data:image\/png;base64,/) } },
          { type: 'text', text: 'And this?' },
        ],
      },
    ]);
    // No `detail` reaches web-llm (it refuses the field); the pixels are core's decode.
    for (const [m, p, w, h] of [[1, 1, 16, 8], [1, 2, 24, 8], [3, 0, 8, 8]] as const) {
      const px = pixelsOf(url(m, p));
      expect([px.width, px.height]).toEqual([w, h]);
      expect(px.data).toEqual(new Uint8Array(await expectedPixels(w, h)));
    }

    // What web-llm's real Conversation prefilled: the images in order, texts intact.
    const prefill = web.pipelines[0]!.prefills[0]!;
    expect(prefill.images).toEqual([url(1, 1), url(1, 2), url(3, 0)]);
    expect(prefill.text).toContain('<|im_start|>user\n<image><image>Compare with<|im_end|>\n');
    expect(prefill.text).toContain('<|im_start|>user\n<image>And this?<|im_end|>\n');
    // Our count before generation includes each image's embedding tokens.
    expect(completion.usage.prompt_tokens).toBe(prefill.tokens.length);
  });

  test("phi3_v: web-llm's newline after each image, and its embedding size from the image's shape, counted before generation", async () => {
    const { runtime, web } = vision({ v: { reply: 'ok', contextWindow: 8192, config: { model_type: 'phi3_v', prefill_chunk_size: 4096 } as never } }, undefined, { v: VLM });
    const completion = await runtime.createChatCompletion(
      { model: 'v', messages: [{ role: 'user', content: [{ type: 'text', text: 'What?' }, { type: 'image_url', image_url: { url: dataUrl(64, 32) } }] }] },
      signal(),
    );
    const prefill = web.pipelines[0]!.prefills[0]!;
    expect(prefill.text).toContain('<|im_start|>user\n<image>\nWhat?<|im_end|>\n');
    // 64x32 (ratio 2): 5 crops wide, 3 high -> 3*12*(5*12+1) + 1 + 12*13 = 2353 image tokens.
    expect(prefill.tokens.filter((t) => t === -1).length).toBe(2353);
    expect(completion.usage.prompt_tokens).toBe(prefill.tokens.length);
  });

  test("refusals: an image larger than web-llm's prefill chunk, and images beyond the context window, are 400s before web-llm runs", async () => {
    const { runtime, web } = vision({ v: { reply: 'ok', contextWindow: 4096, config: { model_type: 'phi3_v', prefill_chunk_size: 2048 } as never } }, undefined, { v: VLM });
    const one = await runtime
      .createChatCompletion({ model: 'v', messages: [{ role: 'user', content: [{ type: 'text', text: 'Hi' }, { type: 'image_url', image_url: { url: dataUrl(32, 32) } }] }] }, signal())
      .catch((e) => e);
    expect(one).toBeInstanceOf(BadRequestError);
    expect(one).toMatchObject({ param: 'messages[0].content[1]', code: 'image_too_large' });
    expect(one.message).toMatch(/2509 tokens.*prefill chunk \(2048\)/);

    const { runtime: r2, web: w2 } = vision({ v: { reply: 'ok', contextWindow: 4096, config: { model_type: 'phi3_v', prefill_chunk_size: 4096 } as never } }, undefined, { v: VLM });
    const two = await r2
      .createChatCompletion({
        model: 'v',
        messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: dataUrl(64, 32) } }, { type: 'image_url', image_url: { url: dataUrl(64, 32) } }] }],
      }, signal())
      .catch((e) => e);
    expect(two).toBeInstanceOf(BadRequestError);
    expect(two.message).toMatch(/context/i);
    expect(web.callsOf('chatCompletion')).toEqual([]);
    expect(w2.callsOf('chatCompletion')).toEqual([]);
  });

  test('the plain PNG encoder round-trips RGBA', () => {
    const data = new Uint8ClampedArray(3 * 2 * 4).map((_, i) => (i * 37) & 255);
    const url = `data:image/png;base64,${Buffer.from(encodePng(data, 3, 2)).toString('base64')}`;
    expect(pixelsOf(url)).toEqual({ width: 3, height: 2, data: new Uint8Array(data) });
  });
});
