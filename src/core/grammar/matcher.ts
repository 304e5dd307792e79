import type { CompiledGrammar, GrammarCompiler, GrammarMatcher, TokenizerInfo } from '@mlc-ai/web-xgrammar';
import { throwIfAborted } from '../abort.js';
import type { GrammarConstraint, LoadedModel, TokenMask, TokenMaskSource, TokenVocabulary } from '../engine.js';
import { GrammarError, isLoweredSchema, JSON_OBJECT_EBNF, toFormat, validateConstraint, valueOf } from './constraint.js';
import { tokenBytes, Utf8Guard, utf8Tables, type Utf8Tables } from './utf8.js';
import { diagnose, generation, xgrammar } from './xgrammar.js';
import { compileLazy, lazySource, Unsupported, vocabularyTables, type GrammarText } from './lazy/index.js';

/**
 * Core's grammar enforcement for engines that expose logits: xgrammar compiles the
 * constraint against the model's vocabulary (once per constraint, LRU-cached per model),
 * and each generation gets a fresh matcher whose bitmask the Sampler applies.
 */

const COMPILED_MAX = 32;

class VocabCompiler {
  private readonly cache = new Map<string, Promise<CompiledGrammar>>();
  private utf8: Utf8Tables | null | undefined;

  constructor(
    private readonly info: TokenizerInfo,
    private readonly compiler: GrammarCompiler,
    readonly vocab: TokenVocabulary,
  ) {}

  static async create(vocab: TokenVocabulary): Promise<VocabCompiler> {
    const result = await diagnose(async (xg) => {
      const info = await xg.TokenizerInfo.createTokenizerInfo(vocab.tokens, vocab.vocabType, vocab.prependSpace, vocab.vocabSize, vocab.stopTokenIds);
      const compiler = await xg.GrammarCompiler.createGrammarCompiler(info);
      return { info, compiler };
    }, 'match');
    if (result.error !== undefined) throw new Error(`xgrammar could not read the tokenizer: ${result.error}`);
    return new VocabCompiler(result.value!.info, result.value!.compiler, vocab);
  }

  /** A UTF-8 guard for one generation, where tokens can split characters. */
  utf8Guard(): Utf8Guard | null {
    if (this.utf8 === undefined) {
      const bytes = tokenBytes(this.vocab);
      this.utf8 = bytes ? utf8Tables(bytes, Math.ceil(this.vocab.vocabSize / 32)) : null;
    }
    return this.utf8 ? new Utf8Guard(this.utf8) : null;
  }

  has(constraint: GrammarConstraint): boolean {
    return this.cache.has(compiledKey(constraint));
  }

  /** The compiled grammar for a constraint; throws GrammarError with xgrammar's reason. */
  compile(constraint: GrammarConstraint, work: number): Promise<CompiledGrammar> {
    const key = compiledKey(constraint);
    const hit = this.cache.get(key);
    if (hit) {
      this.cache.delete(key);
      this.cache.set(key, hit);
      return hit;
    }
    const compiled = (async () => {
      const started = performance.now();
      const compiled = valueOf(await diagnose((): Promise<CompiledGrammar> => {
        switch (constraint.type) {
          case 'grammar': return this.compiler.compileGrammar(constraint.grammar);
          case 'json_object': return this.compiler.compileGrammar(JSON_OBJECT_EBNF);
          default: return this.compiler.compileStructuralTag({ type: 'structural_tag', format: toFormat(constraint) });
        }
      }, 'match'));
      budget.observe(performance.now() - started, work);
      return compiled;
    })();
    compiled.catch(() => this.cache.delete(key));
    this.cache.set(key, compiled);
    while (this.cache.size > COMPILED_MAX) {
      const [oldKey, old] = this.cache.entries().next().value!;
      this.cache.delete(oldKey);
      // Matchers hold their own reference to the compiled grammar (a shared pointer).
      old.then((g) => g.dispose(), () => undefined);
    }
    return compiled;
  }
}

function compiledKey(c: GrammarConstraint): string {
  if (c.type === 'grammar') return `ebnf:${c.grammar}`;
  if (c.type === 'json_object') return 'json_object';
  return `tag:${JSON.stringify(toFormat(c))}`;
}

/**
 * xgrammar's compile is one synchronous WebAssembly call: nothing can interrupt it, and the
 * engine host is a SharedWorker, which cannot start a worker to run it in. So the deadline
 * is enforced before the call, on a prediction: compile time is about (terminal positions x
 * vocabulary size) x a rate, the rate learnt from this device's own compiles (starting from
 * the one measured on a 2-core VM). A constraint predicted past the budget is a 400
 * `grammar_too_complex` at once, and the host never freezes on it.
 */
