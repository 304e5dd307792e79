export { WebInfer, createClient } from './client.js';
export type {
  ClientOptions,
  RequestOptions,
  ModelLoadOptions,
  ChatCompletionCreateInput,
  ChatCompletionStreamingInput,
  ChatCompletionNonStreamingInput,
  ResponseCreateInput,
} from './client.js';
export type {
  Response as ResponseObject,
  ResponseCreateParams,
  ResponseStreamEvent,
  ResponseStreamEventType,
  OutputItem as ResponseOutputItem,
  ResponseUsage,
} from '../protocol/responses.js';
export { Stream } from './stream.js';
export { registerGateway, DEFAULT_SW_URL, type GatewayRegistrationOptions, type GatewayHandle } from './gateway.js';
export { startHost, type HostTarget } from './connection.js';
export * from '../protocol/errors.js';
export type * from '../protocol/chat.js';
export type * from '../protocol/models.js';
export type { HostConfig, HostStats, ModelRegistration, RoutingStats, CacheInfo, CachedModel, CacheDeleteResult } from '../protocol/rpc.js';
export type { RemoteTarget, RoutingMode, Served } from '../protocol/routing.js';
export type { ImageInput } from './media.js';
export type { MediaLimits } from '../protocol/media.js';
export { DEFAULT_MEDIA_LIMITS } from '../core/media/limits.js';
