import { describe, expect, it } from 'vitest';
import { EngineUnavailableError } from './backend.js';
import { SSE_DONE, sseFrame, sseFromHost, type HostMessage } from './sse.js';
import { parseSse, sleep } from './test-support.js';

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

function source(messages: HostMessage[], opts: { hold?: boolean } = {}) {
  const state = { cancelled: false as boolean, reason: undefined as unknown };
  const stream = new ReadableStream<HostMessage>({
    start(c) {
      for (const m of messages) c.enqueue(m);
      if (!opts.hold) c.close();
    },
    cancel(reason) {
      state.cancelled = true;
      state.reason = reason;
    },
  });
  return { reader: stream.getReader(), state };
}

const chunk = (n: number): HostMessage => ({ type: 'chunks', chunks: [{ n, s: 'é\n"x"' }] });

describe('SSE encoding', () => {
  it('frames one JSON per data line, blank line after each', () => {
    expect(text(sseFrame({ a: 'b\nc' }))).toBe('data: {"a":"b\\nc"}\n\n');
    expect(SSE_DONE).toBe('data: [DONE]\n\n');
  });

  it('turns host chunks into frames, skips started, ends with [DONE]', async () => {
    const { reader } = source([{ type: 'started' }, chunk(1), chunk(2)]);
    const body = await new Response(sseFromHost(reader)).text();
    expect(body).toBe(`data: ${JSON.stringify({ n: 1, s: 'é\n"x"' })}\n\ndata: ${JSON.stringify({ n: 2, s: 'é\n"x"' })}\n\ndata: [DONE]\n\n`);
    expect(parseSse(body).map((d) => (d === '[DONE]' ? d : JSON.parse(d).n))).toEqual([1, 2, '[DONE]']);
  });

  it('an error after the start is one error frame, then the end, without [DONE]', async () => {
    const error = { status: 500, error: { message: 'boom', type: 'server_error', param: null, code: 'internal_error' } };
    const { reader } = source([chunk(1), { type: 'error', error }, chunk(2)]);
    let ended = 0;
    const frames = parseSse(await new Response(sseFromHost(reader, { onEnd: () => ended++ })).text());
    expect(frames).toHaveLength(2);
    expect(JSON.parse(frames[1]!)).toEqual({ error: error.error });
    expect(ended).toBe(1);
  });

  it('cancelling the SSE stream (client gone) cancels the host stream', async () => {
    const { reader, state } = source([chunk(1)], { hold: true });
    let ended = 0;
    const sse = sseFromHost(reader, { onEnd: () => ended++ }).getReader();
    expect(text((await sse.read()).value!)).toContain('"n":1');
    await sse.cancel('client went away');
    expect(state.cancelled).toBe(true);
    expect(state.reason).toBe('client went away');
    expect(ended).toBe(1);
  });

  it('a host lost mid-stream ends the stream with a 503 error frame', async () => {
    const { reader, state } = source([chunk(1)], { hold: true });
    const lost = new AbortController();
    const done = new Response(sseFromHost(reader, { lost: lost.signal })).text();
    await sleep(10);
    lost.abort(new EngineUnavailableError('The engine host went away.'));
    const frames = parseSse(await done);
    expect(frames).toHaveLength(2);
    const err = JSON.parse(frames[1]!).error;
    expect(err.code).toBe('engine_unavailable');
    expect(err.message).toMatch(/open a page/i);
    expect(state.cancelled).toBe(true);
  });

  it('frames already queued go out in one write; frames that trickle in go out one by one', async () => {
    const queued = sseFromHost(source([chunk(1), chunk(2), chunk(3)]).reader).getReader();
    const all = text((await queued.read()).value!);
    expect(parseSse(all)).toHaveLength(4);
    expect(all.endsWith(SSE_DONE)).toBe(true);
    expect((await queued.read()).done).toBe(true);

    let push!: (m: HostMessage | null) => void;
    const live = new ReadableStream<HostMessage>({
      start(c) { push = (m) => (m ? c.enqueue(m) : c.close()); },
    });
    const trickle = sseFromHost(live.getReader()).getReader();
    const writes: string[] = [];
    const reading = (async () => {
      for (;;) {
        const { value, done } = await trickle.read();
        if (done) return;
        writes.push(text(value));
      }
    })();
    for (const n of [1, 2, 3]) {
      push(chunk(n));
      await sleep(5);
    }
    push(null);
    await reading;
    expect(writes.map((w) => parseSse(w).length)).toEqual([1, 1, 1, 1]);
  });
});
