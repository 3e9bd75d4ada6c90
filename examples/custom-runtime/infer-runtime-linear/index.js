// infer-runtime-linear: a third-party @infer runtime plugin, as it would be published on npm.
// It needs nothing from @infer at run time: the contract (RuntimePluginV1 / ModelV1,
// specificationVersion 'v1') is plain objects and methods, and errors are recognised by
// their `code`. Model settings name it by package name:
//   { "name": "linear", "runtime": "infer-runtime-linear", "uri": "./weights.json" }
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

const PLATFORM = 'infer-runtime-linear';

/** Serving knobs core applies (batching, queue, timeout, workers, warm-up), kept from settings. */
const SERVING_KEYS = ['batching', 'maxQueueSize', 'timeoutMs', 'workers', 'warmup'];

/** An error core maps to an HTTP status by its code (400 for `INFER_ERR_INVALID_INPUT`). */
function inferError(code, message) {
  return Object.assign(new Error(message), { code });
}

/**
 * Reads and checks the weights file: `{ "weights": number[inputs][outputs],
 * "bias": number[outputs], "input"?: "x", "output"?: "y" }`.
 */
async function readWeights(path) {
  let json;
  try {
    json = JSON.parse(await readFile(path, 'utf8'));
  } catch (error) {
    throw new Error(`cannot read the weights file ${path}: ${error.message}`, { cause: error });
  }
  const { weights, bias, input = 'x', output = 'y' } = json ?? {};
  const isNumbers = (row) => Array.isArray(row) && row.every((v) => typeof v === 'number');
  if (!Array.isArray(weights) || weights.length === 0 || !weights.every(isNumbers)) {
    throw new Error(
      `${path}: "weights" must be a non-empty array of number rows [inputs][outputs]`,
    );
  }
  const outputs = weights[0].length;
  if (outputs === 0 || weights.some((row) => row.length !== outputs)) {
    throw new Error(`${path}: every "weights" row must have the same, non-zero length`);
  }
  if (!isNumbers(bias) || bias.length !== outputs) {
    throw new Error(`${path}: "bias" must be ${outputs} numbers (one per output)`);
  }
  return { weights, bias, input: String(input), output: String(output) };
}

/**
 * A linear model `y = xW + b`: input FP32 `[n, inputs]`, output FP32 `[n, outputs]`, any `n`
 * (so core batches it). Implements the @infer `ModelV1` contract by hand.
 */
export class LinearModel {
  specificationVersion = 'v1';
  #settings;
  #path;
  #loaded;

  /** @param {import('./index.js').LinearModelSettings} settings */
  constructor(settings) {
    if (typeof settings?.name !== 'string' || settings.name === '') {
      throw inferError('INFER_ERR_INVALID_OPTION', 'settings.name must be a non-empty string');
    }
    const path = settings.uri ?? settings.parameters?.path;
    if (typeof path !== 'string' || path === '') {
      throw inferError(
        'INFER_ERR_INVALID_OPTION',
        'settings.uri must be the path of a weights JSON file',
      );
    }
    this.name = settings.name;
    this.version = settings.version;
    this.serving = Object.fromEntries(
      SERVING_KEYS.filter((key) => settings[key] !== undefined).map((key) => [key, settings[key]]),
    );
    this.#settings = settings;
    this.#path = path;
  }

  get ready() {
    return this.#loaded !== undefined;
  }

  async load() {
    this.#loaded ??= await readWeights(this.#path);
  }

  async unload() {
    this.#loaded = undefined;
  }

  metadata() {
    const loaded = this.#loaded;
    if (loaded === undefined) {
      throw inferError('INFER_ERR_MODEL_NOT_READY', `model "${this.name}" is not loaded`);
    }
    return {
      name: this.name,
      ...(this.version === undefined ? {} : { versions: [this.version] }),
      platform: PLATFORM,
      inputs: [{ name: loaded.input, datatype: 'FP32', shape: [-1, loaded.weights.length] }],
      outputs: [{ name: loaded.output, datatype: 'FP32', shape: [-1, loaded.bias.length] }],
    };
  }

  async predict(request, options = {}) {
    options.signal?.throwIfAborted();
    const loaded = this.#loaded;
    if (loaded === undefined) {
      throw inferError('INFER_ERR_MODEL_NOT_READY', `model "${this.name}" is not loaded`);
    }
    const { weights, bias } = loaded;
    const inputs = weights.length;
    const outputs = bias.length;
    const x = request.inputs.find((tensor) => tensor.name === loaded.input);
    if (x === undefined || x.datatype !== 'FP32' || x.shape.length !== 2 || x.shape[1] !== inputs) {
      throw inferError(
        'INFER_ERR_INVALID_INPUT',
        `input "${loaded.input}" must be FP32 [n, ${inputs}]`,
      );
    }
    const rows = x.shape[0];
    const y = new Float32Array(rows * outputs);
    for (let row = 0; row < rows; row++) {
      for (let j = 0; j < outputs; j++) {
        let sum = bias[j];
        for (let i = 0; i < inputs; i++) sum += x.data[row * inputs + i] * weights[i][j];
        y[row * outputs + j] = sum;
      }
    }
    return {
      outputs: [{ name: loaded.output, datatype: 'FP32', shape: [rows, outputs], data: y }],
    };
  }

  /** How core's worker pool rebuilds this model in a thread: this very file, same settings. */
  workerSource() {
    return { module: fileURLToPath(import.meta.url), settings: this.#settings };
  }
}

/**
 * The plugin: the package's default export. Core imports it by package name and calls
 * `create()` with the model settings (`uri` already made absolute).
 *
 * @type {import('./index.js').LinearRuntimePlugin}
 */
const linearRuntime = {
  specificationVersion: 'v1',
  name: 'infer-runtime-linear',
  create: (settings) => new LinearModel(settings),
};

export default linearRuntime;
