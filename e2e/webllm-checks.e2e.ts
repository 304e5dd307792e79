import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { launch, openPage } from './support/browser.js';

/**
 * The web-llm engine in real Chromium (WebGPU on SwiftShader: no shader-f16), without a
 * model: web-llm loads into the engine host worker, the adapter's checks run against the
 * real WebGPU adapter before anything is downloaded, web-llm's own failures cross the
 * worker boundary as typed errors, and the cache API answers. Running a real model needs
 * a GPU and compiled model libraries: see webllm-real.e2e.ts (opt-in).
 */
let browser: Browser;
let page: Page & { errors: string[] };

beforeAll(async () => {
  browser = await launch();
  // A custom model whose files do not exist on this server.
  const missing = '/e2e/does-not-exist/';
  page = await openPage(browser, `/e2e/pages/webllm.html?id=missing-MLC&model=${encodeURIComponent(missing)}&lib=${encodeURIComponent(`${missing}lib.wasm`)}`);
  await page.waitForFunction(() => (window as any).ready);
});
afterAll(async () => {
  await page?.close();
  await browser?.close();
});

describe('web-llm in the engine host', () => {
  test('prebuilt models are listed by the client, and the catalog marks f16 models unavailable on this adapter', async () => {
    const r = await page.evaluate(async () => {
      const list = await (window as any).client.models.list();
      return { ids: list.data.filter((m: any) => m.engine === 'webllm').map((m: any) => m.id), catalog: await (window as any).run.catalog() };
    });
    expect(r.ids).toContain('Llama-3.2-1B-Instruct-q4f16_1-MLC');
    expect(r.ids).toContain('missing-MLC');
    expect(r.catalog.gpu.features).not.toContain('shader-f16');
    const f16 = r.catalog.models.find((m: any) => m.id === 'Llama-3.2-1B-Instruct-q4f16_1-MLC');
    expect(f16).toMatchObject({ available: false, alternative: 'Llama-3.2-1B-Instruct-q4f32_1-MLC' });
    expect(r.catalog.models.find((m: any) => m.id === 'Llama-3.2-1B-Instruct-q4f32_1-MLC').available).toBe(true);
  });

  test('loading an f16 model on an adapter without shader-f16 is a typed 400 that names the f32 variant, before any download', async () => {
    const r = await page.evaluate(() => (window as any).run.load('Llama-3.2-1B-Instruct-q4f16_1-MLC'));
    expect(r.error).toMatchObject({ name: 'BadRequestError', status: 400, param: 'model', code: 'unsupported_gpu_feature' });
    expect(r.error.message).toContain('Llama-3.2-1B-Instruct-q4f32_1-MLC');
    expect(r.events).toEqual([]);
  });

  test("web-llm's own failure (model files missing) arrives as a typed 503 that says what to check", async () => {
    const r = await page.evaluate(() => (window as any).run.load('missing-MLC'));
    expect(r.error).toMatchObject({ name: 'ServiceUnavailableError', status: 503, code: 'model_download_failed' });
    expect(r.error.message).toContain('CORS');
    // The runtime is still serving.
    const again = await page.evaluate(() => (window as any).run.load('Llama-3.2-1B-Instruct-q4f16_1-MLC'));
    expect(again.error.code).toBe('unsupported_gpu_feature');
  });

  test('client.cache.list() answers with the origin quota', async () => {
    const info = await page.evaluate(() => (window as any).run.cache());
    expect(Array.isArray(info.models)).toBe(true);
    expect(info.quota).toBeGreaterThan(0);
    expect(page.errors).toEqual([]);
  });
});
