/**
 * Streamed chunks as they cross a port. Almost every chunk of a stream is its envelope
 * (id, created, model, ...) around one choice-0 text delta; structured-cloning that whole
 * object costs the engine host microseconds per token, on the thread that decodes. So a
 * chunk that differs from the stream's last plain-text chunk only by its text travels as
 * that text (a string), and the reader rebuilds the identical object. Anything else
 * (roles, tool calls, logprobs, finish, usage, other choices) travels as is.
 *
 * Chat chunks carry their text in `choices[0].delta.content`, legacy completions in
 * `choices[0].text`; `object` tells them apart.
 */

/** An element of a `chunks` message: a chunk, or the text of one (see above). */
export type PackedChunk<C> = C | string;

interface AnyChunk {
  id?: unknown;
  object?: unknown;
  created?: unknown;
  model?: unknown;
  system_fingerprint?: unknown;
  usage?: unknown;
  choices?: unknown;
}

type Choice = Record<string, unknown>;

/** The text of a plain-text chunk: choice 0 only, nothing but text in it; else undefined. */
function plainText(chunk: AnyChunk): string | undefined {
  const choices = chunk.choices;
  if (!Array.isArray(choices) || choices.length !== 1) return undefined;
  const choice = choices[0] as Choice;
  if (choice.index !== 0 || choice.logprobs !== null || choice.finish_reason !== null || (chunk.usage ?? null) !== null) return undefined;
  if (countKeys(choice) !== 4) return undefined;
  if (chunk.object === 'chat.completion.chunk') {
    const delta = choice.delta as Record<string, unknown> | null;
    return delta && typeof delta.content === 'string' && countKeys(delta) === 1 ? delta.content : undefined;
  }
  if (chunk.object === 'text_completion') return typeof choice.text === 'string' ? choice.text : undefined;
  return undefined;
}

function countKeys(o: object): number {
  let n = 0;
  for (const _ in o) n++;
  return n;
}

/** The same envelope (and so the same rebuilt object) as `template`. */
function sameEnvelope(chunk: AnyChunk, template: AnyChunk, templateKeys: number): boolean {
  return (
    chunk.id === template.id &&
    chunk.object === template.object &&
    chunk.created === template.created &&
    chunk.model === template.model &&
    chunk.system_fingerprint === template.system_fingerprint &&
    'usage' in chunk === 'usage' in template &&
    countKeys(chunk) === templateKeys
  );
}

/** `template` with its text replaced: objects built like core builds them, keys in the same order. */
function withText<C>(template: AnyChunk, text: string): C {
  const choice = (template.choices as Choice[])[0]!;
  const rebuilt = template.object === 'chat.completion.chunk' ? { ...choice, delta: { content: text } } : { ...choice, text };
  return { ...template, choices: [rebuilt] } as C;
}

/** The writer's side, one per stream. */
export function chunkPacker<C extends object>(): (chunk: C) => PackedChunk<C> {
  let template: AnyChunk | null = null;
  let templateKeys = 0;
  return (chunk) => {
    const c = chunk as AnyChunk;
    const text = plainText(c);
    if (text === undefined) return chunk;
    if (template && sameEnvelope(c, template, templateKeys)) return text;
    // The first plain-text chunk of a stream (or one with a new envelope) goes whole and
    // becomes the template; the reader does the same.
    template = c;
    templateKeys = countKeys(c);
    return chunk;
  };
}

/** The reader's side, one per stream: gives back exactly the chunks that were packed. */
export function chunkUnpacker<C extends object>(): (packed: PackedChunk<C>) => C {
  let template: AnyChunk | null = null;
  return (packed) => {
    if (typeof packed === 'string') {
      if (!template) throw new Error('A packed chunk arrived before its template.');
      return withText<C>(template, packed);
    }
    if (plainText(packed as AnyChunk) !== undefined) template = packed as AnyChunk;
    return packed;
  };
}

/**
 * The reader's side for a JSON writer (the gateway's SSE): each chunk as exactly the JSON
 * `JSON.stringify` gives for it, without rebuilding the objects of packed ones. Their JSON
 * is the template's with only the text spliced in.
 */
export function chunkJsonUnpacker(): (packed: PackedChunk<object>) => string {
  const unpack = chunkUnpacker<object>();
  let around: [string, string] | null = null;
  return (packed) => {
    if (typeof packed !== 'string') {
      const chunk = unpack(packed);
      if (plainText(chunk as AnyChunk) !== undefined) around = null; // a new template
      return JSON.stringify(chunk);
    }
    if (!around) {
      const json = JSON.stringify(unpack(MARK));
      const parts = json.split(MARK_JSON);
      // The marker cannot occur in the envelope unless someone put it there on purpose.
      if (parts.length !== 2) return JSON.stringify(unpack(packed));
      around = [parts[0]!, parts[1]!];
    }
    return around[0] + JSON.stringify(packed) + around[1];
  };
}

const MARK = '\u0000webinfer-text\u0000';
const MARK_JSON = JSON.stringify(MARK);
