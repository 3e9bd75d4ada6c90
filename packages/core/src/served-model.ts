import {
  AdaptiveBatcher,
  type BatchStats,
  batchKey,
  createOipRun,
  requestRows,
} from '@infer/batching';
import {
  checkInferenceRequest,
  createTypedArray,
  type InferenceRequest,
  type Tensor,
} from '@infer/codecs';
import { asModelV1 } from './as-model-v1';
import { type Batchability, batchabilityOf } from './batchability';
import { CLASSIFICATION, checkClassifications, classify, isBatchedOutput } from './classification';
import {
  ERROR_CODES,
  httpStatusOf,
  InferError,
  InvalidOptionError,
  isErrorCode,
  ModelFailedError,
  ModelLoadFailedError,
  ModelNotReadyError,
  OutputNotFoundError,
} from './errors';
import { assertLogger, childLogger, type Logger, silentLogger } from './logger';
import type { InferMetrics } from './metrics/infer-metrics';
import { predictNow, throwIfAborted } from './model';
import { WorkerPool } from './pool/worker-pool';
import { type ResolvedServingOptions, resolveServingOptions } from './serving-options';
import type {
  ModelMetadataV1,
  ModelV1,
  PredictOptions,
  PredictResult,
  ServingOptionsV1,
} from './spec';
import { UNVALIDATED, VALIDATED, type ValidatedOptions, validateRequest } from './validate-request';

/**
 * A batch that fails with a client error (4xx, not an abort) was failed by one request's
 * input: re-run its requests one by one so the others still get their answers.
 */
function isRequestError(error: unknown): boolean {
  const status = httpStatusOf(error);
  return status >= 400 && status < 500 && status !== 499;
}

/** The metric hooks a served model reports to (a subset of `InferMetrics`). */
export type ServedModelMetrics = Pick<
  InferMetrics,
  'observeBatch' | 'setQueueLength' | 'setWorkers' | 'incWorkerRestarts' | 'observeModelLoad'
>;

/** Options of {@link ServedModel}: serving knobs (they override the model's own) and hooks. */
export interface ServedModelOptions extends ServingOptionsV1 {
  /** pino-compatible logger. Default: silent. */
  logger?: Logger | undefined;
  /** Metric hooks, e.g. `createMetrics()`. Default: none. */
  metrics?: ServedModelMetrics | undefined;
  /**
   * Validate requests against the model's metadata before queueing. Default `true`, or
   * `false` for a model made with `defineModel({ validate: false })`.
   */
  validate?: boolean | undefined;
}

/** Options of one {@link ServedModel.predict} call. */
export interface ServedPredictOptions {
  /** Aborts the call; a request still queued does no work. */
  signal?: AbortSignal | undefined;
  /** Timeout in ms, queue wait included; `0` = none. Default: the model's `timeoutMs`. */
  timeoutMs?: number | undefined;
  /**
   * A time limit the client asked for (a gRPC deadline), in ms from now: the call times out
   * then or at the model's own `timeoutMs`, whichever comes first, so a client can shorten
   * the operator's limit but never lengthen it. Ignored when `timeoutMs` is given.
   */
  clientTimeoutMs?: number | undefined;
  /** Higher is served first. Default `0`. */
  priority?: number | undefined;
  /**
   * With workers: move (detach) the request's input buffers to the worker instead of
   * copying them. Only for requests nobody reads afterwards (the service sets it for
   * decoded HTTP and gRPC bodies). Batches of several requests are always moved (they are
   * new arrays). It also marks the request as one a codec decoded: its form is not checked
   * again (`checkInferenceRequest`), only its fit to the metadata. Default `false`.
   */
  transfer?: boolean | undefined;
}

type State = 'idle' | 'starting' | 'ready' | 'failed' | 'closing' | 'closed';

/**
 * A loaded model ready to serve: the model (in-process, or `workers` replicas in a worker
 * pool) behind an `AdaptiveBatcher`. Both HTTP and in-process `predict()` go through it.
 *
 * @example
 * const served = await new ServedModel(model, { batching: { maxBatchDelayMs: 2 } }).start();
 * const { outputs } = await served.predict(request, { signal });
 * await served.close();
 */
