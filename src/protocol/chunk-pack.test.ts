import { describe, expect, test } from 'vitest';
import { collect, scriptedRuntime } from '../../tests/support/scripted-engine.js';
import { chunkJsonUnpacker, chunkPacker, chunkUnpacker } from './chunk-pack.js';

/** Packs a stream as the host does and unpacks it as a reader does (and as the SSE writer does). */
function roundTrip<C extends object>(chunks: C[]) {
  const pack = chunkPacker<C>();
  const unpack = chunkUnpacker<C>();
  const packed = chunks.map(pack);
  const json = packed.map(chunkJsonUnpacker());
  expect(json).toEqual(chunks.map((c) => JSON.stringify(c)));
  return { packed, unpacked: packed.map(unpack) };
}

const signal = () => new AbortController().signal;
const HELLO = ['Hel', 'lo', ' wor', 'ld', ' ', 'a', 'gain'];

describe('chunk packing', () => {
  const cases: Array<[string, Record<string, unknown>]> = [
    ['plain', {}],
    ['include_usage', { stream_options: { include_usage: true } }],
    ['n=3', { n: 3, temperature: 1, seed: 3 }],
    ['logprobs', { logprobs: true, top_logprobs: 2 }],
    ['stop string', { stop: [' ag'] }],
  ];
  test.each(cases)('chat (%s): the reader gets exactly the chunks core made, byte for byte', async (_name, body) => {
    const { runtime } = scriptedRuntime({ m: { reply: HELLO } });
    const chunks = await collect(await runtime.startChatCompletion({ model: 'm', messages: [{ role: 'user', content: 'hi' }], stream: true, ...body }, signal()));
    const { packed, unpacked } = roundTrip(chunks);
    expect(unpacked).toEqual(chunks);
    expect(unpacked.map((c) => JSON.stringify(c))).toEqual(chunks.map((c) => JSON.stringify(c)));
    // Text-only chunks of choice 0 travel as strings (all but the first of them); nothing else does.
    const strings = packed.filter((p) => typeof p === 'string');
    if (body.logprobs) expect(strings).toEqual([]);
    else expect(strings.length).toBeGreaterThan(0);
    for (const [i, p] of packed.entries()) {
      if (typeof p === 'string') expect(chunks[i]!.choices).toEqual([{ index: 0, delta: { content: p }, logprobs: null, finish_reason: null }]);
    }
  });

  test('legacy completions (echo, batch prompts, usage): exact round trip', async () => {
    const { runtime } = scriptedRuntime({ m: { reply: HELLO } });
    const chunks = await collect(await runtime.startCompletion({ model: 'm', prompt: ['a', 'b'], echo: true, stream: true, stream_options: { include_usage: true } }, signal()));
    const { packed, unpacked } = roundTrip(chunks);
    expect(unpacked.map((c) => JSON.stringify(c))).toEqual(chunks.map((c) => JSON.stringify(c)));
    expect(packed.filter((p) => typeof p === 'string').length).toBeGreaterThan(0);
  });

  test('a chunk with anything besides text, or with another envelope, travels whole', () => {
    const base = { id: 'a', object: 'chat.completion.chunk', created: 1, model: 'm', system_fingerprint: 'f' };
    const text = (content: string, extra: object = {}) => ({ ...base, ...extra, choices: [{ index: 0, delta: { content }, logprobs: null, finish_reason: null }] });
    const chunks = [
      text('one'),
      text('two'),
      { ...base, choices: [{ index: 0, delta: { content: 'x', reasoning_content: 'r' }, logprobs: null, finish_reason: null }] },
      { ...base, choices: [{ index: 1, delta: { content: 'x' }, logprobs: null, finish_reason: null }] },
      text('three', { id: 'b' }),
      text('four', { id: 'b' }),
      text('five', { id: 'b', usage: null }),
      text('six "quoted" \u0000webinfer-text\u0000 \n', { id: 'b', usage: null }),
      text('seven', { id: 'b', usage: null, model: '\u0000webinfer-text\u0000' }),
      text('eight', { id: 'b', usage: null, model: '\u0000webinfer-text\u0000' }),
    ];
    const { packed, unpacked } = roundTrip(chunks);
    expect(packed.map((p) => (typeof p === 'string' ? p : 'whole'))).toEqual(
      ['whole', 'two', 'whole', 'whole', 'whole', 'four', 'whole', 'six "quoted" \u0000webinfer-text\u0000 \n', 'whole', 'eight'],
    );
    expect(unpacked).toEqual(chunks);
  });

  test('a packed chunk without its template is a bug, not a silent guess', () => {
    expect(() => chunkUnpacker()('text')).toThrow(/before its template/);
  });
});
