import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { PreTrainedTokenizer } from '@huggingface/transformers';
import { readGgufMetadata } from './header.js';
import { tokenizerFromGguf } from './tokenizer.js';

/** The committed GGUF fixtures: the tokenizer rebuilt from their metadata tokenizes and renders as HF's. */
// mistral: a SentencePiece-style vocabulary (llama.cpp `llama`), the others byte-level BPE.
const FAMILIES = ['llama3', 'qwen2.5', 'qwen3', 'mistral'];
const dir = (f: string) => new URL(`../../../fixtures/models/tiny-random-${f}-gguf/`, import.meta.url);

describe.each(FAMILIES)('GGUF tokenizer of tiny-random-%s', (family) => {
  test('metadata read from the file; prompt ids and chat template as HF transformers', async () => {
    const meta = await readGgufMetadata(new Blob([readFileSync(new URL('model-q8_0.gguf', dir(family)))]));
    const ref = JSON.parse(readFileSync(new URL('reference.json', dir(family)), 'utf8'));
    const tokenizer = tokenizerFromGguf(meta, family);
    const prompt = tokenizer.apply_chat_template([{ role: 'user', content: ref.content }] as never, { add_generation_prompt: true, tokenize: false }) as string;
    expect(prompt).toBe(ref.prompt);
    expect(tokenizer.encode(ref.prompt, { add_special_tokens: false })).toEqual(ref.prompt_ids);
    expect(tokenizer.decode(ref.greedy_ids, { skip_special_tokens: true })).toBe(ref.text);
  });
});

test('the SentencePiece vocabulary tokenizes any text as HF: spaces, bytes beyond the vocabulary, special tokens', async () => {
  const meta = await readGgufMetadata(new Blob([readFileSync(new URL('model-q8_0.gguf', dir('mistral')))]));
  const tokenizer = tokenizerFromGguf(meta, 'mistral');
  // HF's own tokenizer.json of the model the GGUF was converted from (transformers.js reads it as HF does).
  const hfDir = new URL('../../../fixtures/models/tiny-random-mistral/', import.meta.url);
  const hf = new PreTrainedTokenizer(JSON.parse(readFileSync(new URL('tokenizer.json', hfDir), 'utf8')), JSON.parse(readFileSync(new URL('tokenizer_config.json', hfDir), 'utf8')));
  const texts = ['Hello world', '  two  spaces\nand a newline', 'émoji 🦙 ok ☃', '[INST] hi [/INST] there</s>'];
  for (const text of texts) {
    const ids = tokenizer.encode(text, { add_special_tokens: false });
    expect(ids).toEqual(hf.encode(text, { add_special_tokens: false }));
    expect(tokenizer.decode(ids)).toBe(hf.decode(ids));
    if (!text.includes('[')) expect(tokenizer.decode(ids)).toBe(text);
  }
});

/** HF's own tokenizer of a fixture folder (transformers.js reads tokenizer.json as HF does). */
function hfTokenizer(name: string): PreTrainedTokenizer {
  const hfDir = new URL(`../../../fixtures/models/${name}/`, import.meta.url);
  return new PreTrainedTokenizer(JSON.parse(readFileSync(new URL('tokenizer.json', hfDir), 'utf8')), JSON.parse(readFileSync(new URL('tokenizer_config.json', hfDir), 'utf8')));
}

test.each(['tiny-random-minilm-embed', 'tiny-random-bge-embed', 'tiny-random-qwen3-embed'])('%s as GGUF: texts encode with the special tokens as HF (WordPiece [CLS] ... [SEP]; Qwen3 ... <|endoftext|>)', async (name) => {
  const meta = await readGgufMetadata(new Blob([readFileSync(new URL(`../../../fixtures/models/${name}-gguf/model-f32.gguf`, import.meta.url))]));
  const tokenizer = tokenizerFromGguf(meta, name);
  const hf = hfTokenizer(name);
  const ref = JSON.parse(readFileSync(new URL(`../../../fixtures/models/${name}/reference.json`, import.meta.url), 'utf8'));
  for (const text of [...ref.texts, 'Héllo, WORLD!! 42 ok?', 'a pair']) {
    expect(tokenizer.encode(text)).toEqual(hf.encode(text));
    expect(tokenizer.encode(text, { text_pair: 'second one' })).toEqual(hf.encode(text, { text_pair: 'second one' }));
  }
  expect(ref.texts.map((t: string) => tokenizer.encode(t).length)).toEqual(ref.tokens);
});

test('a vocabulary of another kind (T5 Unigram) is a 400 naming the model', () => {
  const meta = new Map<string, unknown>([['tokenizer.ggml.model', 't5'], ['tokenizer.ggml.tokens', ['a']]]);
  expect(() => tokenizerFromGguf(meta as never, 'm')).toThrow(expect.objectContaining({ status: 400, param: 'model', code: 'unsupported_tokenizer' }));
});