export class ServedModel {
  readonly model: ModelV1;
  readonly name: string;
  readonly version: string | undefined;
  /** The serving options in force (call options > model's own > defaults). */
  readonly options: Readonly<ResolvedServingOptions>;
  readonly #logger: Logger;
  /** No logger was given: warnings the user must see go to `process.emitWarning`. */
  readonly #silent: boolean;
  readonly #metrics: ServedModelMetrics | undefined;
  readonly #validate: boolean;
  /** The queue length last given to the metrics (`-1`: none yet). */
  #reportedQueueLength = -1;
  #state: State = 'idle';
  #starting: Promise<this> | undefined;
  #closing: Promise<void> | undefined;
  #metadata: ModelMetadataV1 | undefined;
  #batchability: Batchability = { batchable: false };
  #batcher: AdaptiveBatcher<InferenceRequest, PredictResult> | undefined;
  #pool: WorkerPool | undefined;
  #loadError: Error | undefined;
  /** The model's predict as the batcher runs it in this thread (see `predictNow`). */
  readonly #predictNow: ReturnType<typeof predictNow>;
  /**
   * Requests whose buffers the caller keeps: copied, not moved, to workers. Requests made
   * in code are added only while a pool runs (and the options' warm-up request always):
   * every scavenge walks a weak collection of young keys (a loop adding objects to a
   * `WeakSet` had 9 ms scavenges instead of 0.2 ms).
   */
  readonly #callerOwned = new WeakSet<InferenceRequest>();

