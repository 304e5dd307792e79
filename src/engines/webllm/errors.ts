import { AbortError } from '../../core/abort.js';
import {
  APIError,
  BadRequestError,
  InternalServerError,
  NotFoundError,
  ServiceUnavailableError,
} from '../../protocol/errors.js';

/**
 * web-llm's errors -> our typed errors. web-llm exports none of its error classes (only
 * IntegrityError), but every one sets a distinct `name`, which is what this maps. Running
 * web-llm in-process keeps them as objects (its worker wrapper flattens them to strings).
 */

const MESSAGES = new Set([
  'MessageOrderError',
  'SystemMessageOrderError',
  'ContentTypeError',
  'UnsupportedRoleError',
  'UserMessageContentErrorForNonVLM',
  'UnsupportedContentPartError',
  'UnsupportedDetailError',
  'UnsupportedImageURLError',
  'MultipleTextContentError',
  'AudioInputError',
  'CannotFindImageEmbedError',
]);

const SAMPLING = new Set([
  'ConfigValueError',
  'MinValueError',
  'RangeError',
  'NonNegativeError',
  'InvalidNumberStringError',
  'DependencyError',
  'SeedTypeError',
  'StreamingCountError',
  'InvalidStreamOptionsError',
  'UnsupportedFieldsError',
]);

const RESPONSE_FORMAT = new Set([
  'InvalidResponseFormatError',
  'InvalidResponseFormatGrammarError',
  'InvalidResponseFormatStructuralTagError',
  'GrammarMatcherInitError',
  'CustomResponseFormatError',
]);

const LOAD_CONFIG = new Set([
  'MissingModelError', // MissingModelWasmError's name
  'WindowSizeConfigurationError',
  'AttentionSinkSizeError',
  'WindowSizeSpecificationError',
  'UnsupportedTokenizerFilesError',
  'ReloadArgumentSizeUnmatchedError',
  'ReloadModelIdNotUniqueError',
  'ArtifactManifestError',
]);

export interface ErrorContext {
  model: string;
  /** `storage` numbers for a quota message, when known. */
  storage?: { usage?: number; quota?: number };
}

export function fromWebLLMError(err: unknown, ctx: ErrorContext): Error {
  if (err instanceof APIError || err instanceof AbortError) return err;
  const name = (err as { name?: unknown })?.name;
  const message = err instanceof Error ? err.message : String(err);
  if (name === 'AbortError') return new AbortError();
  if (typeof name !== 'string') return toInternal(message);

  if (name === 'WebGPUNotAvailableError' || name === 'WebGPUNotFoundError') {
    return new BadRequestError(`Model '${ctx.model}' runs on web-llm, which needs WebGPU: ${message}`, { param: 'model', code: 'webgpu_unavailable' });
  }
  if (name === 'ShaderF16SupportError' || name === 'FeatureSupportError') {
    return new BadRequestError(`Model '${ctx.model}': ${message}`, { param: 'model', code: 'unsupported_gpu_feature' });
  }
  if (name === 'DeviceLostError') {
    return new ServiceUnavailableError(
      `The GPU device was lost while running '${ctx.model}', most often because it ran out of GPU memory. Load a smaller model or a smaller context window (overrides.context_window_size).`,
      { code: 'gpu_device_lost' },
    );
  }
  if (name === 'ContextWindowSizeExceededError') {
    return new BadRequestError(message, { param: 'messages', code: 'context_length_exceeded' });
  }
  if (MESSAGES.has(name)) return new BadRequestError(message, { param: 'messages', code: 'unsupported_messages' });
  if (RESPONSE_FORMAT.has(name)) return new BadRequestError(message, { param: 'response_format', code: 'invalid_response_format' });
  if (SAMPLING.has(name)) return new BadRequestError(message, { code: 'invalid_request' });
  if (name === 'ModelNotFoundError' || name === 'SpecifiedModelNotFoundError') {
    return new NotFoundError(message, { param: 'model', code: 'model_not_found' });
  }
  if (LOAD_CONFIG.has(name)) return new BadRequestError(`Model '${ctx.model}' cannot be loaded by web-llm: ${message}`, { param: 'model', code: 'invalid_model_config' });
  if (name === 'CompileError' || name === 'LinkError' || /WebAssembly\.instantiate|magic word/.test(message)) {
    return new BadRequestError(
      `The model library (model_lib) of '${ctx.model}' cannot be instantiated: ${message}. It must be the model's .wasm compiled for this web-llm version (see web-llm's modelLibURLPrefix and modelVersion).`,
      { param: 'model', code: 'invalid_model_lib' },
    );
  }
  if (name === 'QuotaExceededError') {
    const { usage, quota } = ctx.storage ?? {};
    const numbers = usage != null && quota != null ? ` (${mb(usage)} of ${mb(quota)} used)` : '';
    return new APIError(
      507,
      `The browser's storage quota is exhausted${numbers}, so '${ctx.model}' cannot be cached. Free space with client.cache.delete(modelId) (client.cache.list() shows what is stored) and retry.`,
      { code: 'storage_quota_exceeded', type: 'server_error' },
    );
  }
  if (name === 'IntegrityError') {
    return new InternalServerError(`A downloaded file of '${ctx.model}' failed its integrity check: ${message}`, { code: 'integrity_check_failed' });
  }
  // Cache.add() rejects a failed download (a 404, a CORS refusal, no network) with a TypeError.
  if ((name === 'TypeError' && /fetch|network|'add' on 'Cache'|Request failed/i.test(message)) || /^Cannot fetch /.test(message)) {
    return new ServiceUnavailableError(
      `Downloading '${ctx.model}' failed (${message}): check that its model URL and model_lib URL are right and reachable, and that their server allows CORS.`,
      { code: 'model_download_failed' },
    );
  }
  return toInternal(message);
}

function toInternal(message: string): InternalServerError {
  return new InternalServerError(message || 'web-llm failed', { code: 'engine_error' });
}

function mb(bytes: number): string {
  return `${Math.round(bytes / (1 << 20))} MiB`;
}
