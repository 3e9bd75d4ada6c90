import { AbortError } from '@infer/batching';
import type { InferenceRequest } from '@infer/codecs';
import { InvalidOptionError, ModelNotReadyError } from './errors';
import type {
  ModelMetadataV1,
  ModelV1,
  PredictOptions,
  PredictResult,
  ServingOptionsV1,
} from './spec';

/** Options of the {@link Model} constructor. */
export interface ModelOptions {
  /** Model name, as it appears in `/v2/models/{name}`; no `/`. */
  name: string;
  /** Model version, as in `/v2/models/{name}/versions/{version}`; no `/`. Default: none. */
  version?: string | undefined;
  /** Whether dim 0 is a batch dim. Default: inferred from metadata by `ServedModel`. */
  batchable?: boolean | undefined;
  /** Serving knobs (batching, workers, timeout). Default: core's defaults. */
  serving?: ServingOptionsV1 | undefined;
}

/**
 * Checks a model or version name can live in one URL path segment.
 *
 * @internal
 * @example
 * assertName('resnet', 'options.name');
 */
export function assertName(value: unknown, path: string): asserts value is string {
  if (typeof value !== 'string' || value === '' || /[/\\?#\s]/.test(value) || value === '..') {
    throw new InvalidOptionError(
      path,
      'must be a non-empty string without "/", "\\", "?", "#" or spaces',
    );
  }
}

/**
 * Rejects at once with an `AbortError` (cause: the reason) when `signal` is already aborted.
 *
 * @internal
 * @example
 * throwIfAborted(options.signal);
 */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new AbortError(signal.reason);
}

/**
 * Whether `value` is a promise (or any thenable `await` would adopt).
 *
 * @internal
 * @example
 * isThenable(Promise.resolve(1)); // true
 */
