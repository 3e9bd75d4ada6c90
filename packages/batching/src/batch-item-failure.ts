/**
 * One item's failure inside an otherwise answered batch: `run()` may return it in place of
 * that item's result, and the batcher rejects only that item with `error`. Lets a batch
 * runner attribute a bad request's error to that request alone (see `createOipRun`'s
 * `isolate` option).
 *
 * @example
 * const run = async (items) => items.map((item) => (item.ok ? compute(item) : new BatchItemFailure(new Error('bad item'))));
 */
export class BatchItemFailure {
  readonly error: unknown;
  constructor(error: unknown) {
    this.error = error;
  }
}
