import { describe, expect, test } from 'vitest';
import type { GenerateOptions } from '../../core/engine.js';
import { completionBody, toTokenEvents } from './request.js';

const options = (extra: Partial<GenerateOptions> = {}): GenerateOptions => ({
  maxTokens: 8,
  sampling: { temperature: 0.7, topP: 0.9, topK: 0, minP: 0, repetitionPenalty: 1.1, presencePenalty: 0.5, frequencyPenalty: 0.25, logitBias: new Map([[5, -100]]) },
  seed: -1,
  topLogprobs: null,
  minTokens: 0,
  ignoreEos: false,
  ...extra,
});

describe('GGUF completion request', () => {
  test("maps core's sampling onto llama.cpp's chain, its own defaults off", () => {
    const body = completionBody('hi', options(), 2048, 100);
    expect(body).toMatchObject({
      prompt: 'hi', max_tokens: 8, temperature: 0.7, top_p: 0.9, top_k: 0, min_p: 0, typical_p: 1,
      repeat_penalty: 1.1, repeat_last_n: 2048, presence_penalty: 0.5, frequency_penalty: 0.25,
      logit_bias: [[5, -100]], samplers: ['penalties', 'temperature', 'min_p', 'top_k', 'top_p'],
      seed: 0xffffffff, n_probs: 1, post_sampling_probs: true, ignore_eos: false,
    });
  });

  test('logprobs come from the raw logits, as many as asked', () => {
    expect(completionBody('hi', options({ topLogprobs: 3 }), 64, 100)).toMatchObject({ n_probs: 3, post_sampling_probs: false });
  });

  test('a logit_bias id outside the vocabulary is a 400 naming it', () => {
    expect(() => completionBody('hi', options({ sampling: { ...options().sampling, logitBias: new Map([[100, 1]]) } }), 64, 100)).toThrow(expect.objectContaining({ status: 400, param: 'logit_bias.100' }));
  });

  test('min_tokens is a 400 naming it', () => {
    expect(() => completionBody('hi', options({ minTokens: 2 }), 64, 100)).toThrow(expect.objectContaining({ status: 400, param: 'min_tokens' }));
  });
});

describe('GGUF chunks to token events', () => {
  test('ids and logprobs from n_probs; a stop without its token becomes EOS', () => {
    const chunk = { choices: [{ logprobs: { content: [{ id: 7, logprob: -0.5, top_logprobs: [{ id: 7, logprob: -0.5 }] }] }, finish_reason: null }] };
    expect(toTokenEvents(chunk, [2])).toEqual([{ id: 7, isEos: false, logprob: -0.5, top: [{ id: 7, logprob: -0.5 }] }]);
    expect(toTokenEvents({ choices: [{ logprobs: null, finish_reason: 'stop' }] }, [2, 3])).toEqual([{ id: 2, isEos: true }]);
    expect(toTokenEvents({ choices: [{ logprobs: null, finish_reason: 'length' }] }, [2])).toEqual([]);
  });
});
