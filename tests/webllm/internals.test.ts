/**
 * What the web-llm adapter assumes about the INSTALLED web-llm, checked against its real
 * code: the exported API it calls, the two internals it reads, the order in which web-llm
 * runs the grammar mask and the LogitProcessor (the hook relies on it), and real web-llm
 * error instances mapped to typed errors. A web-llm upgrade that changes any of it fails
 * here, not in a browser.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as webllm from '@mlc-ai/web-llm';
import { describe, expect, test } from 'vitest';
import { AbortError } from '../../src/core/abort.js';
import { fromWebLLMError } from '../../src/engines/webllm/errors.js';
import { progressMapper } from '../../src/engines/webllm/progress.js';
import type { LoadProgress } from '../../src/protocol/models.js';

const source = readFileSync(createRequire(import.meta.url).resolve('@mlc-ai/web-llm'), 'utf8');
const between = (from: string, to: string) => {
  const start = source.indexOf(from);
  return source.slice(start, source.indexOf(to, start));
};

describe('the installed web-llm', () => {
  test('exports what the adapter calls', () => {
    const proto = webllm.MLCEngine.prototype as unknown as Record<string, unknown>;
    for (const m of ['reload', 'unload', 'chatCompletion', 'completion', 'interruptGenerate']) expect(typeof proto[m]).toBe('function');
    expect(Array.isArray(webllm.prebuiltAppConfig.model_list)).toBe(true);
  });

  test('has the internals the adapter reads: getLLMStates() and the pipeline tokenizer', () => {
    expect(typeof (webllm.MLCEngine.prototype as unknown as { getLLMStates?: unknown }).getLLMStates).toBe('function');
    const ctor = between('class LLMChatPipeline {', 'asyncLoadWebGPUPipelines()');
    expect(ctor).toMatch(/this\.tokenizer = tokenizer;/);
    expect(between('    getModelStates(requestName, modelType, modelId) {', '    forwardTokensAndSample(')).toMatch(
      /return \[selectedModelId, selectedPipeline, selectedChatConfig\];/,
    );
  });

  test('masks with the grammar before the LogitProcessor, and reports every committed token to it', () => {
    const sample = between('    sampleFromRawLogits(logitsOnGPU, genConfig) {', '    getInputData() {');
    const mask = sample.indexOf('this.fapplyBitmask(');
    const hook = sample.indexOf('this.logitProcessor.processLogits(');
    const bias = sample.indexOf('this.fapplyLogitBias(');
    expect(mask).toBeGreaterThan(0);
    expect(hook).toBeGreaterThan(mask);
    expect(bias).toBeGreaterThan(hook);
    expect(between('    commitSamplerState(sampledToken, genConfig) {', 'acceptToken(sampledToken)')).toMatch(/processSampledToken\(sampledToken\)/);
  });

  test("releases the model's lock in the streaming generator's finally (an abandoned stream frees it)", () => {
    const gen = between('    asyncGenerate(request, model, pipeline, chatConfig, genConfig, timeReceived, journal) {', '    interruptGenerate() {');
    expect(gen).toMatch(/finally \{[\s\S]*lock\.release\(\)/);
  });
});

describe('real web-llm errors become typed errors', () => {
  test('WebGPUNotAvailableError (Node has no WebGPU) is a 400 webgpu_unavailable', async () => {
    const err = await new webllm.MLCEngine({ logLevel: 'SILENT' }).getGPUVendor().catch((e: unknown) => e);
    expect((err as Error).name).toBe('WebGPUNotAvailableError');
    expect(fromWebLLMError(err, { model: 'm' })).toMatchObject({ status: 400, param: 'model', code: 'webgpu_unavailable' });
  });

  test('ModelNotFoundError is a 404', async () => {
    const err = await new webllm.MLCEngine({ appConfig: { model_list: [] }, logLevel: 'SILENT' }).reload('nope').catch((e: unknown) => e);
    expect((err as Error).name).toBe('ModelNotFoundError');
    expect(fromWebLLMError(err, { model: 'nope' })).toMatchObject({ status: 404, code: 'model_not_found' });
  });

  test('request errors from its validation are 400s naming the field', () => {
    const check = (request: unknown) => {
      try {
        webllm.postInitAndCheckFieldsChatCompletion(request as never, 'm', webllm.ModelType.LLM, undefined);
      } catch (err) {
        return fromWebLLMError(err, { model: 'm' });
      }
      throw new Error('accepted');
    };
    expect(check({ messages: [{ role: 'assistant', content: 'x' }] })).toMatchObject({ status: 400, param: 'messages', code: 'unsupported_messages' });
    expect(check({ messages: [{ role: 'user', content: 'x' }], response_format: { type: 'text', schema: '{}' } })).toMatchObject({
      status: 400,
      param: 'response_format',
    });
    expect(check({ messages: [{ role: 'user', content: 'x' }], stream: true, n: 2 })).toMatchObject({ status: 400, code: 'invalid_request' });
  });

  test('model-load failures: a device loss, a missing feature, a full quota, an abort', () => {
    const named = (name: string, message = name) => Object.assign(new Error(message), { name });
    expect(fromWebLLMError(named('DeviceLostError'), { model: 'm' })).toMatchObject({ status: 503, code: 'gpu_device_lost' });
    expect(fromWebLLMError(named('ShaderF16SupportError'), { model: 'm' })).toMatchObject({ status: 400, code: 'unsupported_gpu_feature' });
    const quota = fromWebLLMError(new DOMException('full', 'QuotaExceededError'), { model: 'm', storage: { usage: 900 << 20, quota: 1000 << 20 } });
    expect(quota).toMatchObject({ status: 507, code: 'storage_quota_exceeded' });
    expect(quota.message).toContain('900 MiB of 1000 MiB');
    expect(fromWebLLMError(new DOMException('stop', 'AbortError'), { model: 'm' })).toBeInstanceOf(AbortError);
    expect(fromWebLLMError(new Error('something odd'), { model: 'm' })).toMatchObject({ status: 500, code: 'engine_error' });
    // Seen in Chromium with a wrong model_lib: the file is not a compiled model library.
    const wasm = fromWebLLMError(named('CompileError', 'WebAssembly.instantiate(): expected magic word 00 61 73 6d, found 3c 21 64 6f @+0'), { model: 'm' });
    expect(wasm).toMatchObject({ status: 400, param: 'model', code: 'invalid_model_lib' });
    // Seen in Chromium with a wrong model URL: Cache.add() refuses a 404.
    const missing = fromWebLLMError(new TypeError("Failed to execute 'add' on 'Cache': Request failed"), { model: 'm' });
    expect(missing).toMatchObject({ status: 503, code: 'model_download_failed' });
  });
});

describe('load progress', () => {
  const reports = (texts: Array<[number, string]>) => {
    const out: LoadProgress[] = [];
    const map = progressMapper('m', (p) => out.push(p));
    for (const [progress, text] of texts) map({ progress, timeElapsed: 0, text });
    return out;
  };

  test('a first load: download, then GPU load and shaders, monotonic, bytes from the MB counts', () => {
    const out = reports([
      [0, 'Start to fetch params'],
      [0.5, 'Fetching param cache[1/2]: 300MB fetched. 50% completed, 3 secs elapsed. It can take a while when we first visit this page to populate the cache. Later refreshes will become faster.'],
      [1, 'Fetching param cache[2/2]: 600MB fetched. 100% completed, 6 secs elapsed. It can take a while when we first visit this page to populate the cache. Later refreshes will become faster.'],
      [0.5, 'Loading model from cache[1/2]: 300MB loaded. 50% completed, 7 secs elapsed.'],
      [1, 'Loading model from cache[2/2]: 600MB loaded. 100% completed, 8 secs elapsed.'],
      [0.5, 'Loading GPU shader modules[40/80]: 50% completed, 9 secs elapsed.'],
      [1, 'Finish loading on WebGPU - nvidia'],
    ]);
    expect(out.map((p) => p.phase)).toEqual(['download', 'download', 'download', 'init', 'init', 'init', 'init']);
    expect(out.map((p) => p.progress)).toEqual([0, 0.4, 0.8, 0.875, 0.95, 0.975, 1].map((v) => expect.closeTo(v, 9)));
    expect(out[1]).toMatchObject({ loaded: 300 << 20, total: 600 << 20, file: 'shard 1/2' });
  });

  test('from the cache: no download phase, the bar still runs from 0 to 1', () => {
    const out = reports([
      [0, 'Start to fetch params'],
      [0.5, 'Loading model from cache[1/2]: 300MB loaded. 50% completed, 1 secs elapsed.'],
      [1, 'Loading model from cache[2/2]: 600MB loaded. 100% completed, 1 secs elapsed.'],
      [1, 'Loading GPU shader modules[80/80]: 100% completed, 2 secs elapsed.'],
    ]);
    expect(out.map((p) => p.progress)).toEqual([0, 0.45, 0.9, 1].map((v) => expect.closeTo(v, 9)));
  });
});