class CompileBudget {
  /** Milliseconds per (position x token): 1.8e-7 measured on an idle 2-core VM (3-5e-7 when loaded). */
  private rate = 1.8e-7;
  budgetMs = 5_000;

  predictMs(work: number): number {
    return work * this.rate;
  }

  observe(ms: number, work: number): void {
    // Only compiles long enough to measure; the rate follows the device, never below a tenth of the start.
    if (ms < 50 || work <= 0) return;
    this.rate = Math.max(2e-8, 0.7 * this.rate + 0.3 * (ms / work));
  }
}

const budget = new CompileBudget();

/** How long one grammar compile may take (default 5000 ms); longer predicted compiles are refused. */
export function setCompileBudget(ms: number): void {
  budget.budgetMs = ms;
}

export type GrammarEngine = 'lazy' | 'xgrammar';
let engine: GrammarEngine = 'lazy';

/**
 * Which engine computes masks: 'lazy' (default: src/core/grammar/lazy, with xgrammar for
 * what it does not cover) or 'xgrammar' for everything (the bench compares them).
 */
export function setGrammarEngine(next: GrammarEngine): void {
  engine = next;
}

/**
 * What the lazy engine takes: everything xgrammar normalizes to plain rules (schemas,
 * json_object, regexes, structural tags without free text). A lookahead written in a
 * user's EBNF restricts the language and is xgrammar's to enforce; the ones xgrammar
 * prints for our own grammars restate their context. TagDispatch (triggered tags, free
 * text up to a stop string) surfaces as Unsupported at compile.
 */
function lazyCovers(c: GrammarConstraint): boolean {
  const grammars: string[] = [];
  const collect = (x: unknown): void => {
    if (Array.isArray(x)) x.forEach(collect);
    else if (x && typeof x === 'object') {
      for (const [k, v] of Object.entries(x)) if (k === 'grammar' && typeof v === 'string') grammars.push(v); else collect(v);
    }
  };
  collect(c.type === 'structural_tag' ? toFormat(c) : c);
  return grammars.every((g) => !g.includes('(=') || isLoweredSchema(g));
}

/**
 * What the lazy engine compiles: an EBNF as written first (xgrammar's normalized form
 * splits a bounded repeat like `[^"]{0,200}` into rules whose parses overlap, a
 * configuration per split), then the normalized form (regexes, structural tags, EBNF
 * the lazy reader does not take).
 */
function lazyTexts(c: GrammarConstraint, normalized: GrammarText): GrammarText[] {
  const source = c.type === 'grammar' ? c.grammar : c.type === 'json_object' ? JSON_OBJECT_EBNF : null;
  return source ? [{ text: source, root: 'root' }, normalized] : [normalized];
}

const compilers = new WeakMap<LoadedModel, { generation: number; compiler: Promise<VocabCompiler> }>();

function compilerFor(model: LoadedModel): Promise<VocabCompiler> {
  let entry = compilers.get(model);
  // A compiler from a replaced xgrammar instance is gone with it.
  if (!entry || entry.generation !== generation()) {
    const compiler = Promise.resolve(model.tokenVocabulary!()).then((vocab) => VocabCompiler.create(vocab));
    entry = { generation: generation(), compiler };
    compiler.catch(() => { if (compilers.get(model) === entry) compilers.delete(model); });
    compilers.set(model, entry);
  }
  return entry.compiler;
}

/**
 * Compiles `constraint` for `model` now (so a bad grammar is a 400 before generation)
 * and returns the source of per-generation matchers.
 */
export async function tokenMaskSource(model: LoadedModel, constraint: GrammarConstraint, signal?: AbortSignal): Promise<TokenMaskSource> {
  const facts = await validateConstraint(constraint);
  if (engine === 'lazy' && facts.normalized && lazyCovers(constraint)) {
    try {
      const vocab = () => model.tokenVocabulary!();
      return lazySource(await compileLazy(model, vocab, lazyTexts(constraint, facts.normalized), { signal, budgetMs: budget.budgetMs }));
    } catch (err) {
      if (!(err instanceof Unsupported)) throw err;
    }
  }
  if (signal) throwIfAborted(signal);
  const compiler = await compilerFor(model);
  const work = facts.positions * compiler.vocab.vocabSize;
  if (!compiler.has(constraint)) {
    const predicted = budget.predictMs(work);
    if (predicted > budget.budgetMs) {
      throw new GrammarError(
        `compiling it for this model's ${compiler.vocab.vocabSize}-token vocabulary would take about ${(predicted / 1000).toFixed(1)} s ` +
          `(${facts.positions} grammar positions; the limit is ${(budget.budgetMs / 1000).toFixed(1)} s). ` +
          'Long maxLength/maxItems bounds and long literal texts are what costs; lower them',
        'grammar_too_complex',
      );
    }
  }
  const compiled = await compiler.compile(constraint, work);
  return {
    async create() {
      const xg = await xgrammar('match');
      const matcher = await xg.GrammarMatcher.createGrammarMatcher(compiled);
      return new XGrammarTokenMask(matcher, compiler.utf8Guard());
    },
  };
}

