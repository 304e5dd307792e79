/** Video intake: WebM and AVI demuxing, frame sampling, decoding (WebCodecs, or createImageBitmap for Motion JPEG). */
export { decodeVideoFrames } from './decode.js';
export { decoderConfig, colorSpaceOf } from './webcodecs.js';
export {
  InvalidVideoError,
  UnsupportedVideoError,
  VideoTooLongError,
  type VideoDecodeOptions,
  type VideoFrameDecoder,
  type VideoFrames,
} from './frames.js';
export { sampleFrameIndices, type FrameSampling } from './sample.js';
export { demuxWebm, isWebm, type DemuxedFrame, type DemuxedVideo } from './webm.js';
export { demuxAvi, isAvi, type AviVideo } from './avi.js';
