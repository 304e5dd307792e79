import type { ToolCallFormat } from './format.js';

/**
 * Streaming tool-call parser: model text in, OpenAI pieces out (content, a call's start
 * with its name, then its arguments in fragments). Reads every common family's output:
 *
 * - Hermes/Qwen:   <tool_call>\n{"name": "f", "arguments": {...}}\n</tool_call>  (repeated)
 * - Llama 3.x:     <|python_tag|>{"name": "f", "parameters": {...}}; {...}  or the bare JSON
 * - Mistral:       [TOOL_CALLS][{"name": "f", "arguments": {...}}, ...]  or the bare array
 * - plain JSON:    the whole reply is {"name": ..., "arguments"|"parameters": ...} or an array
 *                  of those (only counted as calls when the names are declared tools)
 *
 * Text that might be the start of a call is held back, never sent as content; whitespace
 * next to calls is dropped. When a call's prefix `{"name": "f", "arguments": ` has been
 * seen, its arguments stream as they arrive (the model's own JSON text); other key orders
 * and string-encoded arguments are parsed once the call's object is complete. A block
 * that turns out not to be a call is handed back as content, unchanged.
 */
export type ToolEvent =
  | { type: 'content'; text: string }
  | { type: 'call'; index: number; id: string; name: string }
  | { type: 'arguments'; index: number; text: string };

export interface ToolParserOptions {
  /** Declared function names. Plain JSON counts as a call only with one of these. */
  names: ReadonlySet<string>;
  /** Calls beyond this many are parsed and dropped (parallel_tool_calls: false -> 1). */
  maxCalls?: number;
  /** Only markers, no plain-JSON detection (e.g. when the reply is JSON by response_format). */
  plainJson?: boolean;
  /** The model's call format: Mistral's templates take only 9-alphanumeric call ids back. */
  format?: ToolCallFormat;
}

const MARKERS = [
  { text: '<tool_call>', kind: 'hermes' },
  { text: '<|python_tag|>', kind: 'python' },
  { text: '[TOOL_CALLS]', kind: 'mistral' },
] as const;
type BlockKind = (typeof MARKERS)[number]['kind'] | 'plain';

/**
 * `call_` + 24 random alphanumerics, as OpenAI's; for Mistral models 9 alphanumerics (their
 * chat templates raise on any other id when the call comes back, as vLLM generates them).
 */
export function newCallId(format?: ToolCallFormat): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  const bytes = crypto.getRandomValues(new Uint8Array(format === 'mistral' ? 9 : 24));
  const id = Array.from(bytes, (b) => alphabet[b % alphabet.length]).join('');
  return format === 'mistral' ? id : `call_${id}`;
}

export class ToolCallParser {
  private buf = '';
  private block: Block | null = null;
  private atStart = true;
  private afterCall = false;
  private heldWs = '';
  private out: ToolEvent[] = [];
  /** Calls reported so far. */
  calls = 0;

  constructor(private readonly opts: ToolParserOptions) {}

  push(text: string): ToolEvent[] {
    this.buf += text;
    this.run(false);
    return this.take();
  }

  finish(): ToolEvent[] {
    this.run(true);
    if (this.calls === 0 && this.heldWs) this.out.push({ type: 'content', text: this.heldWs });
    this.heldWs = '';
    return this.take();
  }

  private take(): ToolEvent[] {
    const events = this.out;
    this.out = [];
    return merge(events);
  }

