import { InvalidOptionError } from '../errors';
import { assertLogger, type Logger } from '../logger';
import type { WorkerSourceV1 } from '../spec';

/** What happens to a task whose caller aborts while a worker is running it. */
export type AbortRunningPolicy = 'discard' | 'terminate' | 'terminate-on-timeout';

const ABORT_RUNNING_POLICIES: readonly unknown[] = ['discard', 'terminate', 'terminate-on-timeout'];

/** Options of `new WorkerPool(options)`. */
export interface WorkerPoolOptions {
  /** How each worker rebuilds the model (module, export, settings, resolveFrom). Required. */
  source: WorkerSourceV1;
  /** Number of worker threads (replicas), a positive integer. Required. */
  workers: number;
  /** pino-compatible logger. Default: silent. */
  logger?: Logger | undefined;
  /**
   * Model name used in logs and errors until `start()` reports the real one.
   * Default: `source.settings.name` when it is a string, else `source.module`.
   */
  name?: string | undefined;
  /**
   * Move input buffers that a tensor owns whole to the worker (zero copy; the caller's
   * arrays are detached, length 0, afterwards). `false` copies them instead. Views over a
   * larger buffer are always copied (only their own bytes). Per call: `run(r, { transfer })`.
   * Default `true`.
   */
  transferInputs?: boolean | undefined;
  /**
   * Move output buffers from the worker (zero copy); `false` copies them in the worker,
   * for models that reuse their output arrays between calls. Default `true`.
   */
  transferOutputs?: boolean | undefined;
  /**
   * A caller aborting a task that a worker already runs: `'discard'` rejects the caller at
   * once and drops the result when it comes (the worker keeps its loaded model);
   * `'terminate'` also kills the thread (Piscina's behaviour), which then reloads the model;
   * `'terminate-on-timeout'` kills it only when the abort reason is a timeout
   * (`INFER_ERR_TIMEOUT`: the model may hang), and discards otherwise (a client that left).
   * A queued task is always just removed. Default `'discard'`.
   */
  abortRunning?: AbortRunningPolicy | undefined;
  /** Longest wait, in ms, for queued and running tasks in `close()` before threads are killed. Default `30000`. */
  closeTimeoutMs?: number | undefined;
  /** Called each time a worker thread died and is being replaced (for metrics). Default: none. */
  onRestart?: ((event: WorkerRestartEvent) => void) | undefined;
}

/** What `onRestart` receives. */
export interface WorkerRestartEvent {
  /** Total restarts of this pool so far, this one included. */
  restarts: number;
}

/** Options of `pool.run()`. */
export interface WorkerPoolRunOptions {
  /** Aborts the call: a queued task is removed; a running one is handled per `abortRunning`. */
  signal?: AbortSignal | undefined;
  /** Overrides `options.transferInputs` for this call. */
  transfer?: boolean | undefined;
  /**
   * Called when the task is handed to a worker thread (at once when one is free; later when
   * every worker is busy and it queued). An exception it throws is ignored.
   */
  onStart?: (() => void) | undefined;
}

/** Defaults of the optional {@link WorkerPoolOptions}. */
export const DEFAULT_WORKER_POOL_OPTIONS = {
  transferInputs: true,
  transferOutputs: true,
  abortRunning: 'discard' as AbortRunningPolicy,
  closeTimeoutMs: 30_000,
} as const;

/** Options after validation, defaults filled in. @internal */
export interface ResolvedWorkerPoolOptions {
  source: WorkerSourceV1;
  workers: number;
  logger: Logger | undefined;
  name: string;
  transferInputs: boolean;
  transferOutputs: boolean;
  abortRunning: AbortRunningPolicy;
  closeTimeoutMs: number;
  onRestart: ((event: WorkerRestartEvent) => void) | undefined;
}

/**
 * Validates {@link WorkerPoolOptions} (messages name the path) and fills in defaults.
 *
 * @internal
 * @example
 * resolveWorkerPoolOptions({ source: { module: '/abs/runtime.mjs', settings: {} }, workers: 2 });
 */
export function resolveWorkerPoolOptions(options: WorkerPoolOptions): ResolvedWorkerPoolOptions {
  if (typeof options !== 'object' || options === null) {
    throw new InvalidOptionError('options', 'must be an object');
  }
  const source = options.source as Partial<WorkerSourceV1> | null | undefined;
  if (typeof source !== 'object' || source === null) {
    throw new InvalidOptionError('options.source', 'must be a WorkerSourceV1 object');
  }
  if (typeof source.module !== 'string' || source.module.trim() === '') {
    throw new InvalidOptionError('options.source.module', 'must be a non-empty string');
  }
  if (source.export !== undefined && (typeof source.export !== 'string' || source.export === '')) {
    throw new InvalidOptionError('options.source.export', 'must be a non-empty string');
  }
  if (source.resolveFrom !== undefined && typeof source.resolveFrom !== 'string') {
    throw new InvalidOptionError('options.source.resolveFrom', 'must be a directory path');
  }
  try {
    structuredClone(source.settings);
  } catch (error) {
    throw new InvalidOptionError(
      'options.source.settings',
      'must be structured-cloneable (no functions, class instances with private state, sockets)',
      { cause: error },
    );
  }
  const { workers } = options;
  if (typeof workers !== 'number' || !Number.isInteger(workers) || workers < 1) {
    throw new InvalidOptionError('options.workers', 'must be a positive integer');
  }
  if (options.logger !== undefined) assertLogger(options.logger, 'options.logger');
  if (options.name !== undefined && (typeof options.name !== 'string' || options.name === '')) {
    throw new InvalidOptionError('options.name', 'must be a non-empty string');
  }
  for (const key of ['transferInputs', 'transferOutputs'] as const) {
    if (options[key] !== undefined && typeof options[key] !== 'boolean') {
      throw new InvalidOptionError(`options.${key}`, 'must be a boolean');
    }
  }
  if (
    options.abortRunning !== undefined &&
    !ABORT_RUNNING_POLICIES.includes(options.abortRunning)
  ) {
    throw new InvalidOptionError(
      'options.abortRunning',
      "must be 'discard', 'terminate' or 'terminate-on-timeout'",
    );
  }
  const { closeTimeoutMs } = options;
  if (
    closeTimeoutMs !== undefined &&
    (typeof closeTimeoutMs !== 'number' || !Number.isFinite(closeTimeoutMs) || closeTimeoutMs < 0)
  ) {
    throw new InvalidOptionError('options.closeTimeoutMs', 'must be a non-negative number of ms');
  }
  if (options.onRestart !== undefined && typeof options.onRestart !== 'function') {
    throw new InvalidOptionError('options.onRestart', 'must be a function');
  }
  const settingsName = (source.settings as { name?: unknown } | null | undefined)?.name;
  return {
    source: source as WorkerSourceV1,
    workers,
    logger: options.logger,
    name: options.name ?? (typeof settingsName === 'string' ? settingsName : source.module),
    transferInputs: options.transferInputs ?? DEFAULT_WORKER_POOL_OPTIONS.transferInputs,
    transferOutputs: options.transferOutputs ?? DEFAULT_WORKER_POOL_OPTIONS.transferOutputs,
    abortRunning: options.abortRunning ?? DEFAULT_WORKER_POOL_OPTIONS.abortRunning,
    closeTimeoutMs: closeTimeoutMs ?? DEFAULT_WORKER_POOL_OPTIONS.closeTimeoutMs,
    onRestart: options.onRestart,
  };
}
