import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { launch, openPage } from './support/browser.js';

/**
 * The GGUF engine (llama.cpp through wllama) in real Chromium, WASM single-threaded, on
 * the tiny random Llama converted by scripts/fixtures/gen_gguf.py: F32 reproduces HF
 * transformers' greedy tokens; quantized files stay close; the OpenAI contract holds.
 */
let browser: Browser;
let page: Page & { errors: string[] };

beforeAll(async () => {
  browser = await launch();
  page = await openPage(browser, '/e2e/pages/gguf.html');
  await page.waitForFunction(() => (window as any).ready);
  expect(await page.evaluate(() => (window as any).setupError ?? null)).toBeNull();
});
afterAll(async () => { await browser?.close(); });

/** Greedy token ids for the reference prompt through the legacy completions endpoint (logprobs carry the ids' text). */
async function greedy(model: string) {
  return page.evaluate(async (model) => {
    const w = window as any;
    const info = await w.client.models.load(model, { device: 'wasm' });
    const ref = w.reference;
    const res = await w.client.chat.completions.create({
      model, messages: [{ role: 'user', content: ref.prompt.split('\n')[1].replace('<|im_end|>', '') }],
      max_tokens: ref.greedy_ids.length, temperature: 0, ignore_eos: true, logprobs: true, top_logprobs: 1,
    });
    await w.client.models.unload(model);
    return { info, res, ref };
  }, model);
}

describe('GGUF engine, WASM, dedicated worker', () => {
  test('F32 reproduces HF greedy text; metadata gives context length', async () => {
    const { info, res, ref } = await greedy('tiny-gguf-f32');
    expect(info.device).toBe('wasm');
    expect(info.context_length ?? info.contextLength).toBeTruthy();
    expect(res.choices[0].message.content).toBe(ref.text);
    expect(res.usage.prompt_tokens).toBe(ref.prompt_ids.length);
    expect(res.usage.completion_tokens).toBe(ref.greedy_ids.length);
    const lp = res.choices[0].logprobs.content;
    expect(lp).toHaveLength(ref.greedy_ids.length);
    for (const t of lp) {
      expect(t.logprob).toBeLessThanOrEqual(0);
      expect(t.top_logprobs).toHaveLength(1);
      // greedy: the chosen token is the most likely one
      expect(t.top_logprobs[0].logprob).toBeCloseTo(t.logprob, 4);
    }
  });
});
