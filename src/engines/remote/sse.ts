/**
 * Reads a server-sent event stream (what OpenAI-compatible servers stream) as the `data`
 * of each event: JSON parsed, `[DONE]` ends it. Servers that end without `[DONE]`
 * (transformers serve) end when the body does.
 */
export async function* sseData(body: ReadableStream<Uint8Array>, onIdle: () => void): AsyncGenerator<unknown> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      onIdle();
      // CRLF joined after concatenation, so a pair split across two reads is still one line end.
      buffer = (buffer + decoder.decode(value, { stream: true })).replace(/\r\n/g, '\n');
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const data = eventData(buffer.slice(0, end));
        buffer = buffer.slice(end + 2);
        if (data === null) continue;
        if (data.trim() === '[DONE]') return;
        yield JSON.parse(data);
      }
    }
    const data = eventData(buffer);
    if (data !== null && data.trim() !== '[DONE]') yield JSON.parse(data);
  } finally {
    // Ending early (abort, the caller stopped reading) closes the connection: the server sees it.
    await reader.cancel().catch(() => {});
  }
}

/** The `data:` lines of one event, joined; null for an event without data (comments, keep-alives). */
function eventData(event: string): string | null {
  const lines = event.split('\n').filter((l) => l.startsWith('data:')).map((l) => l.slice(l.startsWith('data: ') ? 6 : 5));
  return lines.length ? lines.join('\n') : null;
}
