/**
 * `AdaptiveBatcher`: a bounded queue in front of a batch runner.
 *
 * Policy: whenever a runner slot is free and the queue is not empty, the next batch is
 * dispatched at once (in a microtask, so items submitted in the same tick, or resubmitted
 * straight from a finished batch's results, share it; no timer). While every runner is busy, items pile up, so batches grow by themselves with
 * load. `maxBatchDelayMs > 0` lets a partial batch wait up to that long for more rows even
 * though a runner is free. A batch holds items of one key only, taken from the key group
 * whose head (highest priority, then oldest) comes first.
 */

import { getEventListeners } from 'node:events';
import { BatchItemFailure } from './batch-item-failure';
import { type BatchSizeBucketStats, BatchSizeTuner } from './batch-size-tuner';
import {
  type AdaptiveBatcherOptions,
  type BatchStats,
  type ResolvedBatcherOptions,
  resolveBatcherOptions,
} from './batcher-options';
import {
  AbortError,
  BatchAssemblyError,
  BatcherClosedError,
  OverloadedError,
  TimeoutError,
} from './errors';
import { groupRows, ItemQueue, oldestArrival, type QueueEntry } from './item-queue';

/** Options of one `submit()` call. */
export interface SubmitOptions {
  /** Abandons the item: it leaves the queue, or its result is discarded if already running. */
  signal?: AbortSignal | undefined;
  /** Timeout for this item in ms (queue wait included); `0` = none. Default: `options.timeoutMs`. */
  timeoutMs?: number | undefined;
  /** Higher is served first (within FIFO order otherwise). Default `0`. */
  priority?: number | undefined;
}

interface Entry<I, O> extends QueueEntry {
  readonly item: I;
  readonly resolve: (value: O) => void;
  readonly reject: (error: unknown) => void;
  state: 'queued' | 'running' | 'settled';
  batch: RunningBatch | undefined;
  /** Its timeout in ms; `0` = none. */
  readonly timeoutMs: number;
  /** `enqueuedAt + timeoutMs` (performance.now() ms). */
  readonly deadline: number;
  signal: AbortSignal | undefined;
  readonly onAbort: (() => void) | undefined;
}

/**
 * The entries of one timeout length, in submit order (so in deadline order), behind one
 * timer armed for the oldest live entry. One timer per timeout length instead of one per
 * item: `setTimeout` + `clearTimeout` cost more than the rest of a submit.
 */
interface DeadlineList<I, O> {
  readonly timeoutMs: number;
  entries: Entry<I, O>[];
  /** Index of the first entry not yet dropped. */
  head: number;
  /** Entries not settled. */
  live: number;
  timer: ReturnType<typeof setTimeout> | undefined;
}

interface RunningBatch {
  live: number;
  readonly controller: AbortController;
  /** When the batch's own work began: its dispatch, or `run`'s first `started()` call. */
  startedAt: number;
  /** Whether `run` called `started()`. */
  begun: boolean;
  /** Whether it finished (a `started()` after that is ignored). */
  done: boolean;
}

/** What the 'beforeExit' listener needs of a batcher. */
interface ExitWatched {
  refLiveDeadlines(): void;
}

/** Where the batchers with an armed deadline timer are kept (one set per process). */
const ARMED = Symbol.for('infer.batching.armedBatchers');

/**
 * Batchers with a deadline timer armed. Those timers are unref'd (see `armDeadline`), so a
 * process whose only pending work is an item waiting on a model that never answers would
 * exit, silently, before the item times out. When the process is about to exit for want of
 * work ('beforeExit'), the timers of lists that still hold live items are ref'd: the timeout
 * then fires and rejects the item, as a ref'd timer would have. One set and one listener per
 * process, however many copies of this module are loaded (ESM and CJS builds, re-imports).
 */
function armedBatchers(): Set<ExitWatched> {
  const global = globalThis as { [ARMED]?: Set<ExitWatched> };
  let armed = global[ARMED];
  if (armed === undefined) {
    const batchers = new Set<ExitWatched>();
    armed = batchers;
    global[ARMED] = batchers;
    process.on('beforeExit', () => {
      for (const batcher of batchers) batcher.refLiveDeadlines();
    });
  }
  return armed;
}

/** The longest delay `setTimeout` keeps (2^31 - 1 ms); a longer one fires after 1 ms. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Schedules microtasks (see `schedulePump`). */
const RESOLVED = Promise.resolve();