/** One vocabulary's figures for `npm run bench` (no budget, nothing shared with requests). */
export interface GrammarBench {
  /** The engine's per-vocabulary tables (once per model): xgrammar's tokenizer info, or the lazy engine's token trie. */
  tokenizerMs: number;
  /** The first compile of the constraint. */
  coldMs: number;
  /** The same constraint again: the per-model cache, plus a new matcher. */
  warmMs: number;
  /** Microseconds per mask (TokenMask.next) while `ids` are accepted one by one: a first generation. */
  maskUs: number[];
  /** The same, in a second generation with the same grammar (the lazy engine's caches are warm). */
  maskAgainUs: number[];
}

export async function benchGrammar(vocab: TokenVocabulary, constraint: GrammarConstraint, ids: number[], which: GrammarEngine = 'xgrammar'): Promise<GrammarBench> {
  const run = async (create: () => Promise<TokenMask>): Promise<number[]> => {
    const mask = await create();
    const us: number[] = [];
    for (const id of ids) {
      const t = performance.now();
      await mask.next();
      us.push((performance.now() - t) * 1000);
      if (!mask.accept(id)) throw new Error(`the grammar refused token ${id} at step ${us.length}`);
    }
    mask.dispose();
    return us;
  };
  if (which === 'lazy') {
    const owner = {};
    const facts = await validateConstraint(constraint);
    if (!facts.normalized) throw new Error('the constraint has no normalized form');
    let t = performance.now();
    await vocabularyTables(owner, () => vocab);
    const tokenizerMs = performance.now() - t;
    t = performance.now();
    const texts = lazyTexts(constraint, facts.normalized);
    await compileLazy(owner, () => vocab, texts, { budgetMs: Infinity });
    const coldMs = performance.now() - t;
    t = performance.now();
    const grammar = await compileLazy(owner, () => vocab, texts, { budgetMs: Infinity });
    const first = grammar.matcher();
    const warmMs = performance.now() - t;
    first.dispose();
    return { tokenizerMs, coldMs, warmMs, maskUs: await run(async () => grammar.matcher()), maskAgainUs: await run(async () => grammar.matcher()) };
  }
  let t = performance.now();
  const compiler = await VocabCompiler.create(vocab);
  const tokenizerMs = performance.now() - t;
  t = performance.now();
  await compiler.compile(constraint, 0);
  const coldMs = performance.now() - t;
  t = performance.now();
  const compiled = await compiler.compile(constraint, 0);
  const matcher = await (await xgrammar('match')).GrammarMatcher.createGrammarMatcher(compiled);
  const warmMs = performance.now() - t;
  matcher.dispose();
  const create = async () => new XGrammarTokenMask(await (await xgrammar('match')).GrammarMatcher.createGrammarMatcher(compiled), compiler.utf8Guard());
  const result = { tokenizerMs, coldMs, warmMs, maskUs: await run(create), maskAgainUs: await run(create) };
  compiled.dispose();
  return result;
}

/** Measures one compile without caching. */
export async function compileUncached(vocab: TokenVocabulary, constraint: GrammarConstraint): Promise<number> {
  return (await benchGrammar(vocab, constraint, [])).coldMs;
}

class XGrammarTokenMask implements TokenMask {
  private disposed = false;

  constructor(private readonly matcher: GrammarMatcher, private readonly utf8: Utf8Guard | null) {}

  async next(): Promise<Int32Array> {
    const mask = await this.matcher.getNextTokenBitmask();
    return this.utf8 ? this.utf8.apply(mask) : mask;
  }

  accept(id: number): boolean {
    this.utf8?.accept(id);
    return this.matcher.acceptToken(id);
  }

  isTerminated(): boolean {
    return this.matcher.isTerminated();
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.matcher.dispose();
  }
}
