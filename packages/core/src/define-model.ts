import { DATATYPES, type InferenceRequest, type Parameters, type Tensor } from '@infer/codecs';
import { InvalidOptionError } from './errors';
import { isThenable, Model } from './model';
import { type ModelRequest, withInputs } from './model-input';
import type {
  ModelMetadataV1,
  PredictOptions,
  PredictResult,
  ServingOptionsV1,
  TensorMetadata,
  WorkerSourceContextV1,
  WorkerSourceV1,
} from './spec';
import { UNVALIDATED, VALIDATED, type ValidatedOptions, validateRequest } from './validate-request';

/** What a {@link defineModel} hook receives besides the request. */
export interface ModelContext<State> {
  /** What `load()` returned (weights, a session, a lookup table). */
  readonly state: State;
  /** Aborted when the caller gives up; pass it to anything long-running. */
  readonly signal: AbortSignal | undefined;
}

/** Options of {@link defineModel}: metadata, and the hooks of the model's life. */
export interface DefineModelOptions<State> {
  /** Model name in URLs; no `/`. */
  name: string;
  /** Model version; no `/`. Default: none. */
  version?: string;
  /** Platform string of the metadata. Default `'custom'`. */
  platform?: string;
  /** Declared inputs; `-1` marks a dynamic dim. Requests are validated against them. */
  inputs: TensorMetadata[];
  /** Declared outputs; `-1` marks a dynamic dim. */
  outputs: TensorMetadata[];
  /** Extra metadata parameters. Default: none. */
  parameters?: Parameters;
  /** Runs once per load; what it returns is `context.state`. Default: none. */
  load?: () => State | Promise<State>;
  /** Runs on unload with the state. Default: none. */
  unload?: (state: State) => void | Promise<void>;
  /** Turns a request into what `predict` wants. Default: as is. */
  preprocess?: (
    request: ModelRequest,
    context: ModelContext<State>,
  ) => InferenceRequest | Promise<InferenceRequest>;
  /** Computes outputs; may return `{ outputs }` or just the output tensors. */
  predict: (
    request: ModelRequest,
    context: ModelContext<State>,
  ) => PredictResult | Tensor[] | Promise<PredictResult | Tensor[]>;
  /** Turns `predict`'s result into the response. Default: as is. */
  postprocess?: (
    result: PredictResult,
    request: InferenceRequest,
    context: ModelContext<State>,
  ) => PredictResult | Promise<PredictResult>;
  /** Whether dim 0 is a batch dim. Default: inferred from inputs/outputs (`shape[0] === -1`). */
  batchable?: boolean;
  /** Serving knobs (batching, timeout, workers, warm-up). Default: core's defaults. */
  serving?: ServingOptionsV1;
  /**
   * How to rebuild this model in a worker thread (needed for `workers > 0`), given the size of
   * the pool (`{ workers }`).
   */
  workerSource?: (context: WorkerSourceContextV1) => WorkerSourceV1;
  /**
   * Validate each request against `inputs`. Default `true`. `false` holds when the model is
   * served too: `loadModel()`, `repository.add()` and `serve()` then do not check its
   * requests either (unless given `validate: true`).
   */
  validate?: boolean;
}

function checkTensorMetadata(list: unknown, path: string): void {
  if (!Array.isArray(list)) throw new InvalidOptionError(path, 'must be an array');
  const names = new Set<string>();
  list.forEach((item: Partial<TensorMetadata>, index) => {
    const at = `${path}[${index}]`;
    if (typeof item?.name !== 'string' || item.name === '') {
      throw new InvalidOptionError(`${at}.name`, 'must be a non-empty string');
    }
    if (names.has(item.name)) throw new InvalidOptionError(`${at}.name`, `repeats "${item.name}"`);
    names.add(item.name);
    if (!(DATATYPES as readonly unknown[]).includes(item.datatype)) {
      throw new InvalidOptionError(`${at}.datatype`, `must be one of ${DATATYPES.join(', ')}`);
    }
    if (
      !Array.isArray(item.shape) ||
      !item.shape.every((dim) => Number.isInteger(dim) && dim >= -1)
    ) {
      throw new InvalidOptionError(`${at}.shape`, 'must be an array of integers >= -1');
    }
  });
}

const HOOKS = ['load', 'unload', 'preprocess', 'postprocess', 'workerSource'] as const;

/**
 * A model made from plain functions, returned by {@link defineModel}.
 *
 * @example
 * const model: DefinedModel<undefined> = defineModel({ name: 'm', inputs: [], outputs: [], predict: () => [] });
 */