/** Per-item throughput is smoothed over about the last 10 batches. */
const THROUGHPUT_DECAY = 0.9;

/**
 * Queues items and runs them in batches: at once when a runner is free, growing with load,
 * with a bounded queue, per-item timeouts and aborts.
 *
 * @example
 * const batcher = new AdaptiveBatcher<number, number>({ run: async (xs) => xs.map((x) => x * 2) });
 * await batcher.submit(21); // 42
 */
export class AdaptiveBatcher<I, O> {
  private readonly options: ResolvedBatcherOptions<I, O>;
  private readonly queue = new ItemQueue<Entry<I, O>>();
  private readonly tuner: BatchSizeTuner | undefined;
  private runningBatches = 0;
  /** Running batches whose `run` called `started()` (their own work has begun). */
  private begunBatches = 0;
  /** Whether `run` has ever called `started()`: then only begun batches count as runners. */
  private runCallsStarted = false;
  private seq = 0;
  private pumpScheduled = false;
  private delayTimer: ReturnType<typeof setTimeout> | undefined;
  private delayDeadline = Number.POSITIVE_INFINITY;
  private isClosed = false;
  private drainWaiters: Array<() => void> = [];
  /**
   * Controllers of finished batches that were never aborted and hold no listener: reused,
   * because creating an AbortSignal costs ~20 µs on Node 20, more than the rest of a submit.
   */
  private readonly spareControllers: AbortController[] = [];
  private throughputRows = 0;
  private throughputMs = 0;
  private readonly pumpNow = () => this.pump();
  /** Items with a timeout, by timeout length. */
  private readonly deadlines = new Map<number, DeadlineList<I, O>>();

  constructor(options: AdaptiveBatcherOptions<I, O>) {
    this.options = resolveBatcherOptions(options);
    this.tuner =
      this.options.maxBatchSize === 'auto' ? new BatchSizeTuner(this.options.tuner) : undefined;
  }

  /** Items waiting in the queue (running ones excluded). */
  get queueLength(): number {
    return this.queue.size;
  }

  /** Rows waiting in the queue. */
  get queuedRows(): number {
    return this.queue.rows;
  }

  /** Batches running now. */
  get running(): number {
    return this.runningBatches;
  }

  /** The current batch row limit: the fixed `maxBatchSize`, or the tuner's settled size. */
  get maxBatchSize(): number {
    const fixed = this.options.maxBatchSize;
    return fixed === 'auto' ? this.tuner!.size : fixed;
  }

  /** What the auto tuner measured per size bucket; `undefined` with a fixed `maxBatchSize`. */
  tunerSnapshot(): BatchSizeBucketStats[] | undefined {
    return this.tuner?.snapshot(performance.now());
  }

  /**
   * The `OverloadedError` a `submit()` would reject with now because the queue is full, or
   * `undefined` while there is room. Queues nothing: lets a caller shed load before costly
   * work (decoding a large request body) instead of after it.
   *
   * @example
   * const refusal = batcher.overloadedError();
   * if (refusal) throw refusal; // 503 + Retry-After before the body is parsed
   */
  overloadedError(): OverloadedError | undefined {
    if (this.queue.size < this.options.maxQueueSize) return undefined;
    return new OverloadedError(this.options.maxQueueSize, this.retryAfterSeconds());
  }

  /** True once `close()` was called. */
  get closed(): boolean {
    return this.isClosed;
  }

  /** Measured throughput of one runner in rows per second; `undefined` before any batch. */
  get rowsPerSecond(): number | undefined {
    return this.throughputMs > 0 ? (this.throughputRows / this.throughputMs) * 1000 : undefined;
  }

