/** Video intake: WebM demuxing, frame sampling, WebCodecs decoding (usable in any worker with VideoDecoder). */
export { decodeVideoFrames, decoderConfig } from './decode.js';
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
