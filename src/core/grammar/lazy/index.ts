import type { TokenMaskSource, TokenVocabulary } from '../../engine.js';
import { AbortError } from '../../abort.js';
import { GrammarError } from '../constraint.js';
import { LazyGrammar } from './engine.js';
import { compileNfa } from './nfa.js';
import { buildTrie, type TokenTrie } from './trie.js';

import { Unsupported } from './nfa.js';

export { Unsupported };
export { LazyGrammar, LazyTokenMask } from './engine.js';

/**
 * The lazy grammar engine's entry points: per-vocabulary tries (built once, in slices),
 * and per (vocabulary, grammar) compiled grammars (milliseconds; LRU-cached). Every wait
 * here honours the request's AbortSignal and the compile deadline.
 */

// Compiling is cheap; what a compiled grammar keeps (masks, parser tables: up to ~40 MB) is not.
const COMPILED_MAX = 8;

interface VocabEntry {
  trie: Promise<TokenTrie>;
  compiled: Map<string, LazyGrammar>;
}

const byOwner = new WeakMap<object, VocabEntry>();

/** Yields to the event loop every few milliseconds: the trie build never blocks the host for long. */
function slicer(): () => Promise<void> {
  let last = performance.now();
  return async () => {
    if (performance.now() - last < 8) return;
    await new Promise((r) => setTimeout(r, 0));
    last = performance.now();
  };
}

function entryFor(owner: object, vocab: () => TokenVocabulary | Promise<TokenVocabulary>): VocabEntry {
  let entry = byOwner.get(owner);
  if (!entry) {
    const trie = Promise.resolve().then(vocab).then((v) => buildTrie(v, slicer()));
    entry = { trie, compiled: new Map() };
    const e = entry;
    trie.catch(() => { if (byOwner.get(owner) === e) byOwner.delete(owner); });
    byOwner.set(owner, entry);
  }
  return entry;
}

/** The vocabulary's tables for `owner` (built once; the bench times it). */
export function vocabularyTables(owner: object, vocab: () => TokenVocabulary | Promise<TokenVocabulary>): Promise<TokenTrie> {
  return entryFor(owner, vocab).trie;
}

export interface LazyCompileOptions {
  signal?: AbortSignal;
  /** Milliseconds the whole compile (vocabulary trie included) may take. */
  budgetMs: number;
}

/** Waits for `p`, or throws at abort / past the deadline (the work itself goes on for later requests). */
function bounded<T>(p: Promise<T>, signal: AbortSignal | undefined, deadline: number): Promise<T> {
  if (signal?.aborted) return Promise.reject(abortError(signal));
  return new Promise<T>((resolve, reject) => {
    // (setTimeout treats a delay past 2^31 ms, Infinity included, as 0.)
    const timer = Number.isFinite(deadline)
      ? setTimeout(
        () => reject(new GrammarError('preparing the model\'s vocabulary took longer than the limit', 'grammar_too_complex')),
        Math.min(2 ** 31 - 1, Math.max(0, deadline - performance.now())),
      )
      : undefined;
    const onAbort = () => reject(abortError(signal!));
    signal?.addEventListener('abort', onAbort, { once: true });
    p.then(resolve, reject).finally(() => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    });
  });
}

function abortError(_signal: AbortSignal): unknown {
  return new AbortError();
}

/** A grammar text for the lazy engine and its root rule. */
export interface GrammarText {
  text: string;
  root: string;
}

/**
 * The compiled grammar for (owner's vocabulary, grammar). `owner` keys the per-model cache
 * (a LoadedModel, or any object). `texts` are equivalent forms in order of preference (the
 * EBNF as written, whose bounded repeats stay deterministic, then xgrammar's normalized
 * form); the first one the lazy engine reads is compiled. Throws Unsupported for what only
 * xgrammar runs, GrammarError for a grammar past the limits.
 */
export async function compileLazy(
  owner: object,
  vocab: () => TokenVocabulary | Promise<TokenVocabulary>,
  texts: GrammarText[],
  options: LazyCompileOptions,
): Promise<LazyGrammar> {
  const deadline = performance.now() + options.budgetMs;
  const entry = entryFor(owner, vocab);
  const key = texts.map((t) => `${t.root}\n${t.text}`).join('\n\n');
  const hit = entry.compiled.get(key);
  if (hit) {
    entry.compiled.delete(key);
    entry.compiled.set(key, hit);
    return hit;
  }
  const trie = await bounded(entry.trie, options.signal, deadline);
  if (options.signal?.aborted) throw abortError(options.signal);
  let grammar: LazyGrammar | null = null;
  for (const [i, t] of texts.entries()) {
    try {
      grammar = new LazyGrammar(compileNfa(t.text, t.root, deadline), trie);
      break;
    } catch (err) {
      // The next form may be smaller (a long bounded repeat as a rule repeat) or readable.
      const tooBig = err instanceof GrammarError && err.code === 'grammar_too_complex';
      if (!(err instanceof Unsupported || tooBig) || i === texts.length - 1) throw err;
    }
  }
  entry.compiled.set(key, grammar!);
  if (entry.compiled.size > COMPILED_MAX) entry.compiled.delete(entry.compiled.keys().next().value!);
  return grammar!;
}

/** A TokenMaskSource over a compiled lazy grammar. */
export function lazySource(grammar: LazyGrammar): TokenMaskSource {
  return { create: async () => grammar.matcher() };
}