  private run(final: boolean): void {
    for (;;) {
      if (this.block) {
        const r = this.block.feed(this.buf, final);
        this.buf = this.buf.slice(r.consumed);
        if (r.status === 'more') {
          if (!final) return;
          // Cut off (max_tokens): a started call stays as it is. A call opened by its marker
          // but cut off before its name is dropped (never sent as markup); a reply that
          // merely started like JSON is content.
          if (!this.block.hasCalls() && this.block.kind === 'plain') this.content(this.block.raw, false);
          this.block = null;
          return;
        }
        if (r.status === 'failed') this.content(this.block.raw, false);
        else this.afterCall = true;
        this.block = null;
        this.atStart = false;
        continue;
      }
      if (this.buf === '') return;
      if (this.atStart && this.opts.plainJson !== false) {
        const ws = /^\s*/.exec(this.buf)![0];
        const head = this.buf.slice(ws.length);
        const markerAhead = MARKERS.some((m) => head.startsWith(m.text) || (!final && m.text.startsWith(head)));
        if (ws.length === this.buf.length) {
          if (!final) return;
        } else if (markerAhead) {
          if (!MARKERS.some((m) => head.startsWith(m.text))) return; // maybe a marker: wait
        } else if (head[0] === '{' || head[0] === '[') {
          this.heldWs += ws;
          this.buf = this.buf.slice(ws.length);
          this.block = new Block('plain', '', this);
          continue;
        }
      }
      this.atStart = false;
      let at = -1;
      let marker: (typeof MARKERS)[number] | null = null;
      for (const m of MARKERS) {
        const i = this.buf.indexOf(m.text);
        if (i !== -1 && (at === -1 || i < at)) { at = i; marker = m; }
      }
      if (marker) {
        this.content(this.buf.slice(0, at), true);
        this.buf = this.buf.slice(at + marker.text.length);
        this.block = new Block(marker.kind, marker.text, this);
        continue;
      }
      const keep = final ? 0 : partialMarker(this.buf);
      this.content(this.buf.slice(0, this.buf.length - keep), false);
      this.buf = this.buf.slice(this.buf.length - keep);
      if (final && this.buf) { this.content(this.buf, false); this.buf = ''; }
      return;
    }
  }

  /** Content text; whitespace next to calls is dropped, trailing whitespace held. */
  private content(text: string, beforeCall: boolean): void {
    let full = this.heldWs + text;
    this.heldWs = '';
    if (this.afterCall) {
      full = full.replace(/^\s+/, '');
      if (!full) return;
      this.afterCall = false;
    }
    if (beforeCall) {
      full = full.replace(/\s+$/, '');
    } else {
      const trailing = /\s*$/.exec(full)![0];
      this.heldWs = trailing;
      full = full.slice(0, full.length - trailing.length);
    }
    if (full) this.out.push({ type: 'content', text: full });
  }

  /** Called by a block when a call's name is known; returns its index, or null if dropped. */
  startCall(name: string): number | null {
    if (this.calls >= (this.opts.maxCalls ?? Infinity)) return null;
    const index = this.calls++;
    this.out.push({ type: 'call', index, id: newCallId(this.opts.format), name });
    return index;
  }

  arguments(index: number, text: string): void {
    if (text) this.out.push({ type: 'arguments', index, text });
  }

  knows(name: string): boolean {
    return this.opts.names.has(name);
  }
}

/** Length of the longest suffix of `text` that is a proper prefix of a marker. */
function partialMarker(text: string): number {
  let best = 0;
  for (const { text: m } of MARKERS) {
    for (let len = Math.min(m.length - 1, text.length); len > best; len--) {
      if (text.endsWith(m.slice(0, len))) { best = len; break; }
    }
  }
  return best;
}

/** Adjacent pieces of the same kind become one. */
function merge(events: ToolEvent[]): ToolEvent[] {
  const out: ToolEvent[] = [];
  for (const e of events) {
    const last = out[out.length - 1];
    if (last && last.type === 'content' && e.type === 'content') last.text += e.text;
    else if (last && last.type === 'arguments' && e.type === 'arguments' && last.index === e.index) last.text += e.text;
    else out.push({ ...e });
  }
  return out;
}

type Phase = 'lead' | 'object' | 'between' | 'close' | 'done';
const CLOSE_TAG = '</tool_call>';

