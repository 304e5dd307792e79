/**
 * A push-to-pull bridge: a producer that is called back (a logits processor, a port)
 * pushes values; a consumer awaits them with for-await. Unbounded: producers here are
 * paced by the model, one value per token.
 */
export class Channel<T> implements AsyncIterable<T> {
  private readonly values: T[] = [];
  private waiter: ((r: IteratorResult<T>) => void) | null = null;
  private failWaiter: ((err: unknown) => void) | null = null;
  private closed = false;
  private error: { err: unknown } | null = null;

  push(value: T): void {
    if (this.closed) return;
    if (this.waiter) this.settle({ value, done: false });
    else this.values.push(value);
  }

  close(): void {
    this.closed = true;
    if (this.waiter && this.values.length === 0) this.settle({ value: undefined, done: true });
  }

  fail(err: unknown): void {
    if (this.closed) return;
    this.error = { err };
    this.closed = true;
    if (this.failWaiter) {
      const reject = this.failWaiter;
      this.waiter = this.failWaiter = null;
      reject(err);
    }
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<T> {
    for (;;) {
      if (this.values.length > 0) {
        yield this.values.shift()!;
        continue;
      }
      if (this.error) throw this.error.err;
      if (this.closed) return;
      const next = await new Promise<IteratorResult<T>>((resolve, reject) => {
        this.waiter = resolve;
        this.failWaiter = reject;
      });
      if (next.done) return;
      yield next.value;
    }
  }

  private settle(result: IteratorResult<T>): void {
    const resolve = this.waiter!;
    this.waiter = this.failWaiter = null;
    resolve(result);
  }
}
