import * as Comlink from 'comlink';
import { decodeVideoFrames, type VideoFrameDecoder } from '../../core/media/index.js';
import { isAvi } from '../../core/media/video/index.js';
import type { EngineWorkerSlot } from './slot.js';
import { untilLost } from './port-read.js';
import type { DecodedVideo } from './protocol.js';

/** How long a video waits for a tab's engine worker before the host's own (refusing) decoder answers. */
const WORKER_WAIT_MS = 10_000;

/**
 * The SharedWorker host's video decoder. WebM needs WebCodecs' VideoDecoder, which a
 * SharedWorker lacks and the tab's engine worker (a dedicated worker) has: the bytes go
 * there. Motion JPEG, and any context with a VideoDecoder, decodes here. With no engine
 * worker at all, the local decoder answers with its clear refusal.
 */
export function placedVideoDecoder(slot: EngineWorkerSlot, waitMs = WORKER_WAIT_MS): VideoFrameDecoder {
  return async (bytes, options) => {
    if (typeof VideoDecoder === 'function' || isAvi(bytes)) return decodeVideoFrames(bytes, options);
    const worker = await slot.current(new AbortController().signal, waitMs).catch(() => null);
    if (!worker) return decodeVideoFrames(bytes, options);
    const copy = bytes.slice();
    const out: DecodedVideo = await untilLost<DecodedVideo>(worker.api.decodeVideo(Comlink.transfer(copy, [copy.buffer]), options), worker.lost);
    if ('error' in out) throw Object.assign(new Error(out.error.message), { name: out.error.name });
    return out.frames;
  };
}
