import { dirname } from 'node:path';
import type { InferenceRequest, Tensor } from '@infer/codecs';
import {
  type Logger,
  Model,
  ModelLoadFailedError,
  type ModelMetadataV1,
  ModelNotReadyError,
  type PredictResult,
  type RuntimeModelSettingsV1,
  type TensorMetadata,
  validateRequest,
  type WorkerSourceV1,
} from '@infer/core';
import * as tf from '@tensorflow/tfjs';
import { MODULE_FILE } from './module-file';
import { nativeFailed, selectTfjsBackend, type TfjsBackendSelection } from './tfjs-backend';
import { fromTfjsTensor, toTfjsTensor } from './tfjs-datatypes';
import {
  detectModelFormat,
  fileIOHandler,
  readModelJson,
  type TfjsModelFormat,
} from './tfjs-io-file';
import {
  applyOverrides,
  graphModelSpecs,
  layersModelSpecs,
  type TfjsTensorSpec,
} from './tfjs-metadata';
import {
  defaultTfjsWorkers,
  TFJS_MODEL_DEFAULTS,
  type TfjsModelOptions,
  validateTfjsModelOptions,
  WARMUP_DYNAMIC_SIZE,
} from './tfjs-model-options';

/** The package name workers import to rebuild a model. */
const MODULE = '@infer/runtime-tfjs';
/** Where this package lives: workers resolve it from here. */
const SELF_DIR = dirname(MODULE_FILE);

/** Fallback warnings already emitted in this thread. */
const warned = new Set<string>();

/**
 * Without a logger (the default, and always in a worker thread, where none crosses), a
 * backend other than the one asked for is a process warning, and so is an installed tfjs-node
 * that failed to load when none was asked for: a worker pool passes its threads' load
 * warnings to the main thread.
 */
function warnFallback(
  model: string,
  wanted: string | undefined,
  chosen: TfjsBackendSelection,
): void {
  let message: string;
  if (wanted === undefined) {
    if (!nativeFailed(chosen)) return;
    const why = chosen.failed.find((attempt) => attempt.backend === 'tensorflow')?.reason;
    message = `TF.js backend "tensorflow" is installed but could not be used for model "${model}", using "${chosen.backend}" (${why})`;
  } else {
    if (chosen.backend === wanted) return;
    const why = chosen.failed.find((attempt) => attempt.backend === wanted)?.reason;
    message =
      `TF.js backend "${wanted}" is not available for model "${model}", using "${chosen.backend}"` +
      (why === undefined ? ' (this thread already runs TF.js on it)' : ` (${why})`);
  }
  // Once per model and cause in this thread: a reload or a second load says nothing new.
  if (warned.has(message)) return;
  warned.add(message);
  process.emitWarning(message, { type: 'InferWarning', code: 'INFER_TFJS_BACKEND_FALLBACK' });
}

/** What `load()` leaves behind. */
interface Loaded {
  format: TfjsModelFormat;
  model: tf.GraphModel | tf.LayersModel;
  backend: TfjsBackendSelection;
  inputs: TfjsTensorSpec[];
  outputs: TfjsTensorSpec[];
  /** Graph models with control flow or dynamic shapes need `executeAsync`. */
  async: boolean;
}

/**
 * A TensorFlow.js graph or layers model read from disk, served through @infer: metadata
 * from the model file, the best available backend (tfjs-node-gpu / tfjs-node when
 * installed, else wasm, else cpu), requests validated before they reach TF.js, and every
 * tensor disposed so memory stays flat.
 *
 * @example
 * const model = new TfjsModel({ name: 'esrgan', path: 'node_modules/@upscalerjs/esrgan-slim/models/x2' });
 * await model.load();
 * const { outputs } = await model.predict({ inputs: [{ name: 'input_1', datatype: 'FP32', shape: [1, 32, 32, 3], data }] });
 */
