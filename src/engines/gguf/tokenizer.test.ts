import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { readGgufMetadata } from './header.js';
import { tokenizerFromGguf } from './tokenizer.js';

/** The committed GGUF fixtures: the tokenizer rebuilt from their metadata tokenizes and renders as HF's. */
const FAMILIES = ['llama3', 'qwen2.5', 'qwen3'];
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

test('a SentencePiece GGUF vocabulary is a 400 naming the model', () => {
  const meta = new Map<string, unknown>([['tokenizer.ggml.model', 'llama'], ['tokenizer.ggml.tokens', ['a']]]);
  expect(() => tokenizerFromGguf(meta as never, 'm')).toThrow(expect.objectContaining({ status: 400, param: 'model', code: 'unsupported_tokenizer' }));
});
