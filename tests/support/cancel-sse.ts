/**
 * The client going away mid-stream, as a gateway unit test plays it: read two chunks of an
 * SSE body, cancel it, and report how the generation ended and the host's queue just after.
 * The test asserts on what comes back.
 */
import { sleep, type TestHost } from '../../src/gateway/test-support.js';

export async function cancelAfterTwoChunks(res: Response, { host, log }: TestHost) {
  const reader = res.body!.getReader();
  await reader.read();
  await reader.read();
  const ended = log.nextEnd();
  await reader.cancel();
  const how = await ended;
  await sleep(5);
  return { ended: how, queue: (await host.api.stats()).queue };
}