/** One block of calls: after a marker (or a reply that starts with JSON). */
class Block {
  raw: string;
  startedCalls = 0;
  private phase: Phase = 'lead';
  private inArray = false;
  private objects = 0;
  private call: CallObject | null = null;

  constructor(readonly kind: BlockKind, marker: string, private readonly parser: ToolCallParser) {
    this.raw = marker;
  }

  /** A call of this block was reported (or dropped as one too many). */
  hasCalls(): boolean {
    return this.startedCalls > 0 || (this.call !== null && (this.call.index !== null || this.call.dropped));
  }

  feed(buf: string, final: boolean): { consumed: number; status: 'more' | 'done' | 'failed' } {
    let i = 0;
    const fail = () => ({ consumed: i, status: 'failed' as const });
    while (i < buf.length) {
      const c = buf[i]!;
      switch (this.phase) {
        case 'lead': {
          if (/\s/.test(c)) { this.raw += c; i++; break; }
          if (c === '[' && !this.inArray && this.objects === 0) { this.inArray = true; this.raw += c; i++; break; }
          if (c === ']' && this.inArray && this.objects === 0 && this.kind !== 'plain') {
            this.raw += c; i++; this.inArray = false; this.phase = this.kind === 'hermes' ? 'close' : 'done'; break;
          }
          if (c !== '{') return fail();
          this.call = new CallObject(this.parser, this.kind === 'plain');
          this.phase = 'object';
          break;
        }
        case 'object': {
          this.raw += c;
          i++;
          const r = this.call!.feedChar(c);
          if (r === 'failed') return fail();
          if (r === 'complete') {
            if (this.call!.index !== null || this.call!.dropped) this.startedCalls++;
            this.objects++;
            this.call = null;
            this.phase = 'between';
          }
          break;
        }
        case 'between': {
          if (/\s/.test(c) && (this.inArray || this.kind === 'python' || this.kind === 'hermes')) {
            // Whitespace is only consumed when something of the block follows; see below.
            const rest = buf.slice(i);
            const ws = /^\s*/.exec(rest)![0];
            if (ws.length === rest.length && !final) return { consumed: i, status: 'more' };
            const next = rest[ws.length];
            if (this.inArray || next === ';' || (this.kind === 'hermes' && (next === '<' || next === '{'))) {
              this.raw += ws; i += ws.length; break;
            }
            this.phase = this.kind === 'hermes' ? 'close' : 'done';
            break;
          }
          if (this.inArray) {
            if (c === ',') { this.raw += c; i++; this.phase = 'lead'; break; }
            if (c === ']') { this.raw += c; i++; this.inArray = false; this.phase = this.kind === 'hermes' ? 'close' : 'done'; break; }
            return fail();
          }
          if (this.kind === 'python' && c === ';') { this.raw += c; i++; this.phase = 'lead'; break; }
          if (this.kind === 'hermes' && c === '{') { this.phase = 'lead'; break; }
          this.phase = this.kind === 'hermes' ? 'close' : 'done';
          break;
        }
        case 'close': {
          const rest = buf.slice(i);
          const ws = /^\s*/.exec(rest)![0];
          const after = rest.slice(ws.length);
          if (after.startsWith(CLOSE_TAG)) {
            this.raw += ws + CLOSE_TAG;
            i += ws.length + CLOSE_TAG.length;
            this.phase = 'done';
            break;
          }
          if (!final && CLOSE_TAG.startsWith(after)) return { consumed: i, status: 'more' };
          // No closing tag: the block ends here, what follows is text.
          this.phase = 'done';
          break;
        }
        case 'done':
          return { consumed: i, status: 'done' };
      }
    }
    if (this.phase === 'done') return { consumed: i, status: 'done' };
    if (final && (this.phase === 'between' || this.phase === 'close') && !this.inArray) return { consumed: i, status: 'done' };
    return { consumed: i, status: 'more' };
  }
}

