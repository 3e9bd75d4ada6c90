import { AbortError } from '@infer/batching';
import type { InferenceRequest } from '@infer/codecs';
import {
  ModelLoadFailedError,
  ModelNotReadyError,
  ShuttingDownError,
  WorkerCrashedError,
} from '../errors';
import { childLogger, type Logger, silentLogger } from '../logger';
import type { ModelMetadataV1, PredictResult } from '../spec';
import { createPiscina, loadEveryWorker, type PoolPiscina } from './piscina-setup';
import { isTimeout, PoolTask, type PoolTaskHooks } from './pool-task';
import { errorOfRejection, outcomeOfReply } from './task-outcome';
import { packTensors } from './tensor-transfer';
import {
  type ResolvedWorkerPoolOptions,
  resolveWorkerPoolOptions,
  type WorkerPoolOptions,
  type WorkerPoolRunOptions,
} from './worker-pool-options';
import { deserializeError, type ErrorReply, type LoadWarning } from './worker-protocol';

type PoolState = 'new' | 'starting' | 'running' | 'closing' | 'closed' | 'failed';

/** Load failures of (replacement) threads in a row, with no task served, that fail the pool. */
const MAX_LOAD_FAILURES = 3;

/**
 * Replicas of one model in worker threads, on Piscina: each thread rebuilds the model from a
 * `WorkerSourceV1`, loads it once, and runs one task at a time. Tensors cross threads as
 * transferables (no structured-clone copy of owned buffers). A thread that throws, exits or
 * is killed is replaced (its task fails with `WorkerCrashedError`, the queue goes to the
 * others); `close()` drains before it terminates the threads.
 *
 * @example
 * const pool = new WorkerPool({ source: { module: '@infer/runtime-onnx', settings: { name: 'm', uri } }, workers: 2 });
 * const metadata = await pool.start();
 * const { outputs } = await pool.run({ inputs: [x] }, { signal });
 * await pool.close();
 */