  /**
   * Queues one item and resolves with its own result. Rejects with `OverloadedError` when
   * the queue is full, `TimeoutError`, `AbortError` (cause = the signal's reason),
   * `BatcherClosedError` after `close()`, or the error the batch's `run()` threw.
   */
  submit(item: I, options: SubmitOptions = {}): Promise<O> {
    if (this.isClosed) return Promise.reject(new BatcherClosedError());
    const { signal } = options;
    if (signal?.aborted) return Promise.reject(new AbortError(signal.reason));
    const timeoutMs = options.timeoutMs ?? this.options.timeoutMs;
    if (!(Number.isFinite(timeoutMs) && timeoutMs >= 0)) {
      return Promise.reject(new TypeError('options.timeoutMs must be a non-negative number'));
    }
    const priority = options.priority ?? 0;
    if (!Number.isFinite(priority)) {
      return Promise.reject(new TypeError('options.priority must be a finite number'));
    }
    let rows = 1;
    let key = '';
    try {
      if (this.options.rows !== undefined) rows = this.options.rows(item);
      if (this.options.key !== undefined) key = this.options.key(item);
    } catch (error) {
      return Promise.reject(error);
    }
    if (!(Number.isSafeInteger(rows) && rows >= 0)) {
      return Promise.reject(
        new TypeError(`options.rows(item) must return a non-negative integer, got ${rows}`),
      );
    }
    if (this.queue.size >= this.options.maxQueueSize) {
      return Promise.reject(
        new OverloadedError(this.options.maxQueueSize, this.retryAfterSeconds()),
      );
    }
    return new Promise<O>((resolve, reject) => {
      const enqueuedAt = performance.now();
      const entry: Entry<I, O> = {
        item,
        key,
        rows,
        priority,
        seq: this.seq++,
        enqueuedAt,
        resolve,
        reject,
        state: 'queued',
        batch: undefined,
        timeoutMs,
        deadline: enqueuedAt + timeoutMs,
        signal,
        // Made here, not assigned to the entry afterwards: with a closure assigned to a field
        // of an existing object, V8 (Node 20) kept every entry (and its item) through two
        // scavenges under load (docs/benchmarks.md, "Requests that die young").
        onAbort:
          signal === undefined
            ? undefined
            : () => this.abandon(entry, new AbortError(signal.reason)),
      };
      if (timeoutMs > 0) this.watchDeadline(entry);
      if (entry.onAbort !== undefined) {
        signal!.addEventListener('abort', entry.onAbort, { once: true });
      }
      this.queue.push(entry);
      if (this.options.onQueueLength !== undefined) this.reportQueueLength();
      this.schedulePump();
    });
  }

  /** Resolves once the queue is empty and no batch runs (partial batches are not held back). */
  drain(): Promise<void> {
    if (this.idle()) {
      this.clearDeadlineTimers();
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => {
      this.drainWaiters.push(resolve);
      this.pump();
    });
  }

  /** Refuses new items (`BatcherClosedError`), then drains. Safe to call twice. */
  close(): Promise<void> {
    this.isClosed = true;
    return this.drain();
  }

  private idle(): boolean {
    return this.queue.size === 0 && this.runningBatches === 0;
  }

  private schedulePump(): void {
    if (this.pumpScheduled) return;
    this.pumpScheduled = true;
    // A reaction on a settled promise, not queueMicrotask(): same microtask timing, but Node's
    // queueMicrotask() wraps every callback in a new AsyncResource and bound function.
    RESOLVED.then(this.pumpNow);
  }

  /**
   * Like `schedulePump`, but once the microtask queue has run dry (see `finish`). `finish`
   * runs in a promise reaction, and a `process.nextTick` queued from one runs only after
   * every microtask queued meanwhile: the settled items' callers, through however many
   * awaits of their own, have submitted again by then. One tick per batch, no timer.
   */
  private schedulePumpAfterResults(): void {
    if (this.pumpScheduled) return;
    this.pumpScheduled = true;
    process.nextTick(this.pumpNow);
  }

  /** Dispatches batches while a runner is free and a batch is ready. */
  private pump(): void {
    this.pumpScheduled = false;
    while (this.runningBatches < this.options.concurrency && this.queue.size > 0) {
      const limit = this.maxBatchSize;
      const group = this.readyGroup(limit);
      if (group === undefined) return;
      const rowLimit = this.tuner === undefined ? limit : this.tunedLimit(group, limit);
      this.start(this.queue.take(group, rowLimit), rowLimit);
      if (this.options.onQueueLength !== undefined) this.reportQueueLength();
    }
  }

  /** Tells `onQueueLength` how many items wait now; a throwing hook is ignored. */
  private reportQueueLength(): void {
    try {
      this.options.onQueueLength!(this.queue.size);
    } catch {
      // A metrics hook must never break serving.
    }
  }

