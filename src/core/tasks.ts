/**
 * Yields to the event loop (a macrotask, not a microtask). Engines whose steps resolve
 * without ever leaving the microtask queue (ONNX Runtime on single-threaded WASM) would
 * otherwise starve the worker: no chunk could leave through a port, and no cancel could
 * arrive, until the whole generation had finished. A MessageChannel round trip costs
 * microseconds, unlike setTimeout's clamped delay.
 */
const waiting: Array<() => void> = [];
let channel: MessageChannel | undefined;

export function nextTask(): Promise<void> {
  if (!channel) {
    channel = new MessageChannel();
    channel.port1.onmessage = () => waiting.shift()?.();
    // Node: an open port would keep the process alive.
    (channel.port1 as { unref?: () => void }).unref?.();
    (channel.port2 as { unref?: () => void }).unref?.();
  }
  return new Promise((resolve) => {
    waiting.push(resolve);
    channel!.port2.postMessage(null);
  });
}