export function isThenable<T>(value: T | PromiseLike<T>): value is PromiseLike<T> {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

/**
 * @internal The key of `Model`'s synchronous-when-possible predict (see `predictNow`).
 */
export const PREDICT_NOW = Symbol('infer.predictNow');

/**
 * `model`'s predict as core's batcher runs it: `Model`'s own synchronous-when-possible form
 * while a `Model`'s `predict` is not overridden or replaced (the result, or a promise), else
 * `model.predict` (a promise).
 *
 * @internal
 * @example
 * const predict = predictNow(model);
 * const result = predict(request, { signal }); // PredictResult | PromiseLike<PredictResult>
 */
export function predictNow(
  model: ModelV1,
): (
  request: InferenceRequest,
  options: PredictOptions,
) => PredictResult | PromiseLike<PredictResult> {
  if (!(model instanceof Model)) return (request, options) => model.predict(request, options);
  const own = Model.prototype.predict;
  // Looked at per call: `predict` replaced on the instance later (a spy) is called as well.
  return (request, options) =>
    model.predict === own ? model[PREDICT_NOW](request, options) : model.predict(request, options);
}

/**
 * Base class of models (the MLServer `MLModel` / TorchServe handler shape): load once,
 * predict many. Subclasses implement `metadata()` and `doPredict()`, and may override
 * `doLoad()`, `doUnload()`, `preprocess()` and `postprocess()`. `load()` and `unload()` are
 * idempotent and concurrent calls coalesce.
 *
 * @example
 * class Doubler extends Model {
 *   metadata() { return { name: this.name, platform: 'js', inputs: [x], outputs: [x] }; }
 *   protected doPredict(request: InferenceRequest) {
 *     const x = request.inputs[0]!;
 *     return { outputs: [{ ...x, data: (x.data as Float32Array).map((v) => v * 2) }] };
 *   }
 * }
 */
export abstract class Model implements ModelV1 {
  readonly specificationVersion = 'v1' as const;
  readonly name: string;
  readonly version: string | undefined;
  readonly batchable: boolean | undefined;
  readonly serving: ServingOptionsV1 | undefined;
  #ready = false;
  #loading: Promise<void> | undefined;
  #unloading: Promise<void> | undefined;

  constructor(options: ModelOptions) {
    if (typeof options !== 'object' || options === null) {
      throw new InvalidOptionError('options', 'must be an object');
    }
    assertName(options.name, 'options.name');
    if (options.version !== undefined) assertName(options.version, 'options.version');
    if (options.batchable !== undefined && typeof options.batchable !== 'boolean') {
      throw new InvalidOptionError('options.batchable', 'must be a boolean');
    }
    this.name = options.name;
    this.version = options.version;
    this.batchable = options.batchable;
    this.serving = options.serving;
  }

  /** True between a successful `load()` and `unload()`. */
  get ready(): boolean {
    return this.#ready;
  }

  /** Loads the model once; concurrent calls share one `doLoad()`. */
  load(): Promise<void> {
    if (this.#ready) return Promise.resolve();
    if (this.#loading) return this.#loading;
    const loading = (async () => {
      if (this.#unloading) await this.#unloading;
      await this.doLoad();
      this.#ready = true;
    })().finally(() => {
      this.#loading = undefined;
    });
    this.#loading = loading;
    return loading;
  }

  /** Unloads the model (after any load in progress); a no-op when not loaded. */
  unload(): Promise<void> {
    if (this.#unloading) return this.#unloading;
    const unloading = (async () => {
      if (this.#loading) await this.#loading.catch(() => undefined);
      if (!this.#ready) return;
      this.#ready = false;
      await this.doUnload();
    })().finally(() => {
      this.#unloading = undefined;
    });
    this.#unloading = unloading;
    return unloading;
  }

  /** The model's name, versions, platform, inputs and outputs; valid once loaded. */
  abstract metadata(): ModelMetadataV1;

  /** Runs `preprocess` -> `doPredict` -> `postprocess`; rejects when not loaded or aborted. */
  predict(request: InferenceRequest, options: PredictOptions = {}): Promise<PredictResult> {
    try {
      return Promise.resolve(this[PREDICT_NOW](request, options));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * @internal `predict` without a promise of its own when the hooks answer synchronously:
   * the result itself, or the last hook's promise; throws instead of rejecting. What core
   * serves a model by when `predict` is not overridden (a promise less per batch).
   */
  [PREDICT_NOW](
    request: InferenceRequest,
    options: PredictOptions,
  ): PredictResult | PromiseLike<PredictResult> {
    if (!this.#ready) {
      throw new ModelNotReadyError({
        model: this.name,
        version: this.version,
        reason: 'not loaded',
      });
    }
    throwIfAborted(options.signal);
    // Hooks that answer synchronously are not awaited (each await costs a microtask turn).
    const preprocessed = this.preprocess(request, options);
    return isThenable(preprocessed)
      ? Promise.resolve(preprocessed).then((prepared) => this.#run(prepared, request, options))
      : this.#run(preprocessed, request, options);
  }

  /** `doPredict` -> `postprocess` on a pre-processed request. */
  #run(
    prepared: InferenceRequest,
    request: InferenceRequest,
    options: PredictOptions,
  ): PredictResult | PromiseLike<PredictResult> {
    const predicted = this.doPredict(prepared, options);
    return isThenable(predicted)
      ? Promise.resolve(predicted).then((result) => this.postprocess(result, request, options))
      : this.postprocess(predicted, request, options);
  }

  /** Loads weights, sessions, files. Called once per `load()`. Default: nothing. */
  protected doLoad(): void | Promise<void> {}

  /** Frees what `doLoad()` took. Default: nothing. */
  protected doUnload(): void | Promise<void> {}

  /** Turns the request into what `doPredict()` wants (TorchServe `preprocess`). Default: as is. */
  protected preprocess(
    request: InferenceRequest,
    _options: PredictOptions,
  ): InferenceRequest | Promise<InferenceRequest> {
    return request;
  }

  /** Runs the model on a (pre-processed) request. */
  protected abstract doPredict(
    request: InferenceRequest,
    options: PredictOptions,
  ): PredictResult | Promise<PredictResult>;

  /** Turns the raw result into the response (TorchServe `postprocess`). Default: as is. */
  protected postprocess(
    result: PredictResult,
    _request: InferenceRequest,
    _options: PredictOptions,
  ): PredictResult | Promise<PredictResult> {
    return result;
  }
}
