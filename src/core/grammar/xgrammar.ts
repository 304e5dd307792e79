import type {
  CompiledGrammar,
  Grammar,
  GrammarCompiler,
  GrammarMatcher,
  Testings,
  TokenizerInfo,
} from '@mlc-ai/web-xgrammar';

/**
 * `@mlc-ai/web-xgrammar` (the grammar engine web-llm uses), loaded lazily: it is a 1 MB
 * module with its WebAssembly inlined, needed only by constrained requests.
 *
 * Three quirks of the package are handled here, once:
 * - It is a UMD bundle inside a `"type": "module"` package, and its WebAssembly instance is
 *   a module-level singleton. We evaluate its source text ourselves (as the CommonJS
 *   module it is) so that each evaluation is a fresh instance: see the next point.
 * - A crash inside the C++ code (a WebAssembly trap such as "memory access out of bounds",
 *   emscripten's `abort()`, a stack overflow) leaves that instance unusable: every later
 *   call fails or hangs. Such a failure is reported as an internal error (its text never
 *   reaches a client) and the instance is replaced; `generation()` tells caches holding
 *   objects of the old instance to drop them.
 * - Errors in the C++ code (an invalid grammar, an unsupported schema) print the reason
 *   (`[FATAL] file.cc:123: reason`) to stderr and then throw. The module binds
 *   `console.error`/`console.log` when it initializes, so we initialize it behind a
 *   routing wrapper and collect those lines while one of our calls runs.
 */
export interface XGrammarApi {
  Grammar: typeof Grammar;
  GrammarCompiler: typeof GrammarCompiler;
  GrammarMatcher: typeof GrammarMatcher;
  TokenizerInfo: typeof TokenizerInfo;
  Testings: typeof Testings;
  CompiledGrammar: typeof CompiledGrammar;
}

/** Returns a fresh instance of the module on every call. */
export type XGrammarLoader = () => Promise<XGrammarApi>;

let loader: XGrammarLoader = defaultLoader;

/**
 * Two instances: `check` parses and converts what requests send (the calls that fail on bad
 * input), `match` holds the tokenizer tables, compiled grammars and matchers. A bad request
 * replaces only `check`, so the compiled grammars (seconds each at real vocabularies) survive it.
 */
export type Slot = 'check' | 'match';
const slots: Record<Slot, { ready: Promise<XGrammarApi> | null; generation: number }> = {
  check: { ready: null, generation: 0 },
  match: { ready: null, generation: 0 },
};

/** Replaces how the module is obtained (tests in Node); resets the loaded instances. */
export function setXGrammarLoader(next: XGrammarLoader): void {
  loader = next;
  replaceInstance('check');
  replaceInstance('match');
}

/** Counts a slot's instances: objects (compilers, compiled grammars) belong to the one they came from. */
export function generation(slot: Slot = 'match'): number {
  return slots[slot].generation;
}

/** Drops a slot's instance (after a crash); its next call loads a fresh one. */
export function replaceInstance(slot: Slot): void {
  slots[slot].ready = null;
  slots[slot].generation++;
}

let source: Promise<string> | null = null;

async function defaultLoader(): Promise<XGrammarApi> {
  // The raw text (its own lazily loaded chunk, like the module itself was), evaluated anew per instance.
  source ??= import('@mlc-ai/web-xgrammar/lib/index.js?raw').then((m) => m.default as string);
  return evaluateXGrammar(await source);
}

/**
 * Runs the UMD bundle's text as CommonJS and returns its exports: a new WebAssembly
 * instance each time. `process` is hidden so that emscripten decodes its inlined wasm
 * itself in any environment; Node passes a `require` for the bundle's own imports.
 */