export class TfjsModel extends Model {
  readonly #options: TfjsModelOptions;
  readonly #logger: Logger | undefined;
  #loaded: Loaded | undefined;

  constructor(options: TfjsModelOptions) {
    validateTfjsModelOptions(options);
    const { batching, maxQueueSize, timeoutMs } = options;
    const workers = defaultTfjsWorkers(options, new.target === TfjsModel);
    // Warm-up is done here at load (it completes metadata), so core is not asked to repeat it.
    const serving = Object.fromEntries(
      Object.entries({ batching, maxQueueSize, timeoutMs, workers }).filter(
        ([, v]) => v !== undefined,
      ),
    );
    super({ name: options.name, version: options.version, serving });
    this.#options = options;
    this.#logger = options.logger;
  }

  /** The backend this model runs on (`tensorflow`, `wasm` or `cpu`); undefined before load. */
  get backend(): TfjsBackendSelection['backend'] | undefined {
    return this.#loaded?.backend.backend;
  }

  /** The loaded TF.js model, for advanced use (benchmarks, inspection); undefined before load. */
  get tfjsModel(): tf.GraphModel | tf.LayersModel | undefined {
    return this.#loaded?.model;
  }

  protected override async doLoad(): Promise<void> {
    const options = this.#options;
    const backend = await selectTfjsBackend({
      backend: options.backend,
      strict: options.strictBackend,
      wasmPath: options.wasmPath,
      logger: this.#logger,
    });
    if (this.#logger === undefined) warnFallback(this.name, options.backend, backend);
    // What the files hold (missing, not JSON, shards that do not fit, a warm-up that fails) is
    // a ModelLoadFailedError, as OnnxModel's, and as a worker thread reports it.
    const context = { model: this.name, version: this.version };
    let file: Awaited<ReturnType<typeof readModelJson>>;
    let loaded: Loaded;
    try {
      file = await readModelJson(options.path);
      const format = options.format ?? detectModelFormat(file.json);
      if (format === undefined) {
        throw new Error(
          `cannot tell whether ${file.path} is a graph or a layers model; set options.format`,
        );
      }
      const handler = fileIOHandler(file);
      const model =
        format === 'graph' ? await tf.loadGraphModel(handler) : await tf.loadLayersModel(handler);
      const specs =
        model instanceof tf.GraphModel ? graphModelSpecs(model) : layersModelSpecs(model);
      loaded = {
        format,
        model,
        backend,
        inputs: applyOverrides(specs.inputs, options.signature?.inputs, options.inputNames),
        outputs: applyOverrides(specs.outputs, options.signature?.outputs, options.outputNames),
        async: false,
      };
    } catch (cause) {
      throw new ModelLoadFailedError({ ...context, cause });
    }
    try {
      await this.#warmup(loaded);
    } catch (cause) {
      loaded.model.dispose();
      throw new ModelLoadFailedError({ ...context, cause });
    }
    this.#loaded = loaded;
    const { format } = loaded;
    this.#logger?.info(
      { model: this.name, format, backend: backend.backend, path: file.path },
      `TF.js ${format} model "${this.name}" loaded on ${backend.backend}`,
    );
  }

  protected override doUnload(): void {
    this.#loaded?.model.dispose();
    this.#loaded = undefined;
  }

  /** Inputs, outputs (dynamic dims as -1) and, in `parameters`, the backend and format. */
  metadata(): ModelMetadataV1 {
    const loaded = this.#loaded;
    if (loaded === undefined) {
      throw new ModelNotReadyError({
        model: this.name,
        version: this.version,
        reason: 'not loaded',
      });
    }
    return {
      name: this.name,
      ...(this.version !== undefined && { versions: [this.version] }),
      platform: `tfjs_${loaded.format}`,
      inputs: loaded.inputs.map(toMetadata),
      outputs: loaded.outputs.map(toMetadata),
      parameters: {
        backend: loaded.backend.backend,
        backend_provider: loaded.backend.provider,
        format: loaded.format,
        tfjs_version: tf.version_core,
      },
    };
  }

