/**
 * One `pool.run()` call: its message for the worker, its caller's promise, and what an
 * abort does to it. The pool keeps tasks in its own queue and hands one to Piscina only
 * when a worker is free, so "queued" and "running" are known exactly: an abort removes a
 * queued task, and never kills a thread by mistake.
 *
 * @internal
 */
import { AbortError } from '@infer/batching';
import type { Tensor } from '@infer/codecs';
import type { PredictResult } from '../spec';
import { packTensors } from './tensor-transfer';
import type { AbortRunningPolicy } from './worker-pool-options';
import type { PredictTask } from './worker-protocol';

/** What the pool does when a task's caller aborts or the task settles. */
export interface PoolTaskHooks {
  /**
   * The caller aborted before the task was handed to a worker: drop it from the queue.
   * `reason`: the signal's (see {@link isTimeout}).
   */
  onAbortQueued(task: PoolTask, reason: unknown): void;
  /** The caller's promise settled (any way). */
  onSettled(task: PoolTask): void;
}

/**
 * A task of the pool. `promise` settles once: with the result, an error, or an
 * `AbortError` (cause: the signal's reason) the moment the signal aborts.
 *
 * @example
 * const task = new PoolTask(message, transferList, signal, 'discard', hooks);
 * queue.add(task); return task.promise;
 */
export class PoolTask {
  readonly promise: Promise<PredictResult>;
  /** Set unless the policy is `'discard'`: aborting it makes Piscina kill the thread. */
  readonly controller: AbortController | undefined;
  /** Handed to Piscina (a worker runs it, or runs it next). */
  dispatched = false;
  /** Called once, when the task is handed to Piscina (`WorkerPoolRunOptions.onStart`). */
  onStart: (() => void) | undefined = undefined;
  #settled = false;
  #abandoned = false;
  #resolve!: (result: PredictResult) => void;
  #reject!: (error: unknown) => void;
  readonly #signal: AbortSignal | undefined;
  readonly #hooks: PoolTaskHooks;
  readonly #onAbort = (): void => this.#aborted();
  readonly #policy: AbortRunningPolicy;

  constructor(
    readonly message: PredictTask,
    public transferList: ArrayBuffer[],
    signal: AbortSignal | undefined,
    terminateOnAbort: AbortRunningPolicy,
    hooks: PoolTaskHooks,
  ) {
    this.promise = new Promise<PredictResult>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    this.#signal = signal;
    this.#hooks = hooks;
    this.#policy = terminateOnAbort;
    this.controller =
      signal !== undefined && terminateOnAbort !== 'discard' ? new AbortController() : undefined;
    signal?.addEventListener('abort', this.#onAbort, { once: true });
  }

  /** The caller's promise has settled; a result that comes later is dropped. */
  get settled(): boolean {
    return this.#settled;
  }

  /**
   * Running, its caller gone (aborted for a reason other than a timeout under
   * `'terminate-on-timeout'`), and its thread not being killed: the thread is busy for
   * nobody, for as long as the model takes (forever if it hangs).
   */
  get abandoned(): boolean {
    return this.#abandoned && this.controller?.signal.aborted === false;
  }

  /**
   * Kills the thread running this abandoned task (Piscina terminates it and starts a
   * replacement); false when the task is not abandoned.
   */
  terminateAbandoned(reason: unknown): boolean {
    if (!this.abandoned) return false;
    this.controller?.abort(reason);
    return true;
  }

  /**
   * Makes the task ready to be sent again, with the inputs a thread that could not load the
   * model moved back (the first send transferred the originals away).
   */
  returnInputs(inputs: Tensor[]): void {
    const packed = packTensors(inputs, true);
    this.message.request = { ...this.message.request, inputs: packed.tensors };
    this.transferList = packed.transferList;
    this.dispatched = false;
  }

  resolve(result: PredictResult): void {
    if (this.#settle()) this.#resolve(result);
  }

  reject(error: unknown): void {
    if (this.#settle()) this.#reject(error);
  }

  #settle(): boolean {
    if (this.#settled) return false;
    this.#settled = true;
    this.#signal?.removeEventListener('abort', this.#onAbort);
    this.#hooks.onSettled(this);
    return true;
  }

  #aborted(): void {
    const reason = this.#signal?.reason;
    this.reject(new AbortError(reason));
    // Queued: removed, never runs. Running: its result is dropped when it comes, unless
    // the policy is to kill the thread (Piscina terminates it and starts a replacement):
    // always, or only when the caller timed out (the model may hang and block the worker).
    // Left running for a caller that left, it is abandoned: the pool kills its thread if a
    // task behind it times out waiting for a worker (the model may hang there too).
    if (!this.dispatched) this.#hooks.onAbortQueued(this, reason);
    else if (this.#policy === 'terminate' || isTimeout(reason)) this.controller?.abort(reason);
    else this.#abandoned = true;
  }
}

/** Whether an abort reason is a timeout (`INFER_ERR_TIMEOUT`), not a caller that left. */
export function isTimeout(reason: unknown): boolean {
  return (reason as { code?: unknown } | null)?.code === 'INFER_ERR_TIMEOUT';
}
