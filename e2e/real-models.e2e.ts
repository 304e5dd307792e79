import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { launch, openPage, type Device } from './support/browser.js';
import { REAL_MODELS, compareToReference, fixtureSize, readReference, referenceRequest, type RealModel } from './support/real-models.js';

/**
 * Real architectures (Llama 3, Qwen2.5, Qwen3, Phi-3, Gemma 2, Mistral; random weights,
 * fixtures/models/) through the in-page client, against references computed in Python:
 * the prompt's token count, every greedy token and the top-5 logprobs. fp32 is compared
 * with Hugging Face transformers; quantized files with onnxruntime on the same file.
 */

// Largest |logprob difference| allowed, per file. fp32 against PyTorch: float32 rounding
// only (measured ≤ 1e-6). The others against native onnxruntime on the same file: onnxruntime-web's
// WASM kernels accumulate in other orders.
const TOLERANCE: Record<string, number> = { fp32: 1e-4, fp16: 3e-2, q8: 1e-4, q4: 1e-3, q4f16: 3e-2 };
// fp32 on WebGPU (SwiftShader) against PyTorch, every family (measured 1.1e-4 to 3.8e-4, qwen3
// the largest): SwiftShader's shaders reduce (MatMul, Softmax, norms) in other orders.
const WEBGPU_TOLERANCE = 5e-4;

let browser: Browser;
beforeAll(async () => { browser = await launch(); });
afterAll(async () => { await browser?.close(); });

async function harness(device: Device): Promise<Page & { errors: string[] }> {
  const page = await openPage(browser, `/e2e/pages/client-harness.html?device=${device}&shared=0`);
  await page.waitForFunction(() => (window as any).ready);
  return page;
}

/**
 * Registers `name` (optionally one dtype of it) and loads it; returns the progress events' files and totals.
 * No prefix cache: each reference prefills its prompt from scratch (q8's, like the runtime,
 * in 64-position blocks: its dynamic activation quantization takes scales per pass).
 */
async function load(page: Page, name: RealModel, device: Device, dtype?: string) {
  const id = dtype ? `${name}-${dtype}` : name;
  return page.evaluate(async ({ id, name, device, dtype }) => {
    const h = (window as any).harness;
    await (window as any).client.models.register({ id, baseUrl: `/models/${name}/`, options: { prefixCache: false, ...(dtype ? { dtype } : {}) } });
    const { info, progress } = await h.load(id, { device });
    const files = [...new Set(progress.map((p: any) => p.file).filter(Boolean))];
    const last = progress.filter((p: any) => p.phase === 'download').at(-1);
    const totals = [...new Set(progress.filter((p: any) => p.phase === 'download').map((p: any) => p.total))];
    return { id, info, files, last, totals };
  }, { id, name, device, dtype });
}

/** Runs the reference chats of `name` (all, or the first `only`) on the loaded `id` and compares with `output`. */
async function checkChats(page: Page, id: string, name: RealModel, output: string, tol: number, only?: number) {
  const ref = readReference(name);
  const report: string[] = [];
  let compared = 0;
  const chats = ref.chats.slice(0, only);
  for (const chat of chats) {
    const body = referenceRequest(id, chat, ref.steps);
    const r = await page.evaluate((b) => (window as any).harness.run(b), body);
    expect(r.ok, JSON.stringify(r.error)).toBe(true);
    const result = compareToReference(r.completion, chat, chat.outputs[output]!, tol);
    expect(result.problems, `${id} ${chat.name} vs ${output}`).toEqual([]);
    compared += result.compared;
    report.push(`${chat.name}: ${chat.prompt_ids.length} prompt tokens, ${result.compared}/${ref.steps} tokens equal, max |dlogprob| ${result.maxDiff.toExponential(1)}`);
  }
  console.log(`${id} (${output}):\n  ${report.join('\n  ')}`);
  // Near-ties (and tools' UTF-8 grammar) may end a chat's comparison early; most tokens are compared.
  expect(compared, `${id}: tokens compared`).toBeGreaterThanOrEqual((chats.length * ref.steps) / 2);
}