  protected override async doPredict(request: InferenceRequest): Promise<PredictResult> {
    const loaded = this.#loaded as Loaded;
    validateRequest(request, this.metadata());
    // No list, or an empty one, asks for every output (as in the ONNX runtime).
    const wanted = request.outputs?.map((o) => o.name) ?? [];
    const outputs =
      wanted.length > 0 ? loaded.outputs.filter((o) => wanted.includes(o.name)) : loaded.outputs;
    return { outputs: await this.#run(loaded, request.inputs, outputs) };
  }

  /**
   * {@link run}, switching a graph model to `executeAsync` for good the first time
   * `execute` refuses it (dynamic ops such as `Where`, control flow), and running again.
   * Warm-up usually finds this at load; with `warmup: false` the first request does.
   */
  async #run(
    loaded: Loaded,
    inputs: readonly Tensor[],
    wanted: readonly TfjsTensorSpec[],
  ): Promise<Tensor[]> {
    const ranAsync = loaded.async;
    try {
      return await run(loaded, inputs, wanted);
    } catch (error) {
      if (ranAsync || loaded.format !== 'graph' || !needsExecuteAsync(error)) throw error;
      // A request that ran alongside may have switched already; log the switch once.
      if (!loaded.async) {
        loaded.async = true;
        this.#logger?.info(
          { model: this.name, reason: (error as Error).message.split('\n')[0] },
          `TF.js graph model "${this.name}" has dynamic ops: running it with executeAsync`,
        );
      }
      return await run(loaded, inputs, wanted);
    }
  }

  /**
   * Settings that rebuild this model in a worker thread through the plugin's `create()`.
   * Serving knobs stay with the parent (the replica runs in-process in its worker).
   */
  workerSource(): WorkerSourceV1 {
    const o = this.#options;
    const parameters = Object.fromEntries(
      Object.entries({
        format: o.format,
        backend: o.backend,
        strictBackend: o.strictBackend,
        wasmPath: o.wasmPath,
        signature: o.signature,
        inputNames: o.inputNames,
        outputNames: o.outputNames,
      }).filter(([, value]) => value !== undefined),
    );
    const settings: RuntimeModelSettingsV1 = {
      name: this.name,
      ...(this.version !== undefined && { version: this.version }),
      uri: o.path,
      ...(o.warmup !== undefined && { warmup: o.warmup }),
      parameters,
    };
    // From this package's own folder: the worker finds the installation the app loaded.
    return { module: MODULE, resolveFrom: SELF_DIR, settings };
  }

  /** Runs zeros (or the given request) once; fills in output datatype/rank the file left out. */
  async #warmup(loaded: Loaded): Promise<void> {
    const warmup = this.#options.warmup ?? TFJS_MODEL_DEFAULTS.warmup;
    const incomplete = loaded.outputs.some(
      (o) => o.datatype === undefined || o.shape === undefined,
    );
    if (warmup === false && !incomplete) return;
    const missing = loaded.inputs.find((i) => i.datatype === undefined || i.shape === undefined);
    if (typeof warmup !== 'object' && missing !== undefined) {
      throw new Error(
        `model.json does not give the datatype and shape of input "${missing.key}"; set options.signature.inputs`,
      );
    }
    const inputs = typeof warmup === 'object' ? warmup.inputs : loaded.inputs.map(zerosFor);
    const started = performance.now();
    const results = await this.#run(loaded, inputs, loaded.outputs);
    loaded.outputs = loaded.outputs.map((spec, index) => {
      const result = results[index] as Tensor;
      return {
        ...spec,
        datatype: spec.datatype ?? (result.datatype as TfjsTensorSpec['datatype']),
        shape: spec.shape ?? result.shape.map(() => -1),
      };
    });
    this.#logger?.debug(
      { model: this.name, ms: Math.round(performance.now() - started), async: loaded.async },
      'TF.js warm-up done',
    );
  }
}

