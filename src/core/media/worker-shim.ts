/**
 * Stands in for `@eshaz/web-worker` (aliased in the Vite configs). mpg123-decoder's entry
 * also defines its Web Worker variant, whose base class comes from that package; its
 * browser build is `module.exports = Worker`, a ReferenceError in a SharedWorker, which
 * has no nested Worker constructor. Only the in-thread MPEGDecoder is used here, so a
 * missing Worker just makes that unused variant throw if someone constructs it.
 */
class NoWorker {
  constructor() {
    throw new Error('Worker is not available in this context');
  }
}

export default ((globalThis as { Worker?: unknown }).Worker ?? NoWorker) as typeof Worker;