export class WorkerPool {
  readonly #options: ResolvedWorkerPoolOptions;
  #logger: Logger;
  #model: string;
  #state: PoolState = 'new';
  #piscina: PoolPiscina | undefined;
  #starting: Promise<ModelMetadataV1> | undefined;
  #closing: Promise<void> | undefined;
  #destroying = false;
  #restarts = 0;
  #failure: Error | undefined;
  /** Load warnings already emitted (name, code, message). */
  readonly #warned = new Set<string>();
  /** Threads in a row that could not load the model (reset by any task a model answered). */
  #loadFailures = 0;
  /** Threads being terminated because they could not load: no dispatch until they are gone. */
  #retiring = 0;
  #pending = 0;
  #nextId = 1;
  /** Tasks waiting for a free worker, in arrival order (a Set: an abort deletes in O(1)). */
  readonly #queue = new Set<PoolTask>();
  /** Tasks handed to Piscina and not finished, aborted ones included (their worker is busy). */
  readonly #running = new Set<PoolTask>();
  #whenIdle: (() => void)[] = [];
  readonly #hooks: PoolTaskHooks = {
    onAbortQueued: (task, reason) => {
      this.#queue.delete(task);
      if (isTimeout(reason)) this.#terminateAbandoned(reason);
      this.#notifyIfIdle();
    },
    onSettled: () => {
      this.#pending -= 1;
    },
  };

  constructor(options: WorkerPoolOptions) {
    this.#options = resolveWorkerPoolOptions(options);
    this.#model = this.#options.name;
    this.#logger = childLogger(this.#options.logger ?? silentLogger, {
      component: 'worker-pool',
      model: this.#model,
    });
  }

  /** Number of worker threads the pool keeps (the `workers` option). */
  get size(): number {
    return this.#options.workers;
  }

  /** Worker threads alive right now (below `size` while a replacement starts). */
  get alive(): number {
    return this.#piscina?.threads.length ?? 0;
  }

  /** Worker threads that died (crash, exit, kill) and were replaced since `start()`. */
  get restarts(): number {
    return this.#restarts;
  }

  /**
   * True once the pool failed for good: `start()` failed, every thread died and none could
   * be replaced, or replacement threads failed to load the model `MAX_LOAD_FAILURES` times
   * in a row. `run()` rejects with `ModelNotReadyError` then; `failure` says why.
   */
  get failed(): boolean {
    return this.#state === 'failed';
  }

  /** Why the pool failed for good (see `failed`); `undefined` while it has not. */
  get failure(): Error | undefined {
    return this.#failure;
  }

  /** `run()` calls not settled yet: queued plus running. */
  get pending(): number {
    return this.#pending;
  }

  /**
   * Starts the threads and resolves once every one has loaded the model, with the model's
   * metadata as a worker reports it. Rejects with `ModelLoadFailedError` (the worker's
   * message inside) when the module cannot be resolved or a worker fails to load; the
   * threads are gone then. Calling it again returns the same promise; after `close()` it
   * rejects with `ShuttingDownError`.
   *
   * @example
   * const metadata = await pool.start(); // metadata.inputs, metadata.outputs
   */
  start(): Promise<ModelMetadataV1> {
    if (this.#closing !== undefined) {
      return Promise.reject(new ShuttingDownError('The worker pool is closed'));
    }
    if (this.#starting === undefined) {
      if (this.#state !== 'new') {
        return Promise.reject(new ShuttingDownError('The worker pool is closed'));
      }
      this.#state = 'starting';
      this.#starting = this.#start();
    }
    return this.#starting;
  }

  async #start(): Promise<ModelMetadataV1> {
    const { workers } = this.#options;
    const started = performance.now();
    let piscina: PoolPiscina;
    try {
      piscina = createPiscina(this.#options);
    } catch (error) {
      this.#state = 'failed';
      this.#failure = new ModelLoadFailedError({ model: this.#model, cause: error });
      throw this.#failure;
    }
    this.#piscina = piscina;
    this.#listen(piscina);
    const { metadata, warnings, failure, threads } = await loadEveryWorker(piscina, workers);
    // What the threads warned about while loading (a provider fallback), failed start or
    // not: once for all of them, on this thread, as in-process.
    this.#emitWarnings(warnings);
    if (failure !== undefined || metadata === undefined || this.#state !== 'starting') {
      this.#destroying = true;
      await piscina.destroy();
      const closedMeanwhile = this.#state === 'closing';
      this.#state = closedMeanwhile ? 'closed' : 'failed';
      if (closedMeanwhile && failure === undefined) {
        throw new ShuttingDownError('The worker pool was closed while starting');
      }
      const error = new ModelLoadFailedError({
        model: this.#model,
        cause: failure ?? new Error('no worker reported metadata'),
      });
      if (!closedMeanwhile) this.#failure = error;
      throw error;
    }
    this.#model = metadata.name;
    this.#logger = childLogger(this.#options.logger ?? silentLogger, {
      component: 'worker-pool',
      model: this.#model,
    });
    this.#state = 'running';
    this.#logger.info(
      { workers, threads, ms: Math.round(performance.now() - started) },
      'worker pool started',
    );
    return metadata;
  }

  #listen(piscina: PoolPiscina): void {
    // A thread that dies with no task emits 'error' on the pool; without a listener
    // EventEmitter would rethrow it in the main thread.
    piscina.on('error', (error: unknown) => {
      this.#logger.error({ err: error }, 'worker thread failed while idle');
    });
    piscina.on('workerDestroy', () => {
      if (this.#destroying) return;
      this.#restarts += 1;
      this.#logger.warn({ restarts: this.#restarts }, 'worker thread died; replacing it');
      try {
        this.#options.onRestart?.({ restarts: this.#restarts });
      } catch (error) {
        this.#logger.error({ err: error }, 'onRestart threw');
      }
      // Piscina stops respawning when a replacement dies before it is ready (its model
      // load crashed the thread): with no thread left, fail everything instead of hanging.
      setImmediate(() => this.#failIfNoThreads());
    });
  }

  #failIfNoThreads(): void {
    const piscina = this.#piscina;
    if (piscina === undefined || this.#destroying || piscina.threads.length > 0) return;
    const cause = new Error('every worker thread died and none could be replaced');
    this.#fail(cause, () => new WorkerCrashedError({ model: this.#model, cause }));
  }

  /** Fails for good: every queued and running task rejects with `errorOf()`; threads go. */
  #fail(failure: Error, errorOf: () => Error): void {
    this.#logger.error({ err: failure }, `worker pool failed: ${failure.message}`);
    this.#state = 'failed';
    this.#failure = failure;
    for (const task of [...this.#queue, ...this.#running]) task.reject(errorOf());
    this.#queue.clear();
    this.#destroying = true;
    void this.#piscina?.destroy();
  }

  /**
   * A thread answered a task with its model's load error (a replacement after a crash whose
   * load failed: a weights file briefly unreadable, memory short). The task goes back to the
   * head of the queue and the thread is terminated, so Piscina starts another; after
   * `MAX_LOAD_FAILURES` such threads in a row the pool fails for good instead.
   */
  #loadFailed(task: PoolTask, reply: ErrorReply): void {
    const error = deserializeError(reply.error);
    this.#loadFailures += 1;
    this.#logger.error(
      { err: error, failures: this.#loadFailures },
      'a worker thread could not load the model; replacing it',
    );
    if (this.#loadFailures >= MAX_LOAD_FAILURES) {
      const times = this.#loadFailures;
      const reason = `its worker threads failed to load it ${times} times in a row: ${error.message}`;
      const failure = new Error(reason, { cause: error });
      this.#fail(
        failure,
        () => new ModelNotReadyError({ model: this.#model, reason, cause: error }),
      );
      return;
    }
    this.#retire(reply.threadId);
    if (task.settled) return;
    if (reply.inputs === undefined) {
      task.reject(
        new ModelNotReadyError({ model: this.#model, reason: error.message, cause: error }),
      );
      return;
    }
    task.returnInputs(reply.inputs);
    const rest = [...this.#queue];
    this.#queue.clear();
    this.#queue.add(task);
    for (const queued of rest) this.#queue.add(queued);
  }

  /**
   * Terminates the thread `threadId` (Piscina replaces it: it was ready). Nothing is
   * dispatched until it is gone: Piscina still counts it free and could hand it a task.
   */
  #retire(threadId: number | undefined): void {
    const thread = this.#piscina?.threads.find((worker) => worker.threadId === threadId);
    if (thread === undefined) return;
    this.#retiring += 1;
    void thread.terminate().finally(() => {
      this.#retiring -= 1;
      this.#pump();
    });
  }

  /**
   * Runs `request` on the first free worker (FIFO; one task per worker; `onStart` is called
   * when it is handed to one) and resolves with the model's result. Input buffers a tensor
   * owns whole are moved at the call: the caller's arrays are detached (length 0) once
   * `run()` returns; `{ transfer: false }` copies them instead. Rejects with the model's own
   * error (same code and message as in-process), `WorkerCrashedError` when the thread died
   * during the call, `AbortError` the moment the signal aborts (a queued task is dropped; a
   * running one finishes and its result is discarded, or its thread is killed with
   * `abortRunning: 'terminate'`), `ShuttingDownError` once `close()` began,
   * `ModelNotReadyError` before `start()` resolved.
   *
   * @example
   * const { outputs } = await pool.run({ inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 2], data }] });
   */
  run(request: InferenceRequest, options: WorkerPoolRunOptions = {}): Promise<PredictResult> {
    if (this.#state !== 'running') return Promise.reject(this.#notRunning());
    const { signal } = options;
    if (signal?.aborted) return Promise.reject(new AbortError(signal.reason));
    let task: PoolTask;
    try {
      const packed = packTensors(request.inputs, options.transfer ?? this.#options.transferInputs);
      const message = {
        kind: 'predict' as const,
        id: this.#nextId++,
        request: { ...request, inputs: packed.tensors },
      };
      task = new PoolTask(
        message,
        packed.transferList,
        signal,
        this.#options.abortRunning,
        this.#hooks,
      );
    } catch (error) {
      return Promise.reject(error);
    }
    task.onStart = options.onStart;
    this.#pending += 1;
    this.#queue.add(task);
    this.#pump();
    return task.promise;
  }

  /** Hands queued tasks to Piscina while a worker is free (one task per worker). */
  #pump(): void {
    const piscina = this.#piscina;
    while (
      piscina !== undefined &&
      !this.#destroying &&
      this.#retiring === 0 &&
      this.#queue.size > 0 &&
      this.#running.size < this.#options.workers
    ) {
      const task = this.#queue.values().next().value as PoolTask;
      this.#queue.delete(task);
      this.#dispatch(piscina, task);
    }
    this.#notifyIfIdle();
  }

  #dispatch(piscina: PoolPiscina, task: PoolTask): void {
    task.dispatched = true;
    this.#running.add(task);
    const { onStart } = task;
    task.onStart = undefined; // once, though a task put back after a load failure comes again
    try {
      onStart?.();
    } catch (error) {
      this.#logger.error({ err: error }, 'onStart threw');
    }
    const restartsAtDispatch = this.#restarts;
    const signal = task.controller?.signal;
    piscina
      .run(task.message, { transferList: task.transferList, ...(signal ? { signal } : {}) })
      .then(
        (reply) => {
          if (reply.kind === 'error' && reply.phase === 'load') {
            this.#loadFailed(task, reply);
            return;
          }
          this.#loadFailures = 0; // this thread has its model
          if (reply.kind === 'result') this.#emitWarnings(reply.warnings);
          const outcome = outcomeOfReply(reply);
          if (outcome.error === undefined) task.resolve(outcome.result);
          else task.reject(outcome.error);
        },
        (error: unknown) => {
          if (task.settled) return; // aborted: the caller already has its AbortError
          const failure = errorOfRejection(error, {
            model: this.#model,
            noRestartSince: restartsAtDispatch === this.#restarts,
            destroying: this.#destroying,
          });
          if (WorkerCrashedError.isInstance(failure)) {
            this.#logger.error({ err: error }, 'worker thread died while running a task');
          }
          task.reject(failure);
        },
      )
      .finally(() => {
        this.#running.delete(task);
        this.#pump();
      });
  }

  /**
   * A queued task timed out: no worker freed up in time. A thread still running a task its
   * caller abandoned (`'terminate-on-timeout'`, the client left) may be stuck in a hung
   * model; kill the one that has run longest (`#running` is in dispatch order) so the queue
   * moves again. A client that left with nobody waiting behind it costs no reload.
   */
  #terminateAbandoned(reason: unknown): void {
    for (const task of this.#running) {
      if (task.terminateAbandoned(reason)) {
        this.#logger.warn(
          { task: task.message.id },
          'a queued task timed out behind an abandoned one; terminating its worker thread',
        );
        return;
      }
    }
  }

  #notifyIfIdle(): void {
    if (this.#queue.size > 0 || this.#running.size > 0 || this.#whenIdle.length === 0) return;
    const waiters = this.#whenIdle;
    this.#whenIdle = [];
    for (const resolve of waiters) resolve();
  }

  #idle(): Promise<void> {
    return new Promise((resolve) => {
      this.#whenIdle.push(resolve);
      this.#notifyIfIdle();
    });
  }

  /**
   * Emits the threads' load warnings as process warnings of this thread, each once for the
   * pool's life (a replacement thread warns as the first ones did), with the thread's stack.
   */
  #emitWarnings(warnings: readonly LoadWarning[] | undefined): void {
    for (const { name, message, code, detail, stack } of warnings ?? []) {
      const key = `${name}\u0000${code ?? ''}\u0000${message}`;
      if (this.#warned.has(key)) continue;
      this.#warned.add(key);
      const warning: Error & { code?: string; detail?: string } = new Error(message);
      warning.name = name;
      if (code !== undefined) warning.code = code;
      if (detail !== undefined) warning.detail = detail;
      if (stack !== undefined) warning.stack = stack;
      process.emitWarning(warning);
    }
  }

  #notRunning(): Error {
    switch (this.#state) {
      case 'closing':
      case 'closed':
        return new ShuttingDownError('The worker pool is closing');
      case 'failed':
        return new ModelNotReadyError({
          model: this.#model,
          reason: `its worker pool failed${this.#failure ? `: ${this.#failure.message}` : ''}`,
        });
      default:
        return new ModelNotReadyError({ model: this.#model, reason: 'worker pool not started' });
    }
  }

  /**
   * Stops taking work (new `run()` calls reject with `ShuttingDownError`), waits for queued
   * and running tasks (at most `closeTimeoutMs`; what is left then rejects with
   * `ShuttingDownError`), then terminates the threads. Idempotent.
   *
   * @example
   * process.on('SIGTERM', () => pool.close());
   */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    const wasStarting = this.#state === 'starting';
    if (this.#state === 'running' || wasStarting) this.#state = 'closing';
    if (wasStarting) await this.#starting?.catch(() => {});
    const piscina = this.#piscina;
    if (piscina === undefined || this.#destroying) {
      this.#state = this.#state === 'failed' ? 'failed' : 'closed';
      return;
    }
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), this.#options.closeTimeoutMs);
    });
    const outcome = await Promise.race([this.#idle(), timedOut]);
    clearTimeout(timer);
    if (outcome === 'timeout') {
      this.#logger.warn(
        {
          queued: this.#queue.size,
          running: this.#running.size,
          closeTimeoutMs: this.#options.closeTimeoutMs,
        },
        'close timed out; terminating busy worker threads',
      );
      for (const task of this.#queue) {
        task.reject(new ShuttingDownError('The worker pool closed before the task ran'));
      }
      this.#queue.clear();
    }
    this.#destroying = true;
    await piscina.destroy();
    this.#state = 'closed';
    this.#logger.info({ restarts: this.#restarts }, 'worker pool closed');
  }
}
