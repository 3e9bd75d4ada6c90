import { stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { InferenceRequest, Tensor } from '@infer/codecs';
import {
  InvalidOptionError,
  Model,
  ModelLoadFailedError,
  type ModelMetadataV1,
  ModelNotReadyError,
  type PredictResult,
  type ServingOptionsV1,
  validateRequest,
  type WorkerSourceContextV1,
  type WorkerSourceV1,
} from '@infer/core';
import ort, { type InferenceSession } from 'onnxruntime-node';
import { toInferError } from './errors';
import {
  DEFAULT_ONNX_OPTIONS,
  defaultIntraOpThreads,
  defaultWorkers,
  type OnnxModelOptions,
  ortSessionOptions,
  resolveSpinning,
  validateOnnxOptions,
} from './onnx-options';
import { createSession, type ExecutionProvider, type SkippedProvider } from './onnx-providers';
import { readSignature } from './onnx-signature';
import { fromOrtTensor, toOrtTensor } from './onnx-tensor';

/**
 * The package name workers import to rebuild an {@link OnnxModel}.
 *
 * @example
 * model.workerSource().module === RUNTIME_NAME; // true
 */
export const RUNTIME_NAME = '@infer/runtime-onnx';

/** Where this module lives (ESM or CJS build): workers resolve the package from here. */
const SELF_DIR = dirname(
  typeof __filename === 'string' ? __filename : fileURLToPath(import.meta.url),
);

/**
 * The OIP/Triton platform name of ONNX Runtime models.
 *
 * @example
 * model.metadata().platform === ONNX_PLATFORM; // 'onnxruntime_onnx'
 */
export const ONNX_PLATFORM = 'onnxruntime_onnx';

const SERVING_KEYS = ['batching', 'maxQueueSize', 'timeoutMs', 'workers', 'warmup'] as const;

function servingOf(options: OnnxModelOptions, workers: number): ServingOptionsV1 {
  const serving: Record<string, unknown> = {};
  for (const key of SERVING_KEYS) if (options[key] !== undefined) serving[key] = options[key];
  serving.workers = workers;
  return serving as ServingOptionsV1;
}

const defaultLogger = {
  warn(object: object, message?: string): void {
    process.emitWarning(message ?? 'onnxruntime warning', {
      type: 'InferWarning',
      code: 'INFER_ONNX_PROVIDER_FALLBACK',
      detail: JSON.stringify(object),
    });
  },
};

/**
 * An ONNX model served by ONNX Runtime (onnxruntime-node): the session is created on
 * `load()`, its inputs and outputs become OIP metadata (dynamic dims as -1), requests are
 * checked against them (400 naming the input) and fed to `session.run` without copying
 * numeric data.
 *
 * @example
 * const model = new OnnxModel({ name: 'mobilenet', path: 'models/mobilenet/model.onnx' });
 * await model.load();
 * const { outputs } = await model.predict({ inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 3, 224, 224], data: pixels }] });
 */
export class OnnxModel extends Model {
  readonly #source: string | Uint8Array;
  readonly #sessionOptions: InferenceSession.SessionOptions;
  readonly #providers: readonly ExecutionProvider[];
  readonly #strictProviders: boolean;
  /**
   * `intraOpThreads` (or `sessionOptions.intraOpNumThreads`) as given; undefined: by cores.
   * ORT's `intraOpNumThreads: 0` ("let ORT choose") counts as not given.
   */
  readonly #explicitIntraOpThreads: number | undefined;
  readonly #workers: number;
  readonly #intraOpSpinning: boolean;
  readonly #interOpThreads: number;
  readonly #logger: OnnxModelOptions['logger'] & object;
  #session: InferenceSession | undefined;
  #metadata: ModelMetadataV1 | undefined;
  #outputNames: string[] = [];
  #provider: string | undefined;
  #skipped: SkippedProvider[] = [];

  constructor(options: OnnxModelOptions) {
    validateOnnxOptions(options);
    const workers = defaultWorkers(options, new.target === OnnxModel);
    super({ name: options.name, version: options.version, serving: servingOf(options, workers) });
    this.#source = options.path !== undefined ? resolve(options.path) : options.bytes!;
    this.#sessionOptions = { ...options.sessionOptions };
    this.#providers = options.executionProviders ?? [...DEFAULT_ONNX_OPTIONS.executionProviders];
    this.#strictProviders = options.strictProviders ?? DEFAULT_ONNX_OPTIONS.strictProviders;
    this.#explicitIntraOpThreads =
      options.intraOpThreads ?? (options.sessionOptions?.intraOpNumThreads || undefined);
    this.#workers = workers;
    this.#interOpThreads =
      options.interOpThreads ??
      options.sessionOptions?.interOpNumThreads ??
      DEFAULT_ONNX_OPTIONS.interOpThreads;
    this.#intraOpSpinning = resolveSpinning(options);
    this.#logger = options.logger ?? defaultLogger;
  }

  /** The provider the session runs on (`'cpu'`, `'cuda'`, ...); undefined before `load()`. */
  get executionProvider(): string | undefined {
    return this.#provider;
  }

  /** Requested providers that were not used, with the reason; empty before `load()`. */
  get skippedProviders(): readonly SkippedProvider[] {
    return this.#skipped;
  }

  /**
   * Intra-op threads of each session when served with the model's own `workers`: the option
   * if given, else the cores split among the workers. Served with another worker count
   * (`loadModel()`/`repository.add()` options), the cores are split by that count; in-process
   * (`workers: 0`, or `load()` called directly) the session takes every core. The count a
   * loaded model runs with is `metadata().parameters.intra_op_threads`.
   */
  get intraOpThreads(): number {
    return this.#intraOpThreadsFor(this.#workers);
  }

  /** Intra-op threads for a session beside `workers - 1` others (0: in-process, alone). */
  #intraOpThreadsFor(workers: number): number {
    return this.#explicitIntraOpThreads ?? defaultIntraOpThreads(undefined, workers);
  }

  /** Inter-op threads of the session. */
  get interOpThreads(): number {
    return this.#interOpThreads;
  }

  /** Whether the session's intra-op threads spin between operators (default `false`). */
  get intraOpSpinning(): boolean {
    return this.#intraOpSpinning;
  }

  /** The ONNX Runtime session, for what this class does not cover; undefined before `load()`. */
  get session(): InferenceSession | undefined {
    return this.#session;
  }

  /** Name, platform `onnxruntime_onnx`, inputs and outputs read from the session, and the provider and threads in `parameters`. */
  metadata(): ModelMetadataV1 {
    if (this.#metadata === undefined) {
      throw new ModelNotReadyError({
        model: this.name,
        version: this.version,
        reason: 'not loaded',
      });
    }
    return this.#metadata;
  }

  protected override async doLoad(): Promise<void> {
    const context = { model: this.name, version: this.version };
    // Loaded here, the session runs in this thread: a worker's copy is built with its share
    // in `intraOpThreads` (see workerSource()).
    const intraOpThreads = this.#intraOpThreadsFor(0);
    let created: Awaited<ReturnType<typeof createSession>>;
    try {
      const source = await this.#resolveSource();
      const sessionOptions = ortSessionOptions(this.#sessionOptions, {
        intraOpThreads,
        interOpThreads: this.#interOpThreads,
        spinning: this.#intraOpSpinning,
      });
      created = await createSession(source, sessionOptions, this.#providers, {
        cpuFallback: !this.#strictProviders,
      });
    } catch (cause) {
      throw new ModelLoadFailedError({ ...context, cause });
    }
    const { session, provider, skipped } = created;
    try {
      const signature = readSignature(session);
      this.#outputNames = signature.outputs.map((output) => output.name);
      this.#metadata = {
        name: this.name,
        ...(this.version !== undefined ? { versions: [this.version] } : {}),
        platform: ONNX_PLATFORM,
        inputs: [...signature.inputs],
        outputs: [...signature.outputs],
        parameters: {
          execution_provider: provider,
          intra_op_threads: intraOpThreads,
          inter_op_threads: this.#interOpThreads,
          intra_op_spinning: this.#intraOpSpinning,
          onnxruntime_version: ort.env.versions.node ?? ort.env.versions.common,
          // Read by the server's batchability check (`batchabilityOf`), also across threads.
          ...(signature.notBatchable === undefined
            ? {}
            : { batchable: false, batching_disabled_reason: signature.notBatchable }),
        },
      };
    } catch (cause) {
      await session.release();
      throw new ModelLoadFailedError({ ...context, cause });
    }
    this.#session = session;
    this.#provider = provider;
    this.#skipped = skipped;
    if (skipped.length > 0) {
      this.#logger.warn(
        { model: this.name, version: this.version, provider, skipped },
        `model "${this.name}": execution provider ${skipped.map((entry) => entry.name).join(', ')} not available, running on ${provider}: ${skipped.map((entry) => entry.reason).join('; ')}`,
      );
    }
  }

  protected override async doUnload(): Promise<void> {
    const session = this.#session;
    this.#session = undefined;
    this.#metadata = undefined;
    this.#provider = undefined;
    await session?.release();
  }

  protected override async doPredict(request: InferenceRequest): Promise<PredictResult> {
    const session = this.#session!;
    validateRequest(request, this.#metadata!);
    const feeds: Record<string, ort.Tensor> = {};
    for (const tensor of request.inputs) feeds[tensor.name] = toOrtTensor(tensor);
    const names =
      request.outputs !== undefined && request.outputs.length > 0
        ? request.outputs.map((output) => output.name)
        : this.#outputNames;
    let results: InferenceSession.ReturnType;
    try {
      results = await session.run(feeds, names);
    } catch (error) {
      throw toInferError(error, { model: this.name, version: this.version });
    }
    const outputs: Tensor[] = [];
    for (const name of names) {
      const tensor = fromOrtTensor(name, results[name] as ort.Tensor);
      if (tensor !== undefined) outputs.push(tensor);
    }
    return { outputs };
  }

  /**
   * How a worker thread rebuilds this model: `@infer/runtime-onnx`'s plugin with the path and
   * the resolved ORT options. Intra-op threads, unless given, split the cores among
   * `context.workers` (core passes the pool's size; default: the model's own `workers`), so
   * `loadModel(model, { workers: 4 })` does not run 4 sessions of every core each. A subclass
   * that overrides this passes `context` on (`super.workerSource(context)`). Throws for a
   * model made from `bytes`.
   */
  workerSource(context?: WorkerSourceContextV1): WorkerSourceV1 {
    if (typeof this.#source !== 'string') {
      throw new InvalidOptionError(
        'options.bytes',
        'cannot be used with workers: worker threads rebuild the model from options.path',
      );
    }
    const parameters: Record<string, unknown> = {
      executionProviders: this.#providers,
      strictProviders: this.#strictProviders,
      intraOpThreads: this.#intraOpThreadsFor(context?.workers ?? this.#workers),
      interOpThreads: this.#interOpThreads,
      intraOpSpinning: this.#intraOpSpinning,
    };
    if (Object.keys(this.#sessionOptions).length > 0)
      parameters.sessionOptions = this.#sessionOptions;
    return {
      module: RUNTIME_NAME,
      // From this package's own folder: the worker finds the very installation the app
      // loaded, wherever the process was started (a workspace's nested node_modules too).
      resolveFrom: SELF_DIR,
      settings: {
        name: this.name,
        ...(this.version !== undefined ? { version: this.version } : {}),
        uri: this.#source,
        parameters,
      },
    };
  }

  /** A directory path means its `model.onnx`, as in a model repository folder. */
  async #resolveSource(): Promise<string | Uint8Array> {
    const source = this.#source;
    if (typeof source !== 'string') return source;
    const info = await stat(source);
    return info.isDirectory() ? join(source, 'model.onnx') : source;
  }
}
