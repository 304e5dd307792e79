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
 * Two quirks of the package are handled here, once:
 * - It is a UMD bundle inside a `"type": "module"` package. Bundlers (Vite's dependency
 *   pre-bundling, Rollup's CommonJS handling) expose its named exports; served as plain
 *   ESM it assigns `globalThis.xgrammar` instead. Node cannot import it at all, so unit
 *   tests install their own loader with `setXGrammarLoader`.
 * - Errors in the C++ code (an invalid grammar, an unsupported schema) print the reason
 *   (`[FATAL] file.cc:123: reason`) to stderr and then abort with a bare "Aborted()". The
 *   module binds `console.error`/`console.log` when it initializes, so we initialize it
 *   behind a routing wrapper and collect those lines while one of our calls runs.
 */
export interface XGrammarApi {
  Grammar: typeof Grammar;
  GrammarCompiler: typeof GrammarCompiler;
  GrammarMatcher: typeof GrammarMatcher;
  TokenizerInfo: typeof TokenizerInfo;
  Testings: typeof Testings;
  CompiledGrammar: typeof CompiledGrammar;
}

export type XGrammarLoader = () => Promise<XGrammarApi>;

let loader: XGrammarLoader = defaultLoader;
let ready: Promise<XGrammarApi> | null = null;

/** Replaces how the module is obtained (tests in Node); resets the loaded instance. */
export function setXGrammarLoader(next: XGrammarLoader): void {
  loader = next;
  ready = null;
}

async function defaultLoader(): Promise<XGrammarApi> {
  const mod = (await import('@mlc-ai/web-xgrammar')) as unknown as Record<string, unknown> & { default?: unknown };
  for (const candidate of [mod, mod.default, (globalThis as { xgrammar?: unknown }).xgrammar]) {
    if (candidate && typeof (candidate as XGrammarApi).GrammarCompiler === 'function') return candidate as XGrammarApi;
  }
  throw new Error('@mlc-ai/web-xgrammar loaded without its exports');
}

/** The loaded module, initialized (its WebAssembly instantiated) exactly once. */
export function xgrammar(): Promise<XGrammarApi> {
  ready ??= initialize().catch((err) => {
    ready = null;
    throw err;
  });
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
  warnings: string[];
}

let queue: Promise<unknown> = Promise.resolve();

/**
 * Runs `fn` against xgrammar, one call at a time, and returns its value or the reason
 * it failed (plus any warnings it printed, e.g. for a schema it only partly supports).
 */
export function diagnose<T>(fn: (xg: XGrammarApi) => Promise<T> | T): Promise<Diagnosed<T>> {
  const run = queue.then(async (): Promise<Diagnosed<T>> => {
    const xg = await xgrammar();
    const lines: string[] = [];
    captured = lines;
    try {
      const value = await fn(xg);
      return { value, warnings: lines.filter((l) => /\[WARNING\]/.test(l)).map(clean) };
    } catch (err) {
      const fatal = lines.find((l) => /\[(FATAL|ERROR)\]/.test(l));
      const reason = fatal ? clean(fatal) : err instanceof Error ? err.message : String(err);
      return { error: reason, warnings: lines.filter((l) => /\[WARNING\]/.test(l)).map(clean) };
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