  /**
   * The auto tuner's row limit for a batch of `group` (`size`: its settled size). A limit
   * only caps a batch: when no more rows wait than the smallest limit the tuner could give
   * (half the settled size, at least 1), every limit makes the same batch, so the tuner is
   * not asked (no probe spent on a batch it cannot shape; under light load that is every
   * batch, and asking cost a third of a microsecond each).
   */
  private tunedLimit(group: Entry<I, O>[], size: number): number {
    const smallest = Math.max(1, size >> 1);
    if (groupRows(group, smallest + 1) <= smallest) return size;
    return this.tuner!.nextLimit(performance.now());
  }

  /** The group to dispatch now, or undefined (a delay timer is armed) when all may wait. */
  private readyGroup(limit: number): Entry<I, O>[] | undefined {
    const delay = this.options.maxBatchDelayMs;
    if (delay === 0 || this.isClosed || this.drainWaiters.length > 0) {
      return this.queue.firstGroup();
    }
    const now = performance.now();
    let deadline = Number.POSITIVE_INFINITY;
    for (const group of this.queue.groupsInOrder()) {
      const groupDeadline = oldestArrival(group) + delay;
      if (groupRows(group, limit) >= limit || groupDeadline <= now) return group;
      deadline = Math.min(deadline, groupDeadline);
    }
    this.armDelay(deadline, now);
    return undefined;
  }

  private armDelay(deadline: number, now: number): void {
    if (this.delayTimer !== undefined && this.delayDeadline <= deadline) return;
    if (this.delayTimer !== undefined) clearTimeout(this.delayTimer);
    this.delayDeadline = deadline;
    this.delayTimer = setTimeout(
      () => {
        this.delayTimer = undefined;
        this.delayDeadline = Number.POSITIVE_INFINITY;
        this.pump();
      },
      Math.max(0, deadline - now),
    );
  }

  private start(entries: Entry<I, O>[], limit: number): void {
    this.runningBatches += 1;
    const controller = this.spareControllers.pop() ?? new AbortController();
    const batch: RunningBatch = {
      live: entries.length,
      controller,
      startedAt: performance.now(),
      begun: false,
      done: false,
    };
    const items = new Array<I>(entries.length);
    for (let index = 0; index < entries.length; index++) {
      const entry = entries[index]!;
      entry.state = 'running';
      entry.batch = batch;
      items[index] = entry.item;
    }
    let result: Promise<(O | BatchItemFailure)[]>;
    try {
      const live = (index: number) => entries[index]?.state === 'running';
      const started = () => {
        if (batch.begun || batch.done) return;
        batch.begun = true;
        batch.startedAt = performance.now();
        this.begunBatches += 1;
        this.runCallsStarted = true;
      };
      result = Promise.resolve(this.options.run(items, batch.controller.signal, live, started));
    } catch (error) {
      result = Promise.reject(error);
    }
    result.then(
      (outputs) => this.finish(entries, batch, limit, outputs, undefined),
      (error: unknown) => this.finish(entries, batch, limit, undefined, error ?? null),
    );
  }

  private finish(
    entries: Entry<I, O>[],
    batch: RunningBatch,
    limit: number,
    outputs: (O | BatchItemFailure)[] | undefined,
    error: unknown,
  ): void {
    const { startedAt } = batch;
    const finishedAt = performance.now();
    const runMs = finishedAt - startedAt;
    this.runningBatches -= 1;
    batch.done = true;
    if (batch.begun) this.begunBatches -= 1;
    let failure = error;
    if (failure === undefined && (!Array.isArray(outputs) || outputs.length !== entries.length)) {
      const got = Array.isArray(outputs) ? `${outputs.length} results` : typeof outputs;
      failure = new BatchAssemblyError(
        `run() must return one result per item: got ${got} for ${entries.length} items`,
      );
    }
    let rows = 0;
    for (let index = 0; index < entries.length; index++) {
      const entry = entries[index]!;
      rows += entry.rows;
      if (entry.state !== 'running') continue;
      if (failure !== undefined) this.settle(entry, false, failure);
      else {
        const output = outputs![index];
        if (output instanceof BatchItemFailure) this.settle(entry, false, output.error);
        else this.settle(entry, true, output);
      }
    }
    const signal = batch.controller.signal;
    if (failure === undefined && !signal.aborted) {
      this.tuner?.observe(rows, runMs, finishedAt);
      this.throughputRows = this.throughputRows * THROUGHPUT_DECAY + rows;
      this.throughputMs = this.throughputMs * THROUGHPUT_DECAY + Math.max(runMs, 1e-3);
    }
    if (
      !signal.aborted &&
      this.spareControllers.length < this.options.concurrency &&
      getEventListeners(signal, 'abort').length === 0
    ) {
      this.spareControllers.push(batch.controller);
    }
    // After the reactions of the promises just settled: callers that submit again once their
    // result arrives (through awaits of their own) join the next batch instead of the first
    // one back running it half-empty. No timer, no latency. Not for a lone item with nothing
    // queued (a server's request under light load, each in its own event-loop turn): its one
    // caller going again makes the same batch of one through `submit`'s own pump, and the
    // tick cost about 0.3 us per request (docs/benchmarks.md, "Fewer ticks and timer toggles").
    if (entries.length > 1 || this.queue.size > 0) this.schedulePumpAfterResults();
    if (this.options.onStats !== undefined) {
      this.emitStats(entries, rows, startedAt, runMs, limit, failure);
    }
    this.checkDrained();
  }

