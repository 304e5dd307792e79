import type { ModelSpec } from '../../core/engine.js';
import { BadRequestError } from '../../protocol/errors.js';

/** Where a GGUF model's file comes from (no wllama code: the host's cache listing uses it too). */

const HUB = 'https://huggingface.co/';

/** The GGUF's URL: a self-hosted file, or folder + file, else the hub's resolve URL. */
export function ggufUrl(spec: ModelSpec, hubUrl = HUB, base = globalThis.location?.href): string {
  const file = (spec.options as { file?: string } | undefined)?.file ?? spec.source.file;
  const abs = (url: string) => new URL(url, base).href;
  const folder = spec.source.baseUrl;
  if (folder) {
    if (/\.gguf(\?|$)/.test(folder)) return abs(folder);
    if (!file) throw new BadRequestError(`Model '${spec.id}': a GGUF folder URL needs a file name (file).`, { param: 'file' });
    return new URL(file, abs(folder.endsWith('/') ? folder : `${folder}/`)).href;
  }
  if (!file) throw new BadRequestError(`Model '${spec.id}': a GGUF hub model needs a file name (register({ id, engine: 'gguf', repo, file })).`, { param: 'file' });
  const hub = hubUrl.endsWith('/') ? hubUrl : `${hubUrl}/`;
  return `${hub}${spec.source.repo}/resolve/${spec.source.revision ?? 'main'}/${file}`;
}

/** What every file of the model starts with: the URL itself, or a split's name without `-0000N-of-0000M.gguf`. */
export function ggufPrefix(url: string): string {
  const split = /-\d{5}-of-\d{5}\.gguf$/.exec(url);
  return split ? url.slice(0, split.index + 1) : url;
}
