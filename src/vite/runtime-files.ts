import { extname } from 'node:path';

/**
 * The files an app must serve besides its bundle. onnxruntime-web ships eight runtime
 * builds (86 MB); transformers.js's WebGPU/WASM path loads exactly these two.
 */
export const ORT_FILES = ['ort-wasm-simd-threaded.asyncify.mjs', 'ort-wasm-simd-threaded.asyncify.wasm'] as const;

/** The Service Worker gateway, at the URL `registerGateway()` registers by default. */
export const SW_FILE = 'webinfer-sw.js';

export function runtimeFileType(file: string): string {
  return extname(file) === '.wasm' ? 'application/wasm' : 'text/javascript';
}
