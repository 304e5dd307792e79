/**
 * Where the page finds onnxruntime-web's runtime when `config.wasmPaths` is not given:
 * `<meta name="webinfer-wasm-paths" content="/ort/">`, which the `webinfer/vite` plugin
 * injects (a static site can write it by hand). Without either, transformers.js's CDN.
 */
export const WASM_PATHS_META = 'webinfer-wasm-paths';

export function wasmPathsFromPage(): string | undefined {
  if (typeof document === 'undefined') return undefined;
  const content = document.querySelector(`meta[name="${WASM_PATHS_META}"]`)?.getAttribute('content');
  return content ? new URL(content, location.href).href : undefined;
}