export class DefinedModel<State> extends Model {
  readonly #options: DefineModelOptions<State>;
  #state: State | undefined;

  constructor(options: DefineModelOptions<State>) {
    super(options);
    checkTensorMetadata(options.inputs, 'options.inputs');
    checkTensorMetadata(options.outputs, 'options.outputs');
    if (typeof options.predict !== 'function') {
      throw new InvalidOptionError('options.predict', 'must be a function');
    }
    for (const hook of HOOKS) {
      if (options[hook] !== undefined && typeof options[hook] !== 'function') {
        throw new InvalidOptionError(`options.${hook}`, 'must be a function');
      }
    }
    this.#options = options;
    if (options.validate === false) Object.defineProperty(this, UNVALIDATED, { value: true });
    const { workerSource } = options;
    if (workerSource) {
      // Core always passes the pool's size; another caller gets the model's own setting.
      this.workerSource = (context) =>
        workerSource(context ?? { workers: Math.max(1, options.serving?.workers ?? 1) });
    }
  }

  /** Set when the options gave `workerSource`. */
  declare workerSource?: (context?: WorkerSourceContextV1) => WorkerSourceV1;

  metadata(): ModelMetadataV1 {
    const options = this.#options;
    return {
      name: this.name,
      ...(this.version === undefined ? {} : { versions: [this.version] }),
      platform: options.platform ?? 'custom',
      inputs: options.inputs,
      outputs: options.outputs,
      ...(options.parameters ? { parameters: options.parameters } : {}),
    };
  }

  protected override async doLoad(): Promise<void> {
    this.#state = this.#options.load ? await this.#options.load() : undefined;
  }

  protected override async doUnload(): Promise<void> {
    const state = this.#state as State;
    this.#state = undefined;
    await this.#options.unload?.(state);
  }

  /**
   * What requests are validated against: `metadata()`, or just its name, inputs and outputs
   * (no copy of the rest per request) when a subclass did not override it.
   */
  #declared(): Pick<ModelMetadataV1, 'name' | 'inputs' | 'outputs'> {
    if (this.metadata !== DefinedModel.prototype.metadata) return this.metadata();
    const options = this.#options;
    return { name: this.name, inputs: options.inputs, outputs: options.outputs };
  }

  #context(options: PredictOptions): ModelContext<State> {
    return { state: this.#state as State, signal: options.signal };
  }

  protected override preprocess(
    request: InferenceRequest,
    options: PredictOptions,
  ): InferenceRequest | Promise<InferenceRequest> {
    // ServedModel has checked this very request against the same metadata: not twice.
    if (this.#options.validate !== false && (options as ValidatedOptions)[VALIDATED] !== request) {
      validateRequest(request, this.#declared());
    }
    const hook = this.#options.preprocess;
    return hook ? hook(withInputs(request), this.#context(options)) : request;
  }

  protected override doPredict(
    request: InferenceRequest,
    options: PredictOptions,
  ): PredictResult | Promise<PredictResult> {
    const returned = this.#options.predict(withInputs(request), this.#context(options));
    // A synchronous predict is answered without a promise of its own (Model.predict awaits
    // only thenables).
    return isThenable(returned) ? Promise.resolve(returned).then(asResult) : asResult(returned);
  }

  protected override postprocess(
    result: PredictResult,
    request: InferenceRequest,
    options: PredictOptions,
  ): PredictResult | Promise<PredictResult> {
    const hook = this.#options.postprocess;
    return hook ? hook(result, request, this.#context(options)) : result;
  }
}

/** A predict function's answer as a `PredictResult` (an array is the outputs). */
function asResult(result: PredictResult | Tensor[]): PredictResult {
  return Array.isArray(result) ? { outputs: result } : result;
}

/**
 * Defines a model from plain functions, so a custom model is ~10 lines; requests are
 * validated against the declared inputs (names, datatypes, shapes with `-1`) and a
 * mismatch throws `InvalidInputError` (400) naming the input and the expectation.
 *
 * @example
 * const doubler = defineModel({
 *   name: 'doubler',
 *   inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, 3] }],
 *   outputs: [{ name: 'y', datatype: 'FP32', shape: [-1, 3] }],
 *   predict: (request) => {
 *     const x = request.input('x').tensor;
 *     return [{ ...x, name: 'y', data: (x.data as Float32Array).map((v) => v * 2) }];
 *   },
 * });
 */
export function defineModel<State = undefined>(
  options: DefineModelOptions<State>,
): DefinedModel<State> {
  return new DefinedModel(options);
}
