import type { CompiledGrammar, GrammarCompiler, GrammarMatcher, TokenizerInfo } from '@mlc-ai/web-xgrammar';
import type { GrammarConstraint, LoadedModel, TokenMask, TokenMaskSource, TokenVocabulary } from '../engine.js';
import { GrammarError, JSON_OBJECT_EBNF, toFormat } from './constraint.js';
import { tokenBytes, Utf8Guard, utf8Tables, type Utf8Tables } from './utf8.js';
import { diagnose, xgrammar } from './xgrammar.js';

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
    });
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

  /** The compiled grammar for a constraint; throws GrammarError with xgrammar's reason. */
  compile(constraint: GrammarConstraint): Promise<CompiledGrammar> {
    const key = compiledKey(constraint);
    const hit = this.cache.get(key);
    if (hit) {
      this.cache.delete(key);
      this.cache.set(key, hit);
      return hit;
    }
    const compiled = (async () => {
      const result = await diagnose((): Promise<CompiledGrammar> => {
        switch (constraint.type) {
          case 'grammar': return this.compiler.compileGrammar(constraint.grammar);
          case 'json_object': return this.compiler.compileGrammar(JSON_OBJECT_EBNF);
          default: return this.compiler.compileStructuralTag({ type: 'structural_tag', format: toFormat(constraint) });
        }
      });
      if (result.error !== undefined) throw new GrammarError(result.error);
      return result.value!;
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

const compilers = new WeakMap<LoadedModel, Promise<VocabCompiler>>();

function compilerFor(model: LoadedModel): Promise<VocabCompiler> {
  let entry = compilers.get(model);
  if (!entry) {
    entry = Promise.resolve(model.tokenVocabulary!()).then((vocab) => VocabCompiler.create(vocab));
    entry.catch(() => compilers.delete(model));
    compilers.set(model, entry);
  }
  return entry;
}

/**
 * Compiles `constraint` for `model` now (so a bad grammar is a 400 before generation)
 * and returns the source of per-generation matchers.
 */
export async function tokenMaskSource(model: LoadedModel, constraint: GrammarConstraint): Promise<TokenMaskSource> {
  const compiler = await compilerFor(model);
  const compiled = await compiler.compile(constraint);
  return {
    async create() {
      const xg = await xgrammar();
      const matcher = await xg.GrammarMatcher.createGrammarMatcher(compiled);
      return new XGrammarTokenMask(matcher, compiler.utf8Guard());
    },
  };
}

/** Measures one compile without caching (bench). */
export async function compileUncached(vocab: TokenVocabulary, constraint: GrammarConstraint): Promise<number> {
  const compiler = await VocabCompiler.create(vocab);
  const started = performance.now();
  const compiled = await compiler.compile(constraint);
  const ms = performance.now() - started;
  compiled.dispose();
  return ms;
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