const FAST_PREFIX = /^\{\s*"name"\s*:\s*"((?:[^"\\]|\\.)*)"\s*,\s*"(arguments|parameters)"\s*:\s*(\S)$/;
const FAST_LIMIT = 512;

/** One `{"name": ..., "arguments": ...}` object, char by char. */
class CallObject {
  index: number | null = null;
  dropped = false;
  private raw = '';
  private readonly outer = new JsonScanner();
  private args: JsonScanner | null = null;
  private state: 'prefix' | 'args' | 'rest' | 'buffer' = 'prefix';

  constructor(private readonly parser: ToolCallParser, private readonly knownOnly: boolean) {}

  feedChar(c: string): 'more' | 'complete' | 'failed' {
    this.raw += c;
    this.outer.feed(c);
    if (this.state === 'prefix') {
      const m = this.raw.length <= FAST_LIMIT ? FAST_PREFIX.exec(this.raw) : null;
      if (m) {
        const name = decodeName(m[1]!);
        if (name !== null && (m[3] === '{' || m[3] === '[') && (!this.knownOnly || this.parser.knows(name))) {
          this.begin(name);
          this.state = 'args';
          this.args = new JsonScanner();
          this.args.feed(c);
          if (this.index !== null) this.parser.arguments(this.index, c);
        } else {
          this.state = 'buffer';
        }
      } else if (this.raw.length > FAST_LIMIT) {
        this.state = 'buffer';
      }
    } else if (this.state === 'args') {
      this.args!.feed(c);
      if (this.index !== null) this.parser.arguments(this.index, c);
      if (this.args!.done) this.state = 'rest';
    }
    if (!this.outer.done) return this.outer.failed ? 'failed' : 'more';
    if (this.state === 'args') return 'failed';
    if (this.state === 'rest') return 'complete';
    return this.slowPath();
  }

  private begin(name: string): void {
    this.index = this.parser.startCall(name);
    if (this.index === null) this.dropped = true;
  }

  /** Any key order, string-encoded arguments: parse the finished object. */
  private slowPath(): 'complete' | 'failed' {
    let value: unknown;
    try {
      value = JSON.parse(this.raw);
    } catch {
      return 'failed';
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'failed';
    const obj = value as Record<string, unknown>;
    const fn = (typeof obj.function === 'object' && obj.function !== null ? obj.function : obj) as Record<string, unknown>;
    const name = fn.name;
    const args = 'arguments' in fn ? fn.arguments : 'parameters' in fn ? fn.parameters : undefined;
    if (typeof name !== 'string' || args === undefined) return 'failed';
    if (this.knownOnly && !this.parser.knows(name)) return 'failed';
    this.begin(name);
    if (this.index !== null) this.parser.arguments(this.index, typeof args === 'string' ? args : JSON.stringify(args));
    return 'complete';
  }
}

function decodeName(raw: string): string | null {
  try {
    return JSON.parse(`"${raw}"`) as string;
  } catch {
    return null;
  }
}

/** Where a JSON value ends, char by char (objects, arrays and strings; enough for calls). */
class JsonScanner {
  done = false;
  failed = false;
  private depth = 0;
  private inString = false;
  private escape = false;
  private started = false;

  feed(c: string): void {
    if (this.done) return;
    if (!this.started) {
      if (/\s/.test(c)) return;
      this.started = true;
      if (c === '"') { this.inString = true; return; }
      if (c !== '{' && c !== '[') { this.failed = true; return; }
      this.depth = 1;
      return;
    }
    if (this.inString) {
      if (this.escape) this.escape = false;
      else if (c === '\\') this.escape = true;
      else if (c === '"') {
        this.inString = false;
        if (this.depth === 0) this.done = true;
      }
      return;
    }
    if (c === '"') this.inString = true;
    else if (c === '{' || c === '[') this.depth++;
    else if (c === '}' || c === ']') {
      this.depth--;
      if (this.depth === 0) this.done = true;
    }
  }
}
