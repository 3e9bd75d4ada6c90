/**
 * Errors of @infer/batching. Each carries a stable `code`, the HTTP `status` core maps it to,
 * and the `Symbol.for('infer.error')` marker so core's `InferError.isInstance()` recognises
 * them across package copies without this package depending on core.
 */

/** The cross-package marker core's `InferError.isInstance()` checks. @internal */
export const INFER_ERROR_MARKER: unique symbol = Symbol.for('infer.error');

/** Every code this package throws, with its HTTP status. */
export const BATCHING_ERROR_CODES = {
  INFER_ERR_OVERLOADED: 503,
  INFER_ERR_TIMEOUT: 504,
  INFER_ERR_ABORTED: 499,
  INFER_ERR_SHUTTING_DOWN: 503,
  INFER_ERR_BATCH_ASSEMBLY: 500,
} as const;

/** A code of this package, e.g. `'INFER_ERR_TIMEOUT'`. */
export type BatchingErrorCode = keyof typeof BATCHING_ERROR_CODES;

/**
 * Base of every error of this package: a `code`, an HTTP `status` and the infer marker.
 *
 * @example
 * try { await batcher.submit(x); } catch (e) { if (e instanceof BatchingError) console.log(e.code); }
 */
export abstract class BatchingError extends Error {
  abstract readonly code: BatchingErrorCode;
  readonly [INFER_ERROR_MARKER] = true;

  /** HTTP status core answers with. */
  get status(): number {
    return BATCHING_ERROR_CODES[this.code];
  }
}

/**
 * The queue is full: rejected at once, retry after `retryAfterSeconds` (HTTP 503 + Retry-After).
 *
 * @example
 * const e = new OverloadedError(1024, 2); // e.code === 'INFER_ERR_OVERLOADED', e.retryAfterSeconds === 2
 */
export class OverloadedError extends BatchingError {
  readonly code = 'INFER_ERR_OVERLOADED';
  override readonly name = 'OverloadedError';

  constructor(
    /** The queue's capacity in items. */
    readonly maxQueueSize: number,
    /** Estimated seconds until the queue has room, at least 1. */
    readonly retryAfterSeconds: number,
  ) {
    super(`queue full (${maxQueueSize} items); retry after ${retryAfterSeconds} s`);
  }
}

/**
 * The item did not finish within its timeout, queue wait included (HTTP 504).
 *
 * @example
 * const e = new TimeoutError(100); // e.code === 'INFER_ERR_TIMEOUT'
 */
export class TimeoutError extends BatchingError {
  readonly code = 'INFER_ERR_TIMEOUT';
  override readonly name = 'TimeoutError';

  constructor(
    /** The timeout that elapsed, in ms. */
    readonly timeoutMs: number,
  ) {
    super(`timed out after ${timeoutMs} ms`);
  }
}

/**
 * The caller aborted; `cause` is the signal's reason (HTTP 499).
 *
 * @example
 * const e = new AbortError('client gone'); // e.cause === 'client gone'
 */
export class AbortError extends BatchingError {
  readonly code = 'INFER_ERR_ABORTED';
  override readonly name = 'AbortError';

  constructor(reason: unknown) {
    super('aborted', { cause: reason });
  }
}

/**
 * The batcher is closed and takes no new work (HTTP 503).
 *
 * @example
 * await batcher.close(); await batcher.submit(x).catch((e) => e.code); // 'INFER_ERR_SHUTTING_DOWN'
 */
export class BatcherClosedError extends BatchingError {
  readonly code = 'INFER_ERR_SHUTTING_DOWN';
  override readonly name = 'BatcherClosedError';

  constructor() {
    super('batcher is closed');
  }
}

/**
 * A batch could not be assembled or split: requests that do not share a batch key, a
 * `run()` that returned the wrong number of results, or an output whose dim 0 is not the
 * summed rows (HTTP 500).
 *
 * @example
 * const e = new BatchAssemblyError('output "y" has 3 rows, expected 4');
 */
export class BatchAssemblyError extends BatchingError {
  readonly code = 'INFER_ERR_BATCH_ASSEMBLY';
  override readonly name = 'BatchAssemblyError';
}
