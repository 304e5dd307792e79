/**
 * One request = one MessagePort. The host pushes frames (arrays of messages, batched
 * when tokens come faster than a few milliseconds apart) and a final `null`; the caller
 * reads them as a ReadableStream, and cancelling that stream sends `cancel`, which
 * aborts the request in the host. A plain port costs one message per frame; a transferred
 * ReadableStream would add a pull message back into the busy host for every chunk.
 */
export type PortFrame<M> = M[] | null;
export const CANCEL = 'cancel';

export function portStream<M>(port: MessagePort): ReadableStream<M> {
  let done = false;
  return new ReadableStream<M>({
    start(controller) {
      port.onmessage = (event: MessageEvent<PortFrame<M>>) => {
        if (done) return;
        if (event.data === null) {
          done = true;
          port.close();
          controller.close();
          return;
        }
        for (const message of event.data) controller.enqueue(message);
      };
    },
    cancel() {
      if (done) return;
      done = true;
      port.postMessage(CANCEL);
      port.close();
    },
  });
}