/** Whether `GraphModel.execute` refused a graph that only `executeAsync` can run. */
function needsExecuteAsync(error: unknown): boolean {
  return /Please use model\.executeAsync\(\)/.test(error instanceof Error ? error.message : '');
}

function toMetadata(spec: TfjsTensorSpec): TensorMetadata {
  return { name: spec.name, datatype: spec.datatype ?? 'FP32', shape: spec.shape ?? [] };
}

function zerosFor(spec: TfjsTensorSpec): Tensor {
  const shape = (spec.shape ?? []).map((dim, index) =>
    dim >= 0 ? dim : index === 0 ? 1 : WARMUP_DYNAMIC_SIZE,
  );
  const count = shape.reduce((product, dim) => product * dim, 1);
  const name = spec.name;
  switch (spec.datatype) {
    case 'INT32':
      return { name, datatype: 'INT32', shape, data: new Int32Array(count) };
    case 'BOOL':
      return { name, datatype: 'BOOL', shape, data: new Uint8Array(count) };
    case 'BYTES':
      return {
        name,
        datatype: 'BYTES',
        shape,
        data: Array.from({ length: count }, () => new Uint8Array(0)),
      };
    default:
      return { name, datatype: 'FP32', shape, data: new Float32Array(count) };
  }
}

/**
 * Runs the model on validated inputs and reads the wanted outputs; every tensor made here
 * (inputs, intermediates, outputs) is disposed before it returns or throws.
 */
async function run(
  loaded: Loaded,
  inputs: readonly Tensor[],
  wanted: readonly TfjsTensorSpec[],
): Promise<Tensor[]> {
  const byName = new Map(inputs.map((tensor) => [tensor.name, tensor]));
  const feeds: tf.Tensor[] = [];
  let results: tf.Tensor[] = [];
  try {
    for (const spec of loaded.inputs) {
      const tensor = byName.get(spec.name);
      if (tensor === undefined) throw new Error(`input "${spec.name}" is missing`);
      feeds.push(toTfjsTensor(tensor));
    }
    results = await execute(loaded, feeds, wanted);
    return await Promise.all(
      results.map((tensor, index) =>
        fromTfjsTensor((wanted[index] as TfjsTensorSpec).name, tensor),
      ),
    );
  } finally {
    tf.dispose(feeds);
    tf.dispose(results);
  }
}

async function execute(
  loaded: Loaded,
  feeds: tf.Tensor[],
  wanted: readonly TfjsTensorSpec[],
): Promise<tf.Tensor[]> {
  const model = loaded.model;
  if (model instanceof tf.GraphModel) {
    const named: tf.NamedTensorMap = {};
    loaded.inputs.forEach((spec, index) => {
      named[spec.key] = feeds[index] as tf.Tensor;
    });
    const keys = wanted.map((spec) => spec.key);
    // executeAsync disposes its own intermediates; execute runs in tidy so none survive.
    const out = loaded.async
      ? await model.executeAsync(named, keys)
      : tf.tidy(() => model.execute(named, keys));
    return Array.isArray(out) ? out : [out];
  }
  return tf.tidy(() => {
    const input = feeds.length === 1 ? (feeds[0] as tf.Tensor) : feeds;
    // predict() splits the rows into batches of 32 and concatenates the results, which
    // fails for zero rows; apply() runs the graph once on the whole input.
    const out =
      feeds[0]?.shape[0] === 0
        ? (model.apply(input, { training: false }) as tf.Tensor | tf.Tensor[])
        : model.predict(input);
    const all = Array.isArray(out) ? out : [out];
    return wanted.map(
      (spec) => all[loaded.outputs.findIndex((o) => o.key === spec.key)] as tf.Tensor,
    );
  });
}
