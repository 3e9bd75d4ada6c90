import type { BatchItemFailure } from './batch-item-failure';
/**
 * Options of `AdaptiveBatcher`, their defaults in one constant, and their validation
 * (one message per bad option, naming its path).
 */
import { type BatchSizeTunerOptions, DEFAULT_TUNER_OPTIONS } from './batch-size-tuner';

/** What `onStats` receives after every batch. */
export interface BatchStats {
  /** The batch key of its items (`''` without `options.key`). */
  key: string;
  /** Rows in the batch (sum of `options.rows` of its items). */
  size: number;
  /** Items in the batch. */
  items: number;
  /** Longest queue wait among its items, in ms (until the batch started: see `run`). */
  queueWaitMs: number;
  /** Queue wait of each item, in ms, in batch order. */
  queueWaitsMs: number[];
  /** How long `run()` took, in ms; from its `started()` call when it made one. */
  runMs: number;
  /** Items still queued when the batch finished. */
  queueLength: number;
  /** The row limit the batch was dispatched under (the tuner's choice in auto mode). */
  maxBatchSize: number;
  /** False when `run()` threw or returned the wrong number of results. */
  ok: boolean;
}

/** Options of `AdaptiveBatcher`. */
export interface AdaptiveBatcherOptions<I, O> {
  /**
   * Runs one batch: returns one result per item, in order. `signal` aborts once every item
   * of the batch has been abandoned (timed out or aborted). A signal that was not aborted
   * and has no listener left once the batch settled may be handed to a later batch (remove
   * your listeners when `run` settles; a signal that keeps one is never reused; a signal
   * derived from it, `AbortSignal.any([signal, ...])`, adds no listener it can see, so do not
   * keep one past the run: it would abort with a later batch). `live(i)`
   * says whether item `i` still waits for its result (false once it timed out or was
   * aborted): work done later for an item no longer live is thrown away. A `run` that first
   * waits for something (a free worker thread, when `concurrency` is above the workers)
   * calls `started()` when the batch's own work begins: the run time the tuner and `onStats`
   * see counts from then, and the wait before it as queue wait. Required.
   */
  run(
    items: I[],
    signal: AbortSignal,
    live: (index: number) => boolean,
    started: () => void,
  ): Promise<(O | BatchItemFailure)[]>;
  /** Largest batch in rows, or `'auto'` to tune it online (see the README). Default `'auto'`. */
  maxBatchSize?: number | 'auto' | undefined;
  /** Longest wait, in ms, for a partial batch to fill while a runner is free. Default `0`. */
  maxBatchDelayMs?: number | undefined;
  /** Most items queued (running ones excluded) before `OverloadedError`. Default `1024`. */
  maxQueueSize?: number | undefined;
  /** Per-item timeout in ms, queue wait included; `0` means none. Default `30000`. */
  timeoutMs?: number | undefined;
  /** Batches that may run at once (e.g. one per worker). Default `1`. */
  concurrency?: number | undefined;
  /** Rows of an item (dim 0), counted toward `maxBatchSize`. Default: 1 per item. */
  rows?: ((item: I) => number) | undefined;
  /** Batch key: items with different keys never share a batch. Default: one key for all. */
  key?: ((item: I) => string) | undefined;
  /** Called after every batch; a throwing hook is ignored. Default: none. */
  onStats?: ((stats: BatchStats) => void) | undefined;
  /**
   * Called with the number of items waiting each time it changes: an item queued, items
   * taken into a batch, an item given up while queued (timeout, abort). For a queue-length
   * gauge that must not wait for a batch to end; a throwing hook is ignored. Default: none.
   */
  onQueueLength?: ((length: number) => void) | undefined;
  /** Auto-mode tuning (only with `maxBatchSize: 'auto'`). Default: see `BatchSizeTunerOptions`. */
  tuner?: BatchSizeTunerOptions | undefined;
}

/** Defaults of the batcher options. */
export const DEFAULT_BATCHER_OPTIONS = {
  maxBatchSize: 'auto',
  maxBatchDelayMs: 0,
  maxQueueSize: 1024,
  timeoutMs: 30_000,
  concurrency: 1,
} as const;

/** @internal The options once validated and defaulted. */
export interface ResolvedBatcherOptions<I, O> {
  run: (
    items: I[],
    signal: AbortSignal,
    live: (index: number) => boolean,
    started: () => void,
  ) => Promise<(O | BatchItemFailure)[]>;
  maxBatchSize: number | 'auto';
  maxBatchDelayMs: number;
  maxQueueSize: number;
  timeoutMs: number;
  concurrency: number;
  rows: ((item: I) => number) | undefined;
  key: ((item: I) => string) | undefined;
  onStats: ((stats: BatchStats) => void) | undefined;
  onQueueLength: ((length: number) => void) | undefined;
  tuner: Required<BatchSizeTunerOptions>;
}

