/**
 * Lifelines: how the engine host learns that a caller died mid-request.
 *
 * A host cannot see the far end of a request's port go away: Chromium fires no
 * MessagePort `close` when a tab is closed or a Service Worker is stopped, so a stream
 * nobody reads would decode on to `max_tokens` and hold the shared queue. Web Locks do
 * tell: every caller context holds one lock of its own for as long as it lives (its
 * lifeline) and names it with each request; the host queues for that lock, and the
 * browser grants it exactly when the holder's context is gone. The host then aborts the
 * request, which frees the engine like any abort.
 */
const PREFIX = 'webinfer-lifeline-';

function lockManager(): LockManager | undefined {
  return (globalThis.navigator as (Navigator & { locks?: LockManager }) | undefined)?.locks;
}

let held: Promise<string | undefined> | undefined;

/**
 * This context's lifeline: a lock taken once and held until the context ends. Resolves
 * to its name once granted (so a host that queues for it waits behind us), or undefined
 * where there are no Web Locks (Node, insecure contexts).
 */
export function lifeline(): Promise<string | undefined> {
  held ??= new Promise<string | undefined>((resolve) => {
    const locks = lockManager();
    if (!locks) return resolve(undefined);
    const name = PREFIX + crypto.randomUUID();
    locks
      .request(name, () => {
        resolve(name);
        return new Promise<never>(() => {});
      })
      .catch(() => resolve(undefined));
  });
  return held;
}

/**
 * A signal that aborts once the holder of lifeline `name` is gone. Watching ends (the
 * queued lock request is withdrawn) when `until` aborts: call it when the request ends.
 * Undefined when there is nothing to watch.
 */
export function watchLifeline(name: unknown, until: AbortSignal): AbortSignal | undefined {
  const locks = lockManager();
  if (typeof name !== 'string' || !name.startsWith(PREFIX) || !locks || until.aborted) return undefined;
  const gone = new AbortController();
  locks
    .request(name, { signal: until }, () => {
      // Granted: the holder is gone. Returning at once passes the lock on to the next
      // request that watches the same caller.
      gone.abort(new DOMException('The caller of this request is gone.', 'AbortError'));
    })
    .catch(() => {}); // `until` fired first: withdrawn.
  return gone.signal;
}
