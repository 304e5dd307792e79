import type { RuntimeOptions } from '../core/runtime.js';
import type { HostConfig } from '../protocol/rpc.js';

/** The settings the local engines read (a subset of the host's config). */
export type EngineConfig = Pick<HostConfig, 'wasmPaths' | 'hubUrl' | 'ggufWasmPath' | 'numThreads' | 'prefixCache'>;

/**
 * The on-device engines by name, each loading its code with its first model (a page that
 * never uses web-llm never downloads it). `config` is read when an engine is first used,
 * so a page's configure() can still set paths. Shared by the engine host and the engine
 * worker (placement/engine-worker-api.ts), so both build engines alike.
 */
export function localEngines(config: () => EngineConfig): RuntimeOptions['engines'] {
  return {
    transformers: async () => {
      const c = config();
      return (await import('../engines/transformers.js')).createTransformersEngine({ wasmPaths: c.wasmPaths, hubUrl: c.hubUrl, numThreads: c.numThreads, prefixCache: c.prefixCache });
    },
    // web-llm (6.8 MB of JS) loads with its first model.
    webllm: async () => (await import('../engines/webllm.js')).createWebLLMEngine(),
    gguf: async () => (await import('../engines/gguf.js')).createGgufEngine({ wasmPath: config().ggufWasmPath, hubUrl: config().hubUrl }),
  };
}
