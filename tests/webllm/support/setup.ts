import type { ModelSpec } from '../../../src/core/engine.js';
import type { MediaOptions } from '../../../src/core/media/resolve.js';
import { Runtime } from '../../../src/core/runtime.js';
import type { GpuFacts } from '../../../src/engines/webllm/catalog.js';
import { createWebLLMEngine } from '../../../src/engines/webllm.js';
import type { ChatCompletionChunk } from '../../../src/protocol/chat.js';
import { scriptedWebLLM, type WebLLMScript } from './scripted-webllm.js';

export const GPU: GpuFacts = {
  features: ['shader-f16'],
  limits: {
    maxBufferSize: 2 ** 31,
    maxStorageBufferBindingSize: 2 ** 30,
    maxComputeWorkgroupStorageSize: 32768,
    maxStorageBuffersPerShaderStage: 10,
  },
  description: 'scripted gpu',
};

export interface SetupOptions {
  /** What the WebGPU probe answers (default: GPU; null = no adapter). */
  gpu?: GpuFacts | null;
  /** Extra ModelSpec.options per model id (e.g. required_features). */
  options?: Record<string, Record<string, unknown>>;
  maxQueue?: number;
  /** The engine's sampling option (default 'auto'). */
  sampling?: 'auto' | 'webinfer';
  /** The Runtime's media options (a fake image decoder and fetch). */
  media?: MediaOptions;
}

/** The real Runtime over the web-llm adapter over real MLCEngines with scripted pipelines. */
export function setup(scripts: Record<string, WebLLMScript>, opts: SetupOptions = {}) {
  const web = scriptedWebLLM(scripts);
  let probes = 0;
  const engine = createWebLLMEngine({
    createEngine: web.createEngine,
    probeGpu: async () => {
      probes++;
      return opts.gpu === undefined ? GPU : opts.gpu;
    },
    logLevel: 'SILENT',
    ...(opts.sampling ? { sampling: opts.sampling } : {}),
  });
  const models: ModelSpec[] = Object.keys(scripts).map((id) => ({
    id,
    engine: 'webllm',
    source: { repo: id, baseUrl: `https://models.test/${id}/` },
    options: { model_lib: `https://libs.test/${id}-webgpu.wasm`, ...opts.options?.[id] },
  }));
  const runtime = new Runtime({ engines: { webllm: async () => engine }, models, ...(opts.maxQueue ? { maxQueue: opts.maxQueue } : {}), ...(opts.media ? { media: opts.media } : {}) });
  return { runtime, web, engine, probes: () => probes };
}

export const signal = () => new AbortController().signal;

/** Streams a chat request through the runtime and collects the chunks. */
export async function streamChat(runtime: Runtime, body: Record<string, unknown>, abort = new AbortController()): Promise<ChatCompletionChunk[]> {
  const chunks: ChatCompletionChunk[] = [];
  for await (const chunk of await runtime.startChatCompletion({ ...body, stream: true }, abort.signal)) chunks.push(chunk);
  return chunks;
}

export function contentOf(chunks: ChatCompletionChunk[], index = 0): string {
  return chunks.flatMap((c) => c.choices.filter((x) => x.index === index).map((x) => x.delta.content ?? '')).join('');
}