  private emitStats(
    entries: Entry<I, O>[],
    rows: number,
    startedAt: number,
    runMs: number,
    limit: number,
    failure: unknown,
  ): void {
    const queueWaitsMs = entries.map((entry) => Math.max(0, startedAt - entry.enqueuedAt));
    // A loop, not Math.max(...waits): spreading a batch of ~125k items overflows the stack.
    let queueWaitMs = 0;
    for (const wait of queueWaitsMs) if (wait > queueWaitMs) queueWaitMs = wait;
    const stats: BatchStats = {
      key: entries[0]!.key,
      size: rows,
      items: entries.length,
      queueWaitMs,
      queueWaitsMs,
      runMs,
      queueLength: this.queue.size,
      maxBatchSize: limit,
      ok: failure === undefined,
    };
    try {
      this.options.onStats!(stats);
    } catch {
      // A metrics hook must never break serving.
    }
  }

  /** Gives up on an item (timeout or abort): out of the queue, or discarded when it returns. */
  private abandon(entry: Entry<I, O>, error: BatchingFailure): void {
    if (entry.state === 'settled') return;
    if (entry.state === 'queued') {
      this.queue.remove(entry);
      if (this.options.onQueueLength !== undefined) this.reportQueueLength();
    } else if (entry.batch !== undefined) {
      entry.batch.live -= 1;
      if (entry.batch.live === 0) entry.batch.controller.abort(error);
    }
    this.settle(entry, false, error);
    this.checkDrained();
  }

  /** Puts an entry with a timeout on its deadline list, arming its timer if none is armed. */
  private watchDeadline(entry: Entry<I, O>): void {
    let list = this.deadlines.get(entry.timeoutMs);
    if (list === undefined) {
      list = { timeoutMs: entry.timeoutMs, entries: [], head: 0, live: 0, timer: undefined };
      this.deadlines.set(entry.timeoutMs, list);
    }
    list.entries.push(entry);
    list.live += 1;
    if (list.timer === undefined) this.armDeadline(list, entry.timeoutMs);
  }

  /**
   * Arms a list's timer, unref'd: ref'd only while entries were live, it was toggled for every
   * request under light load (each request alone in the batcher), about 0.3 us a request. A
   * server's socket, a worker thread or a native run keeps the process alive meanwhile; when
   * nothing else does, 'beforeExit' refs it (see `armedBatchers`).
   */
  private armDeadline(list: DeadlineList<I, O>, delayMs: number): void {
    if (list.timer !== undefined) clearTimeout(list.timer);
    // Node turns a longer delay into 1 ms (a timer spinning on a deadline days away);
    // `expire` re-arms for what is left.
    list.timer = setTimeout(() => this.expire(list), Math.min(delayMs, MAX_TIMER_MS));
    list.timer.unref();
    armedBatchers().add(this);
  }

  /**
   * Refs the deadline timers of lists that hold live items (the process is about to exit for
   * want of work; see `armedBatchers`).
   *
   * @internal
   */
  refLiveDeadlines(): void {
    for (const list of this.deadlines.values()) {
      if (list.timer !== undefined && list.live > 0) list.timer.ref();
    }
    this.forgetIfDisarmed();
  }

