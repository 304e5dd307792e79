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

test('a vocabulary of another kind (WordPiece) is a 400 naming the model', () => {
  const meta = new Map<string, unknown>([['tokenizer.ggml.model', 'bert'], ['tokenizer.ggml.tokens', ['a']]]);
  expect(() => tokenizerFromGguf(meta as never, 'm')).toThrow(expect.objectContaining({ status: 400, param: 'model', code: 'unsupported_tokenizer' }));
});
