import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { launch, openPage } from './support/browser.js';

/**
 * The playground's model picker on WebGPU (SwiftShader: no shader-f16): models grouped by
 * engine with their sizes and needs, web-llm's prebuilt models checked against the real
 * adapter, the ones it cannot run disabled with the reason and, for f16 models, their f32
 * build to use instead. Nothing is downloaded: no web-llm model is loaded here.
 */

const F16 = 'Llama-3.2-1B-Instruct-q4f16_1-MLC';
const F32 = 'Llama-3.2-1B-Instruct-q4f32_1-MLC';
const EMBEDDING = 'snowflake-arctic-embed-m-q0f32-MLC-b32';
const SCREENSHOT = process.env.DEMO_MODELS_SCREENSHOT ?? '/tmp/demo-models.png';

let browser: Browser;
beforeAll(async () => { browser = await launch(); });
afterAll(async () => { await browser?.close(); });

interface OptionFacts { value: string; text: string; title: string; disabled: boolean; group: string; engine: string; sizeBytes: number | null }

describe('demo model picker on webgpu', () => {
  test('lists models by engine with sizes and needs; f16 and embedding models of web-llm are unavailable with the reason', async () => {
    const page = await openPage(browser, '/demo/');
    await page.setViewportSize({ width: 1100, height: 900 });
    await page.waitForSelector('#load:not([disabled])');
    expect(await page.inputValue('#model')).toBe('tiny-chat'); // the default stays the tiny model

    const options: OptionFacts[] = await page.$$eval('#model option', (els) => (els as HTMLOptionElement[]).map((o) => ({
      value: o.value,
      text: o.text,
      title: o.title,
      disabled: o.disabled,
      group: (o.parentElement as HTMLOptGroupElement).label,
      engine: (o.parentElement as HTMLOptGroupElement).dataset.engine ?? '',
      sizeBytes: o.dataset.sizeBytes ? Number(o.dataset.sizeBytes) : null,
    })));
    const find = (id: string) => {
      const o = options.find((x) => x.value === id);
      if (!o) throw new Error(`no option ${id}`);
      return o;
    };

    // Grouped by engine: the transformers.js models first, then web-llm's.
    const groups = await page.$$eval('#model optgroup', (els) => (els as HTMLOptGroupElement[]).map((g) => ({ label: g.label, engine: g.dataset.engine })));
    expect(groups.map((g) => g.engine)).toEqual(['transformers', 'webllm', 'webllm']);
    expect(groups[0]!.label).toMatch(/^transformers\.js/);
    expect(groups[1]!.label).toMatch(/^web-llm · WebGPU/);
    expect(groups[2]!.label).toMatch(/^web-llm · unavailable/);
    expect(find('tiny-chat').engine).toBe('transformers');

    // web-llm's prebuilt models, every one with its size (web-llm's GPU memory estimate).
    const webllm = options.filter((o) => o.engine === 'webllm');
    expect(webllm.length).toBeGreaterThan(100);
    for (const o of webllm) {
      expect(o.sizeBytes, o.value).toBeGreaterThan(10 * 2 ** 20);
      expect(o.text, o.value).toMatch(/ · \d+(\.\d)? (MB|GB)( · |$)/);
      expect(o.title, o.value).toMatch(/^web-llm · .*GPU memory.* · needs WebGPU/);
    }

    // An f16 build: disabled, the reason names shader-f16 and the f32 build to use instead.
    const f16 = find(F16);
    expect(f16.disabled).toBe(true);
    expect(f16.group).toMatch(/unavailable/);
    expect(f16.text).toMatch(new RegExp(`^${F16} · \\d+ MB · needs shader-f16$`));
    expect(f16.title).toContain("needs the WebGPU feature 'shader-f16'");
    expect(f16.title).toContain(`Use its f32 variant '${F32}' instead.`);

    // Its f32 build: enabled, runnable here.
    const f32 = find(F32);
    expect(f32.disabled).toBe(false);
    expect(f32.text).toBe(`${F32} · 1.1 GB`);
    expect(f32.title).toMatch(/^web-llm · q4f32_1 · 1\.1 GB GPU memory · 4k context · needs WebGPU$/);

    // Embedding models: not for the chat playground, with why.
    const embeddings = webllm.filter((o) => o.value.includes('embed'));
    expect(embeddings.map((o) => o.value)).toContain(EMBEDDING);
    for (const o of embeddings) {
      expect(o.disabled, o.value).toBe(true);
      expect(o.text).toContain('embedding model: /v1/embeddings');
      expect(o.title).toContain('Embedding model: it serves client.embeddings.create and /v1/embeddings, not chat.');
    }
    // On this adapter, exactly the f16 and embedding models are out.
    for (const o of webllm) expect(o.disabled, o.value).toBe(/q\d+f16/.test(o.value) || o.value.includes('embed'));

    // The catalog panel: the adapter's facts and a row per model with size, needs, status.
    await page.click('#catalog summary');
    expect(await page.textContent('#gpu-facts')).toMatch(/^This GPU: .*no shader-f16/);
    expect(await page.textContent('#catalog-count')).toMatch(/web-llm: \d+ of \d+ run here/);
    expect(await page.$$eval('#catalog-table tbody', (els) => els.map((b) => (b as HTMLElement).dataset.engine))).toEqual(['transformers.js', 'web-llm']);
    expect(await page.textContent('#catalog-table tbody[data-engine="web-llm"] tr.group')).toMatch(/^web-llm · \d+ models, \d+ available here$/);
    const row = (id: string) => page.locator(`#catalog-table tr[data-model="${id}"]`);
    expect(await row(F16).getAttribute('class')).toBe('unavailable');
    expect(await row(F16).locator('td.here').textContent()).toContain(`Use ${F32}`);
    expect(await row(F16).locator('td.needs').textContent()).toBe('WebGPU, shader-f16');
    expect(await row(F32).getAttribute('class')).toBe('available');
    expect(await row(EMBEDDING).locator('td.here').textContent()).toMatch(/^unavailable.*Embedding model/);
    expect(await row('gemma-2b-it-q4f32_1-MLC').locator('td.needs').textContent()).toBe('WebGPU, 250 MB storage buffers');

    // The filter narrows the table.
    await page.fill('#catalog-filter', 'llama-3.2-1b q4');
    const visible = await page.$$eval('#catalog-table tbody:not([hidden]) tr[data-model]:not([hidden])', (rows) => rows.map((r) => (r as HTMLElement).dataset.model));
    expect(visible.sort()).toEqual([F32, F16].sort());
    expect(await page.isHidden('#catalog-table tbody[data-engine="transformers.js"]')).toBe(true);

    // Picking the f16 model from the catalog: the note under the picker says why it cannot
    // run and offers the f32 build; Load stays off.
    await row(F16).locator('button.pick').click();
    expect(await page.inputValue('#model')).toBe(F16);
    expect(await page.getAttribute('#model-info', 'data-kind')).toBe('unavailable');
    const note = (await page.textContent('#model-info'))!;
    expect(note).toContain('Unavailable in this browser:');
    expect(note).toContain("needs the WebGPU feature 'shader-f16'");
    expect(await page.textContent('#model-info button.use-alternative')).toBe(`Use ${F32}`);
    expect(await page.isDisabled('#load')).toBe(true);
    expect(await page.textContent('#status')).toBe(`${F16} cannot run here: try ${F32}.`);
    await page.screenshot({ path: SCREENSHOT, fullPage: true });

    // "Use <f32>": picked, Load on, WebGPU only (no WASM for web-llm).
    await page.click('#model-info button.use-alternative');
    expect(await page.inputValue('#model')).toBe(F32);
    expect(await page.getAttribute('#model-info', 'data-kind')).toBe('ok');
    expect(await page.textContent('#model-info')).toBe('web-llm · q4f32_1 · 1.1 GB GPU memory · 4k context · needs WebGPU');
    expect(await page.isDisabled('#load')).toBe(false);
    expect(await page.isDisabled('#device option[value="wasm"]')).toBe(true);

    // Back to the tiny model: both devices again.
    await page.selectOption('#model', 'tiny-chat');
    expect(await page.isDisabled('#device option[value="wasm"]')).toBe(false);
    expect(await page.textContent('#model-info')).toMatch(/^transformers\.js · .* · needs WebGPU or WASM$/);
    expect(await page.isDisabled('#load')).toBe(false);

    expect(page.errors).toEqual([]);
    await page.close();
  });
});