  /** The timer of a list fired: times out every entry whose deadline has come, re-arms. */
  private expire(list: DeadlineList<I, O>): void {
    list.timer = undefined;
    const now = performance.now();
    while (list.head < list.entries.length) {
      const entry = list.entries[list.head]!;
      if (entry.state !== 'settled' && entry.deadline > now) {
        this.armDeadline(list, Math.max(1, Math.ceil(entry.deadline - now)));
        return;
      }
      list.head += 1;
      if (entry.state !== 'settled') this.abandon(entry, new TimeoutError(list.timeoutMs));
    }
    list.entries = [];
    list.head = 0;
    // Nothing left on it, and no timer: the list goes (timeouts that vary per item, such as
    // gRPC deadlines, would otherwise leave one list each behind).
    if (this.deadlines.get(list.timeoutMs) === list) this.deadlines.delete(list.timeoutMs);
    this.forgetIfDisarmed();
  }

  /** A settled entry leaves its deadline list: at once from the head, else in a compaction. */
  private unwatchDeadline(entry: Entry<I, O>): void {
    const list = this.deadlines.get(entry.timeoutMs);
    if (list === undefined) return; // dropped once nothing on it was live
    list.live -= 1;
    const { entries } = list;
    while (list.head < entries.length && entries[list.head]!.state === 'settled') list.head += 1;
    if (list.head === entries.length) {
      list.entries = [];
      list.head = 0;
      // Its timer is left armed: the next item needs no new setTimeout. It fires at most once
      // more, finds nothing due, and stops; drain() clears it. Unref'd again if 'beforeExit'
      // ref'd it: nothing is left for it to keep the process alive for.
      if (list.timer?.hasRef() === true) list.timer.unref();
    } else if (entries.length > 2 * list.live + 32) {
      // Counts the dropped prefix too: under continuous load the list never empties, and
      // settled entries before `head` would keep their items (input tensors) alive.
      list.entries = entries.filter(
        (item, index) => index >= list.head && item.state !== 'settled',
      );
      list.head = 0;
    }
  }

  /** Clears the deadline timers of lists with no live entry (the batcher is idle). */
  private clearDeadlineTimers(): void {
    for (const [timeoutMs, list] of this.deadlines) {
      if (list.live > 0) continue;
      if (list.timer !== undefined) clearTimeout(list.timer);
      list.timer = undefined;
      this.deadlines.delete(timeoutMs);
    }
    this.forgetIfDisarmed();
  }

  /** Leaves `armedBatchers` once no deadline timer is armed (nothing left to ref at exit). */
  private forgetIfDisarmed(): void {
    for (const list of this.deadlines.values()) if (list.timer !== undefined) return;
    (globalThis as { [ARMED]?: Set<ExitWatched> })[ARMED]?.delete(this);
  }

  private settle(entry: Entry<I, O>, ok: boolean, value: unknown): void {
    entry.state = 'settled';
    entry.batch = undefined;
    if (entry.timeoutMs > 0) this.unwatchDeadline(entry);
    if (entry.onAbort !== undefined) entry.signal!.removeEventListener('abort', entry.onAbort);
    if (ok) entry.resolve(value as O);
    else entry.reject(value);
  }

  private checkDrained(): void {
    if (this.drainWaiters.length === 0 || !this.idle()) return;
    const waiters = this.drainWaiters;
    this.drainWaiters = [];
    this.clearDeadlineTimers();
    if (this.delayTimer !== undefined) clearTimeout(this.delayTimer);
    this.delayTimer = undefined;
    this.delayDeadline = Number.POSITIVE_INFINITY;
    for (const resolve of waiters) resolve();
  }

  /**
   * Seconds until the queue is likely to have room: queued rows over measured throughput, per
   * runner times the runners at work (a batch that waits for its `started()`, such as a spare
   * batch queued for a busy worker, adds none).
   */
  private retryAfterSeconds(): number {
    const perSecond = this.rowsPerSecond;
    // No rows measured yet (or only empty batches, rows 0): no estimate.
    if (perSecond === undefined || !(perSecond > 0)) return 1;
    const runners = this.runCallsStarted
      ? Math.max(1, this.begunBatches)
      : this.options.concurrency;
    const seconds = this.queue.rows / (perSecond * runners);
    return Math.max(1, Math.ceil(seconds));
  }
}

type BatchingFailure = TimeoutError | AbortError;