export function evaluateXGrammar(text: string, require?: (id: string) => unknown, filename?: string): XGrammarApi {
  const module = { exports: {} as Record<string, unknown> };
  const dir = filename?.replace(/[/\\][^/\\]*$/, '');
  new Function('exports', 'module', 'require', '__filename', '__dirname', 'process', text)(
    module.exports, module, require, filename, dir, undefined,
  );
  if (typeof (module.exports as unknown as XGrammarApi).GrammarCompiler !== 'function') {
    throw new Error('@mlc-ai/web-xgrammar evaluated without its exports');
  }
  return module.exports as unknown as XGrammarApi;
}

/** A slot's loaded module, initialized (its WebAssembly instantiated) once per instance. */
export function xgrammar(slot: Slot = 'check'): Promise<XGrammarApi> {
  const entry = slots[slot];
  const ready = (entry.ready ??= initialize().catch((err) => {
    if (entry.ready === ready) entry.ready = null;
    throw err;
  }));
  return ready;
}

// ---- diagnostics -----------------------------------------------------------------------

/** Lines printed by xgrammar while a `diagnose` call runs; null when none runs. */
let captured: string[] | null = null;
const DIAGNOSTIC = /^\s*\[(FATAL|WARNING|ERROR)\]/;

async function initialize(): Promise<XGrammarApi> {
  const api = await loader();
  const original = { error: console.error, log: console.log, warn: console.warn };
  const route = (name: keyof typeof original) =>
    (...args: unknown[]) => {
      const line = args.map(String).join(' ');
      if (captured && (DIAGNOSTIC.test(line) || /^Aborted\(/.test(line))) captured.push(line);
      else original[name].apply(console, args);
    };
  console.error = route('error');
  console.log = route('log');
  console.warn = route('warn');
  try {
    // The first call instantiates the WebAssembly module, which binds the console now.
    (await api.Grammar.builtinJSONGrammar()).dispose();
  } finally {
    console.error = original.error;
    console.log = original.log;
    console.warn = original.warn;
  }
  return api;
}

export interface Diagnosed<T> {
  value?: T;
  /** xgrammar's own reason for a failure, cleaned of its source location. */
  error?: string;
  /**
   * The failure was a crash of the engine (no reason printed): `error` is for logs only,
   * never for a client, and the instance has been replaced.
   */
  internal?: boolean;
  warnings: string[];
}

let queue: Promise<unknown> = Promise.resolve();

/**
 * Runs `fn` against xgrammar, one call at a time, and returns its value or the reason
 * it failed (plus any warnings it printed, e.g. for a schema it only partly supports).
 */
export function diagnose<T>(fn: (xg: XGrammarApi) => Promise<T> | T, slot: Slot = 'check'): Promise<Diagnosed<T>> {
  const run = queue.then(async (): Promise<Diagnosed<T>> => {
    const xg = await xgrammar(slot);
    const instance = generation(slot);
    const lines: string[] = [];
    captured = lines;
    const warnings = () => lines.filter((l) => /\[WARNING\]/.test(l)).map(clean);
    try {
      const value = await fn(xg);
      return { value, warnings: warnings() };
    } catch (err) {
      // Every failure ends in emscripten's abort(), which leaves the instance's stack and
      // heap as they were mid-call: later calls on it fail in other ways, so replace it.
      if (instance === generation(slot)) replaceInstance(slot);
      const fatal = lines.find((l) => /\[(FATAL|ERROR)\]/.test(l));
      if (fatal) return { error: clean(fatal), warnings: warnings() };
      // No reason printed: the engine itself crashed (a trap, a stack overflow).
      const reason = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
      return { error: reason, internal: true, warnings: warnings() };
    } finally {
      captured = null;
    }
  });
  queue = run.catch(() => undefined);
  return run;
}

/** `[FATAL] /path/json_schema_converter.cc:902: Unsupported type "foo"` -> `Unsupported type "foo"`. */
function clean(line: string): string {
  return line
    .replace(/^\s*\[(FATAL|WARNING|ERROR)\]\s*/, '')
    .replace(/^\S+\.(cc|h|cpp):\d+:\s*/, '')
    .trim();
}
