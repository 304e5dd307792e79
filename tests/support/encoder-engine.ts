import type { ClassifyInput, EmbeddingInfo, Engine, LoadedModel, ModelTokenizer } from '../../src/core/engine.js';
import { Runtime } from '../../src/core/runtime.js';
import { notGenerative } from '../../src/core/endpoints/endpoint.js';
import { ScriptedEngine, type Script } from './scripted-engine.js';

/**
 * A scripted engine for the non-generating endpoints: a word tokenizer ([CLS]=1 text
 * [SEP]=2, pairs [CLS] a [SEP] b [SEP]) and models whose outputs are easy to predict:
 * an embedder whose vector is [token count, sum of ids, 1, 0, ...] (normalized as its
 * info says) and a classifier whose one logit is how many words the pair shares.
 */
export const CLS = 1;
export const SEP = 2;
export const VOCAB = 100;

export function wordTokenizer(): ModelTokenizer {
  const vocab = ['<pad>', '[CLS]', '[SEP]'];
  const id = (word: string) => {
    let i = vocab.indexOf(word);
    if (i === -1) i = vocab.push(word) - 1;
    return i;
  };
  const words = (text: string) => text.split(/\s+/).filter(Boolean).map(id);
  return {
    encode: (text, { addSpecialTokens, pair }) => {
      if (!addSpecialTokens) return [...words(text), ...(pair !== undefined ? words(pair) : [])];
      return [CLS, ...words(text), SEP, ...(pair !== undefined ? [...words(pair), SEP] : [])];
    },
    decode: (ids) => ids.map((i) => vocab[i] ?? '?').join(' '),
    tokenStrings: (ids) => ids.map((i) => vocab[i] ?? ''),
    vocabSize: VOCAB,
  };
}

interface EncoderScript {
  task: 'embed' | 'classify';
  embedding?: Partial<EmbeddingInfo>;
  labels?: string[];
  contextLength?: number;
}

function encoderModel(id: string, script: EncoderScript, log: { classified: ClassifyInput[] }): LoadedModel {
  const embedding: EmbeddingInfo = { dimensions: 4, pooling: 'mean', normalized: true, matryoshka: null, ...script.embedding };
  const tokenizer = wordTokenizer();
  return {
    id,
    engine: 'encoder',
    device: 'wasm',
    contextLength: script.contextLength ?? 16,
    modalities: ['text'],
    defaults: {},
    task: script.task,
    textTokenizer: tokenizer,
    ...(script.task === 'embed' ? {
      embedding,
      async embed(inputs: number[][]) {
        return inputs.map((ids) => {
          const v = new Float32Array(embedding.dimensions);
          v.set([ids.length, ids.reduce((a, b) => a + b, 0), 1].slice(0, embedding.dimensions));
          if (!embedding.normalized) return v;
          const n = Math.hypot(...v);
          return v.map((x) => x / n);
        });
      },
    } : {
      labels: script.labels ?? ['LABEL_0'],
      async classify(inputs: ClassifyInput[]) {
        log.classified.push(...inputs);
        return inputs.map((x) => {
          const a = new Set(x.text.split(/\s+/));
          return [(x.pair ?? x.text).split(/\s+/).filter((w) => a.has(w)).length];
        });
      },
    }),
    prepareChat: async () => { throw notGenerative(id, script.task); },
    prepareText: async () => { throw notGenerative(id, script.task); },
    generate: async function* () { throw notGenerative(id, script.task); },
    unload: async () => {},
  };
}

export type EncoderScripts = Record<string, EncoderScript>;

/** An engine serving the scripted encoder models by id. */
export function encoderEngine(encoders: EncoderScripts) {
  const log = { loads: 0, classified: [] as ClassifyInput[] };
  const engine: Engine = {
    name: 'encoder',
    capabilities: { modalities: ['text'], chatTemplate: false, logits: false, grammar: false, embeddings: true },
    async load(spec) {
      log.loads++;
      return encoderModel(spec.id, encoders[spec.id]!, log);
    },
  };
  return { engine, log };
}

/** A Runtime with encoder models (by id) and scripted chat models (tests/support/scripted-engine.ts). */
export function encoderRuntime(encoders: EncoderScripts, chats: Record<string, Script> = {}) {
  const { engine, log } = encoderEngine(encoders);
  const chat = new ScriptedEngine(chats);
  const runtime = new Runtime({
    engines: { encoder: async () => engine, scripted: async () => chat },
    models: [
      ...Object.keys(encoders).map((id) => ({ id, engine: 'encoder', source: { repo: `test/${id}` } })),
      ...Object.keys(chats).map((id) => ({ id, engine: 'scripted', source: { repo: `test/${id}` } })),
    ],
  });
  return { runtime, log, chat };
}