describe('real architectures on WASM, no dtype given (files decide)', () => {
  let page: Page & { errors: string[] };
  beforeAll(async () => { page = await harness('wasm'); });

  // tiny-random-llama3 (every dtype) has a block of its own below.
  test.each(REAL_MODELS.filter((m) => m !== 'tiny-random-llama3'))('%s: prompt tokens, greedy tokens and top-5 logprobs equal the reference', async (name) => {
    const ref = readReference(name);
    const { info, files } = await load(page, name, 'wasm');
    expect(info.device).toBe('wasm');
    // q8 where the folder has it (never q4 on WASM), else the standard export's model.onnx.
    const expected = ref.files.q8 ? 'q8' : 'fp32';
    expect(files).toContain(ref.files[expected]);
    await checkChats(page, name, name, expected === 'fp32' ? 'transformers' : `onnxruntime/${expected}`, TOLERANCE[expected]!);
    await page.evaluate((id) => (window as any).client.models.unload(id), name);
    expect(page.errors).toEqual([]);
  });
});

describe('tiny-random-llama3 in every dtype the hub ships, on WASM', () => {
  let page: Page & { errors: string[] };
  beforeAll(async () => { page = await harness('wasm'); });
  const ref = readReference('tiny-random-llama3');

  test.each(Object.keys(ref.files))('%s: equals its reference (fp32: transformers; the others: onnxruntime on the same file)', async (dtype) => {
    const { id, files } = await load(page, 'tiny-random-llama3', 'wasm', dtype);
    expect(files).toContain(ref.files[dtype]);
    // fp32 against PyTorch itself; the quantized files against onnxruntime on the same file.
    await checkChats(page, id, 'tiny-random-llama3', dtype === 'fp32' ? 'transformers' : `onnxruntime/${dtype}`, TOLERANCE[dtype]!);
    await page.evaluate((i) => (window as any).client.models.unload(i), id);
    expect(page.errors).toEqual([]);
  });
});

describe('loading real export folders with no options', () => {
  let page: Page & { errors: string[] };
  beforeAll(async () => { page = await harness('wasm'); });

  /** The files a load fetched, their summed fixture sizes, and what progress reported. */
  async function loadAndSum(name: RealModel) {
    const result = await load(page, name, 'wasm');
    // config.json is read first (to learn which files the model needs), before any total is known.
    const fetched = [...new Set(['config.json', ...(result.files as string[])])];
    const bytes = fetched.reduce((sum, f) => sum + fixtureSize(name, f), 0);
    await page.evaluate((i) => (window as any).client.models.unload(i), result.id);
    return { ...result, bytes };
  }

  test('a standard export (onnx/model.onnx only, no transformers.js_config) loads; progress totals are the files\' sizes from the first event', async () => {
    const { files, last, totals, bytes } = await loadAndSum('tiny-random-qwen3');
    expect(files).toContain('onnx/model.onnx');
    expect(totals).toEqual([bytes]);
    expect(last).toMatchObject({ loaded: bytes, total: bytes, progress: 1 });
  });

  test('external data (onnx/model.onnx_data, not declared in config.json) is found and counted', async () => {
    const { files, last, totals, bytes } = await loadAndSum('tiny-random-mistral');
    expect(files).toEqual(expect.arrayContaining(['onnx/model.onnx', 'onnx/model.onnx_data']));
    expect(bytes).toBeGreaterThan(fixtureSize('tiny-random-mistral', 'onnx/model.onnx_data'));
    expect(totals).toEqual([bytes]);
    expect(last).toMatchObject({ loaded: bytes, total: bytes });
  });

  test('a folder with every dtype loads q8 on WASM, not q4', async () => {
    const { files } = await loadAndSum('tiny-random-llama3');
    expect(files).toContain('onnx/model_quantized.onnx');
    expect(files.some((f) => /_q4|_fp16|onnx\/model\.onnx$/.test(f as string))).toBe(false);
  });
});

describe('real architectures on WebGPU (SwiftShader)', () => {
  let page: Page & { errors: string[] };
  beforeAll(async () => { page = await harness('webgpu'); });

  // SwiftShader is slow (and has no shader-f16): fp32, the first chat of each family, each
  // model loaded once on one page.
  test.each(REAL_MODELS)('%s (fp32): prompt tokens, greedy tokens and top-5 logprobs equal Hugging Face transformers', async (name) => {
    const ref = readReference(name);
    // A folder with model.onnx only is loaded with no dtype given; llama3's (every dtype)
    // would give q4 on an adapter without shader-f16, so fp32 is asked for.
    const dtype = Object.keys(ref.files).length > 1 ? 'fp32' : undefined;
    const { id, info, files } = await load(page, name, 'webgpu', dtype);
    expect(info.device).toBe('webgpu');
    expect(files).toContain(ref.files.fp32);
    await checkChats(page, id, name, 'transformers', WEBGPU_TOLERANCE, 1);
    await page.evaluate((i) => (window as any).client.models.unload(i), id);
    expect(page.errors).toEqual([]);
  });
});
