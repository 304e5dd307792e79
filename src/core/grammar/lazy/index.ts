import type { TokenMaskSource, TokenVocabulary } from '../../engine.js';
import { AbortError } from '../../abort.js';
import { GrammarError } from '../constraint.js';
import { LazyGrammar } from './engine.js';
import { compileNfa } from './nfa.js';
import { buildTrie, type TokenTrie } from './trie.js';

export { Unsupported } from './nfa.js';
export { LazyGrammar, LazyTokenMask } from './engine.js';

/**
 * The lazy grammar engine's entry points: per-vocabulary tries (built once, in slices),
 * and per (vocabulary, grammar) compiled grammars (milliseconds; LRU-cached). Every wait
 * here honours the request's AbortSignal and the compile deadline.
 */

const COMPILED_MAX = 32;

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

export interface LazyCompileOptions {
  signal?: AbortSignal;
  /** Milliseconds the whole compile (vocabulary trie included) may take. */
  budgetMs: number;
}

/** Waits for `p`, or throws at abort / past the deadline (the work itself goes on for later requests). */
function bounded<T>(p: Promise<T>, signal: AbortSignal | undefined, deadline: number): Promise<T> {
  if (signal?.aborted) return Promise.reject(abortError(signal));
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new GrammarError('preparing the model\'s vocabulary took longer than the limit', 'grammar_too_complex')),
      Math.max(0, deadline - performance.now()),
    );
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

/**
 * The compiled grammar for (owner's vocabulary, normalized grammar). `owner` keys the
 * per-model cache (a LoadedModel, or the vocabulary itself). Throws Unsupported for what
 * only xgrammar runs, GrammarError for a grammar past the limits.
 */
export async function compileLazy(
  owner: object,
  vocab: () => TokenVocabulary | Promise<TokenVocabulary>,
  normalized: { text: string; root: string },
  options: LazyCompileOptions,
): Promise<LazyGrammar> {
  const deadline = performance.now() + options.budgetMs;
  const entry = entryFor(owner, vocab);
  const key = `${normalized.root}\n${normalized.text}`;
  const hit = entry.compiled.get(key);
  if (hit) {
    entry.compiled.delete(key);
    entry.compiled.set(key, hit);
    return hit;
  }
  const trie = await bounded(entry.trie, options.signal, deadline);
  if (options.signal?.aborted) throw abortError(options.signal);
  const grammar = new LazyGrammar(compileNfa(normalized.text, normalized.root, deadline), trie);
  entry.compiled.set(key, grammar);
  if (entry.compiled.size > COMPILED_MAX) entry.compiled.delete(entry.compiled.keys().next().value!);
  return grammar;
}

/** A TokenMaskSource over a compiled lazy grammar. */
export function lazySource(grammar: LazyGrammar): TokenMaskSource {
  return { create: async () => grammar.matcher() };
}