const isPositiveInteger = (value: unknown): value is number =>
  typeof value === 'number' && Number.isSafeInteger(value) && value > 0;
const isNonNegative = (value: unknown): value is number =>
  typeof value === 'number' && Number.isFinite(value) && value >= 0;
const isPositive = (value: unknown): value is number =>
  typeof value === 'number' && Number.isFinite(value) && value > 0;

/**
 * Validates and defaults batcher options; throws a `TypeError` listing every bad option
 * (one message each, naming its path), or a `RangeError` when options conflict. @internal
 */
export function resolveBatcherOptions<I, O>(
  options: AdaptiveBatcherOptions<I, O>,
): ResolvedBatcherOptions<I, O> {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError('options must be an object');
  }
  const issues: string[] = [];
  const check = (ok: boolean, message: string) => {
    if (!ok) issues.push(message);
  };
  const optional = <T>(value: T | undefined, test: (value: T) => boolean) =>
    value === undefined || test(value);
  const isFunction = (value: unknown) => typeof value === 'function';

  check(isFunction(options.run), 'options.run must be a function');
  check(
    optional(options.maxBatchSize, (v) => v === 'auto' || isPositiveInteger(v)),
    "options.maxBatchSize must be a positive integer or 'auto'",
  );
  check(
    optional(options.maxBatchDelayMs, isNonNegative),
    'options.maxBatchDelayMs must be a non-negative number of ms',
  );
  check(
    optional(options.maxQueueSize, isPositiveInteger),
    'options.maxQueueSize must be a positive integer',
  );
  check(
    optional(options.timeoutMs, isNonNegative),
    'options.timeoutMs must be a non-negative number of ms (0 = none)',
  );
  check(
    optional(options.concurrency, isPositiveInteger),
    'options.concurrency must be a positive integer',
  );
  check(optional(options.rows, isFunction), 'options.rows must be a function');
  check(optional(options.key, isFunction), 'options.key must be a function');
  check(optional(options.onStats, isFunction), 'options.onStats must be a function');
  check(optional(options.onQueueLength, isFunction), 'options.onQueueLength must be a function');
  const tuner = options.tuner;
  if (tuner !== undefined) {
    if (typeof tuner !== 'object' || tuner === null) {
      issues.push('options.tuner must be an object');
    } else {
      check(
        optional(tuner.maxSize, isPositiveInteger),
        'options.tuner.maxSize must be a positive integer',
      );
      check(
        optional(tuner.latencyBudgetMs, isPositive),
        'options.tuner.latencyBudgetMs must be a positive number of ms',
      );
      check(
        optional(tuner.sampleLifetimeMs, isPositive),
        'options.tuner.sampleLifetimeMs must be a positive number of ms',
      );
      check(
        optional(tuner.exploreEvery, (v) => isPositiveInteger(v) && v >= 2),
        'options.tuner.exploreEvery must be an integer >= 2',
      );
    }
  }
  if (issues.length > 0) throw new TypeError(issues.join('; '));

  const maxBatchSize = options.maxBatchSize ?? DEFAULT_BATCHER_OPTIONS.maxBatchSize;
  if (tuner !== undefined && maxBatchSize !== 'auto') {
    throw new RangeError("options.tuner applies only when options.maxBatchSize is 'auto'");
  }
  const timeoutMs = options.timeoutMs ?? DEFAULT_BATCHER_OPTIONS.timeoutMs;
  const defaultBudget =
    timeoutMs > 0
      ? Math.min(DEFAULT_TUNER_OPTIONS.latencyBudgetMs, timeoutMs / 4)
      : DEFAULT_TUNER_OPTIONS.latencyBudgetMs;
  return {
    run: options.run,
    maxBatchSize,
    maxBatchDelayMs: options.maxBatchDelayMs ?? DEFAULT_BATCHER_OPTIONS.maxBatchDelayMs,
    maxQueueSize: options.maxQueueSize ?? DEFAULT_BATCHER_OPTIONS.maxQueueSize,
    timeoutMs,
    concurrency: options.concurrency ?? DEFAULT_BATCHER_OPTIONS.concurrency,
    rows: options.rows,
    key: options.key,
    onStats: options.onStats,
    onQueueLength: options.onQueueLength,
    tuner: {
      maxSize: tuner?.maxSize ?? DEFAULT_TUNER_OPTIONS.maxSize,
      latencyBudgetMs: tuner?.latencyBudgetMs ?? defaultBudget,
      sampleLifetimeMs: tuner?.sampleLifetimeMs ?? DEFAULT_TUNER_OPTIONS.sampleLifetimeMs,
      exploreEvery: tuner?.exploreEvery ?? DEFAULT_TUNER_OPTIONS.exploreEvery,
    },
  };
}