  constructor(model: ModelV1, options: ServedModelOptions = {}) {
    this.model = asModelV1(model);
    this.#predictNow = predictNow(this.model);
    if (typeof options !== 'object' || options === null) {
      throw new InvalidOptionError('options', 'must be an object');
    }
    this.name = this.model.name;
    this.version = this.model.version;
    this.options = Object.freeze(resolveServingOptions(this.model.serving, options));
    if (options.logger !== undefined) assertLogger(options.logger, 'options.logger');
    if (this.options.workers > 0 && typeof this.model.workerSource !== 'function') {
      throw new InvalidOptionError(
        'options.workers',
        `needs a model with workerSource() (model "${this.name}" has none); use workers: 0`,
      );
    }
    this.#silent = (options.logger ?? silentLogger) === silentLogger;
    this.#logger = childLogger(options.logger ?? silentLogger, {
      model: this.name,
      ...(this.version === undefined ? {} : { version: this.version }),
    });
    this.#metrics = options.metrics;
    // A model that asked not to be validated (`defineModel({ validate: false })`) is not.
    this.#validate =
      options.validate ?? (this.model as { [UNVALIDATED]?: unknown })[UNVALIDATED] !== true;
  }

  /**
   * True once `start()` succeeded and until `close()` begins, unless its worker pool failed
   * for good meanwhile (threads that died could not be replaced or could not load the model):
   * readiness then reports it, rather than a ready model answering every request with 503.
   */
  get ready(): boolean {
    return this.#state === 'ready' && this.#pool?.failed !== true;
  }

  /** Lifecycle state: idle, starting, ready, failed (also once its pool fails), closing, closed. */
  get state(): State {
    return this.#state === 'ready' && this.#pool?.failed === true ? 'failed' : this.#state;
  }

  /** The error of a failed `start()`, or why its worker pool failed for good since. */
  get loadError(): Error | undefined {
    return this.#loadError ?? (this.#state === 'ready' ? this.#pool?.failure : undefined);
  }

  /** Requests waiting in the batcher queue. */
  get queueLength(): number {
    return this.#batcher?.queueLength ?? 0;
  }

  /**
   * Throws the `OverloadedError` (503 + Retry-After) a `predict()` would reject with now
   * because the queue is full; does nothing while there is room or the model is not ready
   * (`predict()` answers that). The service calls it before decoding a request body, so a
   * full model sheds load without spending CPU on bodies it would refuse anyway.
   *
   * @example
   * served.throwIfOverloaded(); // then decode the body and predict()
   */
  throwIfOverloaded(): void {
    const refusal = this.#state === 'ready' ? this.#batcher?.overloadedError() : undefined;
    if (refusal !== undefined) throw refusal;
  }

  /** Whether requests are batched (false: run one by one; see `metadata().parameters`). */
  get batchable(): boolean {
    return this.#batchability.batchable;
  }

  /** The worker pool when `workers > 0`. */
  get pool(): WorkerPool | undefined {
    return this.#pool;
  }

  /**
   * Loads the model (or starts its worker pool), decides batchability, runs the warm-up;
   * concurrent calls share one start. Rejects with `ModelLoadFailedError`.
   */
  start(): Promise<this> {
    if (this.#state === 'ready') return Promise.resolve(this);
    if (this.#starting) return this.#starting;
    if (this.#state === 'closing' || this.#state === 'closed') {
      return Promise.reject(
        new ModelNotReadyError({ model: this.name, version: this.version, reason: 'closed' }),
      );
    }
    this.#state = 'starting';
    const started = performance.now();
    this.#starting = this.#start().then(
      () => {
        this.#state = 'ready';
        this.#loadError = undefined;
        this.#metrics?.observeModelLoad(this.name, performance.now() - started, true, this.version);
        return this;
      },
      async (cause: unknown) => {
        await this.#teardown().catch(() => undefined);
        const error = InferError.isInstance(cause)
          ? (cause as InferError)
          : new ModelLoadFailedError({ model: this.name, version: this.version, cause });
        this.#state = 'failed';
        this.#loadError = error;
        this.#metrics?.observeModelLoad(
          this.name,
          performance.now() - started,
          false,
          this.version,
        );
        // A ModelLoadFailedError's message says so already ('Model "m" failed to load: ...').
        const said = ModelLoadFailedError.isInstance(error)
          ? error.message
          : `model failed to load: ${error.message}`;
        this.#logger.error({ err: cause }, said);
        throw error;
      },
    );
    this.#starting
      .catch(() => undefined)
      .finally(() => {
        this.#starting = undefined;
      });
    return this.#starting;
  }

  /**
   * A model its owner loaded before serving: the pool loads its own copies and this one only
   * holds memory. Logged, or a process warning where no logger was given (the default).
   */
  #warnPreloaded(workers: number): void {
    const message = `model "${this.name}" was already loaded in this thread; it is served by ${workers} worker thread(s), which load their own copies, and this one stays loaded until its owner unloads it (serve it unloaded, or with workers: 0)`;
    if (this.#silent) {
      process.emitWarning(message, { type: 'InferWarning', code: 'INFER_MODEL_PRELOADED' });
    } else {
      this.#logger.warn({ workers }, message);
    }
  }

  async #start(): Promise<void> {
    const { workers } = this.options;
    if (workers > 0) {
      if (this.model.ready) this.#warnPreloaded(workers);
      const source = this.model.workerSource!({ workers });
      this.#pool = new WorkerPool({
        source,
        workers,
        logger: this.#logger,
        name: this.name,
        // A request that timed out may be stuck in a hung model: replace that worker so the
        // requests behind it are not blocked. A client that merely left costs no reload.
        abortRunning: 'terminate-on-timeout',
        onRestart: () => this.#metrics?.incWorkerRestarts(this.name, this.version),
      });
      this.#metadata = await this.#pool.start();
      this.#metrics?.setWorkers(this.name, this.#pool.size, this.version);
    } else {
      await this.model.load();
      this.#metadata = this.model.metadata();
    }
    const batchability = this.options.batching
      ? batchabilityOf(this.model, this.#metadata)
      : { batchable: false, reason: 'batching is off' };
    this.#batchability = batchability;
    const maxBatchSize = batchability.batchable ? this.options.maxBatchSize : 1;
    if (!batchability.batchable) {
      this.#logger.info(
        { reason: batchability.reason },
        `model runs request by request: ${batchability.reason}`,
      );
    }
    this.#batcher = new AdaptiveBatcher<InferenceRequest, PredictResult>({
      // Every request submitted was validated by `#predict` when `#validate`: one the batch
      // runs as it is needs no second check by the model; an assembled batch does.
      run: createOipRun(
        (request, signal, assembled, started) =>
          this.#runOne(request, signal, !assembled && this.#validate, started),
        // Typed as the batch's requests reject (#runOne passes the model's failure on as is).
        { isolate: isRequestError, failure: (cause) => this.#predictFailure(cause) },
      ),
      maxBatchSize,
      maxBatchDelayMs: this.options.maxBatchDelayMs,
      maxQueueSize: this.options.maxQueueSize,
      timeoutMs: this.options.timeoutMs,
      // With workers, one batch more than threads: it waits in the pool and goes to the
      // first thread that finishes, before that batch's answers are written. Without it each
      // thread idled while the main thread answered (PP-OCRv4 recognition: 10-15% of the
      // time; docs/benchmarks.md, "A compute-bound ONNX model, and a spare batch for the
      // worker pool"). Its run time counts from then (`started`), so the tuner does not
      // mistake the wait for work.
      concurrency: workers > 0 ? workers + 1 : 1,
      ...(batchability.batchable ? { rows: rowsOf, key: keyOf() } : {}),
      // No hook without metrics: the batcher then skips assembling stats after every batch.
      ...(this.#metrics === undefined
        ? {}
        : {
            onStats: (stats) => this.#onStats(stats),
            // As it changes (queued, taken, given up): not only when a batch ends, which for a
            // long or hung batch is late.
            onQueueLength: (length) => this.#reportQueueLength(length),
          }),
    });
    if (this.options.warmup !== false) await this.#warmup();
  }

  async #warmup(): Promise<void> {
    const { warmup } = this.options;
    const request = warmup === true ? zerosRequest(this.#metadata!) : (warmup as InferenceRequest);
    if (warmup !== true) this.#callerOwned.add(request);
    const started = performance.now();
    // A warm-up request of the options was never validated here: the model checks it.
    try {
      await this.#runOne(request, new AbortController().signal, false);
    } catch (cause) {
      throw this.#predictFailure(cause);
    }
    this.#logger.debug({ durationMs: performance.now() - started }, 'warm-up done');
  }

  /** Sets the queue length gauge when the length changed since it was last set. */
  #reportQueueLength(length: number): void {
    if (length === this.#reportedQueueLength) return;
    this.#reportedQueueLength = length;
    this.#metrics?.setQueueLength(this.name, length, this.version);
  }

  #onStats(stats: BatchStats): void {
    const metrics = this.#metrics;
    if (metrics === undefined) return;
    metrics.observeBatch({
      model: this.name,
      version: this.version,
      size: stats.size,
      queueWaitMs: stats.queueWaitMs,
      runMs: stats.runMs,
    });
  }

  /** Predict options that tell the model this request was validated here. */
  #validatedOptions(signal: AbortSignal, request: InferenceRequest): PredictOptions {
    const options: PredictOptions & ValidatedOptions = { signal };
    options[VALIDATED] = request;
    return options;
  }

  /**
   * Runs one request or assembled batch. `validated`: `#predict` validated this very object,
   * so the model is told it need not again; a batch of several is a new object, checked
   * again by a model that validates (a fixed first dim must not pass as a batch).
   * `started`: the batcher's, called when a worker thread takes the batch. Its failures
   * (thrown or rejected) are the model's own: callers type them with `#predictFailure` (the
   * batcher's run does, in the reaction that takes the result).
   */
  #runOne(
    request: InferenceRequest,
    signal: AbortSignal,
    validated: boolean,
    started?: () => void,
  ): PredictResult | PromiseLike<PredictResult> {
    return this.#pool
      ? this.#pool.run(request, {
          signal,
          transfer: !this.#callerOwned.has(request),
          onStart: started,
        })
      : this.#predictNow(request, validated ? this.#validatedOptions(signal, request) : { signal });
  }

  /** A typed error passes as it is; anything else is logged and becomes `ModelFailedError`. */
  #predictFailure(cause: unknown): unknown {
    const code = (cause as { code?: unknown } | null)?.code;
    if (isErrorCode(code)) {
      // A thrown plain object with a code of ours ({ code, message }) is that error, as it
      // is when it comes back from a worker thread (where only its fields cross).
      if (cause instanceof Error) return cause;
      const message = (cause as { message?: unknown }).message;
      return new InferError(
        code,
        typeof message === 'string' ? message : ERROR_CODES[code].message,
      );
    }
    this.#logger.error({ err: cause }, 'model failed to predict');
    return new ModelFailedError({ model: this.name, version: this.version, cause });
  }

  /**
   * The model's metadata, with serving facts in `parameters`: `batchable`, `max_batch_size`,
   * `workers`, and `batching_disabled_reason` when requests run one by one.
   */
  metadata(): ModelMetadataV1 {
    const metadata = this.#metadata;
    if (metadata === undefined) {
      throw new ModelNotReadyError({
        model: this.name,
        version: this.version,
        reason: this.#state,
      });
    }
    const { batchable, reason } = this.#batchability;
    return {
      ...metadata,
      name: this.name,
      parameters: {
        ...metadata.parameters,
        batchable,
        max_batch_size: batchable ? this.options.maxBatchSize : 1,
        workers: this.options.workers,
        ...(reason === undefined ? {} : { batching_disabled_reason: reason }),
      },
    };
  }

  /**
   * Runs one request through the batcher (and pool): validates it against the metadata,
   * queues it, returns its own outputs (filtered to the requested ones). A request made in
   * code is first checked for its form (typed data of each datatype, `checkInferenceRequest`).
   * Rejects with `CodecError` or `InvalidInputError` (400), `ModelNotReadyError`,
   * `OverloadedError`, `TimeoutError`, `AbortError` or `ModelFailedError`.
   *
   * @example
   * const { outputs } = await served.predict({ inputs: [x] }, { signal: AbortSignal.timeout(100) });
   */
  predict(request: InferenceRequest, options: ServedPredictOptions = {}): Promise<PredictResult> {
    // Not an async function: the batcher's promise is returned as is when no output is
    // selected (one promise and its microtask turns less per request); throws reject.
    try {
      return this.#predict(request, options);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * Keeps the requested outputs, in the requested order (all when none were requested), each
   * replaced by its classification when it asks for one (`classification.ts`).
   */
  #selectOutputs(result: PredictResult, request: InferenceRequest): PredictResult {
    const requested = request.outputs;
    if (requested === undefined || requested.length === 0) return result;
    const byName = new Map(result.outputs.map((output) => [output.name, output]));
    const outputs = requested.map((wanted) => {
      const output = byName.get(wanted.name);
      if (output === undefined) {
        throw new OutputNotFoundError({ model: this.name, output: wanted.name });
      }
      const count = wanted.parameters?.[CLASSIFICATION];
      if (count === undefined) return output;
      return classify(output, count, {
        model: this.name,
        version: this.version,
        batched: isBatchedOutput(this.model.batchable, this.#metadata, wanted.name),
      });
    });
    return { ...result, outputs };
  }

  #predict(request: InferenceRequest, options: ServedPredictOptions): Promise<PredictResult> {
    const batcher = this.#batcher;
    if (!this.ready || batcher === undefined) {
      if (batcher && (this.#state === 'closing' || this.#state === 'closed')) {
        // The batcher answers `BatcherClosedError` (503 shutting down).
        return batcher.submit(request);
      }
      throw new ModelNotReadyError({
        model: this.name,
        version: this.version,
        reason: this.loadError?.message ?? this.state,
      });
    }
    throwIfAborted(options.signal);
    // A request made in code (not decoded from a body) may hold plain arrays or typos.
    if (options.transfer !== true) checkInferenceRequest(request);
    if (this.#validate) validateRequest(request, this.#metadata!);
    // A bad classification parameter is 400 before the model runs.
    if (request.outputs !== undefined) checkClassifications(request, this.#metadata!);
    if (options.transfer !== true && this.#pool !== undefined) this.#callerOwned.add(request);
    const submitted = batcher.submit(request, {
      signal: options.signal,
      timeoutMs: options.timeoutMs ?? this.#clientTimeout(options.clientTimeoutMs),
      priority: options.priority,
    });
    const requested = request.outputs;
    if (requested === undefined || requested.length === 0) return submitted;
    return submitted.then((result) => this.#selectOutputs(result, request));
  }

  /** A client's time limit capped by the model's `timeoutMs` (`0`: the model has none). */
  #clientTimeout(clientMs: number | undefined): number | undefined {
    if (clientMs === undefined) return undefined;
    const own = this.options.timeoutMs;
    return own === 0 ? clientMs : Math.min(clientMs, own);
  }

  /** Refuses new requests, finishes queued and running ones, then unloads (or stops workers). */
  close(): Promise<void> {
    if (this.#closing) return this.#closing;
    this.#closing = (async () => {
      if (this.#starting) await this.#starting.catch(() => undefined);
      this.#state = 'closing';
      await this.#teardown();
      this.#state = 'closed';
    })();
    return this.#closing;
  }

  async #teardown(): Promise<void> {
    await this.#batcher?.close();
    const pool = this.#pool;
    this.#pool = undefined;
    if (pool) {
      await pool.close();
      this.#metrics?.setWorkers(this.name, 0, this.version);
    } else {
      await this.model.unload();
    }
  }
}

/** Rows of a request; one whose inputs disagree on dim 0 counts 1 (it runs alone). */
function rowsOf(request: InferenceRequest): number {
  return requestRows(request) ?? 1;
}

/** Batch keys; a request whose inputs disagree on dim 0 gets a key of its own. */
function keyOf(): (request: InferenceRequest) => string {
  let solo = 0;
  // The key of the last one-input request without outputs or parameters, and the input it
  // was made of: the next such request with the same name, datatype and trailing dims has
  // the same `batchKey` (it depends on nothing else), so it is not rebuilt per request.
  let last: { name: string; datatype: string; shape: number[]; key: string } | undefined;
  return (request) => {
    if (requestRows(request) === undefined) return `solo:${solo++}`;
    const { inputs } = request;
    if (inputs.length !== 1 || request.outputs !== undefined || request.parameters !== undefined) {
      return batchKey(request);
    }
    const input = inputs[0]!;
    // Input parameters (a `content_type`) are part of the key: not taken from the last one.
    if (input.parameters !== undefined) return batchKey(request);
    if (
      last !== undefined &&
      last.name === input.name &&
      last.datatype === input.datatype &&
      sameTrailingDims(last.shape, input.shape)
    ) {
      return last.key;
    }
    const key = batchKey(request);
    last = { name: input.name, datatype: input.datatype, shape: [...input.shape], key };
    return key;
  };
}

/** Whether two shapes agree on every dim after the first. */
function sameTrailingDims(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let index = 1; index < a.length; index++) if (a[index] !== b[index]) return false;
  return true;
}

/** A request of zeros (dynamic dims = 1) for warm-up. */
function zerosRequest(metadata: ModelMetadataV1): InferenceRequest {
  const inputs = metadata.inputs.map((input): Tensor => {
    const shape = input.shape.map((dim) => (dim < 0 ? 1 : dim));
    const count = shape.reduce((product, dim) => product * dim, 1);
    return {
      name: input.name,
      datatype: input.datatype,
      shape,
      data: createTypedArray(input.datatype, count),
    };
  });
  return { inputs };
}

/**
 * Wraps a model in a {@link ServedModel} and starts it.
 *
 * @example
 * const served = await loadModel(defineModel({ ... }), { workers: 0 });
 * const result = await served.predict(request);
 */
export function loadModel(model: ModelV1, options: ServedModelOptions = {}): Promise<ServedModel> {
  try {
    return new ServedModel(model, options).start();
  } catch (error) {
    return Promise.reject(error);
  }
}
