/** Engine-agnostic image, audio and video intake: policy, fetching, sniffing, decoding. */
export { DEFAULT_MEDIA_LIMITS, mediaLimits, type MediaLimits } from './limits.js';
export { resolveMedia, hasMedia, mediaParts, type MediaContext } from './resolve.js';
export { browserImageDecoder, fitWithin, CorruptImageError, type ImageDecoder } from './decode.js';
export { sniffImage, sniffAudio, sniffVideo, parseWav, wavToMono, type ImageInfo, type AudioFormat, type WavInfo } from './sniff.js';
export { classifyUrl, parseDataUrl, decodeBase64, MediaError } from './source.js';
export {
  ATTACHMENT_SCHEME,
  attachmentUrl,
  type DecodedAudio,
  type DecodedImage,
  type DecodedVideo,
  type MediaAttachment,
  type Pixels,
  type ResolvedMedia,
} from './types.js';
export { decodeVideoFrames, sampleFrameIndices, type VideoDecodeOptions, type VideoFrameDecoder, type VideoFrames } from './video/index.js';
