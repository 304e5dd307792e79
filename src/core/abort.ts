/** The caller went away. Not an API error: nobody is left to read it. */
export class AbortError extends Error {
  override name = 'AbortError';
  constructor(message = 'The request was aborted.') { super(message); }
}

export function isAbort(err: unknown): boolean {
  return err instanceof Error && err.name === 'AbortError';
}

export function throwIfAborted(signal: AbortSignal): void {
  if (signal.aborted) throw new AbortError();
}
