import type { InferenceRequest } from '@infer/codecs';
import {
  InvalidOptionError,
  type Logger,
  SERVING_OPTION_KEYS,
  type ServingOptionsV1,
  type TensorMetadata,
} from '@infer/core';
import { nativeBackendInstalled, TFJS_BACKENDS, type TfjsBackendName } from './tfjs-backend';
import { OIP_TO_TFJS } from './tfjs-datatypes';
import type { TfjsModelFormat } from './tfjs-io-file';

/** Options of `new TfjsModel(options)`. */
export interface TfjsModelOptions extends ServingOptionsV1 {
  /** Model name in `/v2/models/{name}`. */
  name: string;
  /** Model version. Default: none. */
  version?: string | undefined;
  /** A `model.json` file, or a directory holding one (weight shards sit next to it). */
  path: string;
  /** `graph` (`tf.loadGraphModel`) or `layers` (`tf.loadLayersModel`). Default: read from model.json (`format`, else the shape of `modelTopology`). */
  format?: TfjsModelFormat | undefined;
  /** TF.js backend. Default: the best available: `tensorflow` (tfjs-node-gpu / tfjs-node), `wasm`, `cpu`. */
  backend?: TfjsBackendName | undefined;
  /** Fail to load when `backend` cannot be used, instead of falling back with a warning. Default `false`. */
  strictBackend?: boolean | undefined;
  /** Directory of the `tfjs-backend-wasm*.wasm` files. Default: the installed `@tensorflow/tfjs-backend-wasm/dist/`. */
  wasmPath?: string | undefined;
  /**
   * Datatype and shape of inputs / outputs, by the model's own tensor names, replacing what
   * model.json says (for files converted without a signature). Default: from the file.
   */
  signature?: { inputs?: TensorMetadata[]; outputs?: TensorMetadata[] } | undefined;
  /** OIP names for the model's inputs, in model order. Default: the model's names. */
  inputNames?: string[] | undefined;
  /** OIP names for the model's outputs, in model order. Default: the model's names. */
  outputNames?: string[] | undefined;
  /**
   * Run the model once at load on zeros (dynamic dims: 1 for dim 0, {@link WARMUP_DYNAMIC_SIZE}
   * elsewhere), or on the given request, so the first real request does not pay for kernel
   * set-up; it also completes output metadata the file leaves out. Default `true`.
   */
  warmup?: boolean | InferenceRequest | undefined;
  /**
   * pino-compatible logger for the backend choice and warm-up (in this thread only: it does
   * not reach a worker). Default: none; a backend other than the one asked for is then a
   * process warning (`INFER_TFJS_BACKEND_FALLBACK`).
   */
  logger?: Logger | undefined;
}

/** Size given to dynamic dimensions other than dim 0 in the warm-up input. */
export const WARMUP_DYNAMIC_SIZE = 16;

/**
 * The `workers` a {@link TfjsModel} is served with when its options leave it out: one worker
 * thread when it will run on `wasm` or `cpu` (asked for, or the best installed: tfjs-node is
 * not), so a batch never blocks the event loop that reads requests and answers health
 * probes (TF.js runs those backends synchronously on the calling thread); `0` (in-process)
 * when tfjs-node is installed and `wasm` or `cpu` was not asked for, since tfjs-node is not
 * known to load in more than one thread (tensorflow/tfjs#8388) (should it then fail to load,
 * the model falls back in-process, with a process warning), and for a subclass (`plain:
 * false`), whose overrides a worker's plain `TfjsModel` would not have.
 *
 * @example
 * defaultTfjsWorkers({ name: 'm', path: 'model', backend: 'wasm' }, true); // 1
 * defaultTfjsWorkers({ name: 'm', path: 'model', backend: 'tensorflow' }, true); // 0 with tfjs-node
 */
export function defaultTfjsWorkers(options: TfjsModelOptions, plain: boolean): number {
  if (options.workers !== undefined) return options.workers;
  if (!plain) return 0;
  // wasm or cpu asked for; else tensorflow unless tfjs-node is missing (then it falls back).
  const native = options.backend !== 'wasm' && options.backend !== 'cpu';
  return native && nativeBackendInstalled() ? 0 : 1;
}

/** Defaults of {@link TfjsModelOptions}, in one place. */
export const TFJS_MODEL_DEFAULTS = Object.freeze({ strictBackend: false, warmup: true });

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((item) => typeof item === 'string' && item !== '');
}

function checkNames(value: unknown, path: string): void {
  if (value === undefined) return;
  if (!isStringArray(value) || new Set(value).size !== value.length) {
    throw new InvalidOptionError(path, 'must be an array of distinct non-empty strings');
  }
}

function checkSignature(value: unknown): void {
  if (value === undefined) return;
  if (typeof value !== 'object' || value === null) {
    throw new InvalidOptionError('options.signature', 'must be an object { inputs?, outputs? }');
  }
  for (const side of ['inputs', 'outputs'] as const) {
    const entries = (value as Record<string, unknown>)[side];
    if (entries === undefined) continue;
    if (!Array.isArray(entries)) {
      throw new InvalidOptionError(
        `options.signature.${side}`,
        'must be an array of { name, datatype, shape }',
      );
    }
    entries.forEach((entry: Partial<TensorMetadata> | null, index) => {
      const path = `options.signature.${side}[${index}]`;
      if (typeof entry?.name !== 'string' || entry.name === '') {
        throw new InvalidOptionError(`${path}.name`, 'must be a non-empty string');
      }
      if (typeof entry.datatype !== 'string' || !Object.hasOwn(OIP_TO_TFJS, entry.datatype)) {
        throw new InvalidOptionError(
          `${path}.datatype`,
          `must be one of ${Object.keys(OIP_TO_TFJS).join(', ')}`,
        );
      }
      if (
        !Array.isArray(entry.shape) ||
        !entry.shape.every((d) => Number.isInteger(d) && d >= -1)
      ) {
        throw new InvalidOptionError(`${path}.shape`, 'must be an array of integers >= -1');
      }
    });
  }
}

/**
 * The TF.js options model settings carry in `parameters` (the plugin's `create()` passes
 * them on).
 *
 * @internal
 */
export const TFJS_PARAMETERS = [
  'path',
  'format',
  'backend',
  'strictBackend',
  'wasmPath',
  'signature',
  'inputNames',
  'outputNames',
] as const;

/** Every option `TfjsModel` takes (its own and core's serving knobs): a typo is refused. */
const KNOWN = new Set<string>([
  'name',
  'version',
  'logger',
  ...TFJS_PARAMETERS,
  ...SERVING_OPTION_KEYS,
]);

/**
 * Checks every option before any side effect; messages name the path
 * (`options.backend must be one of tensorflow, wasm, cpu`, `options.backnd is not a known
 * option`).
 *
 * @internal
 * @example
 * validateTfjsModelOptions({ name: 'm', path: './model' });
 */
export function validateTfjsModelOptions(options: TfjsModelOptions): void {
  if (typeof options !== 'object' || options === null) {
    throw new InvalidOptionError('options', 'must be an object');
  }
  for (const key of Object.keys(options)) {
    if (!KNOWN.has(key)) throw new InvalidOptionError(`options.${key}`, 'is not a known option');
  }
  if (typeof options.path !== 'string' || options.path === '') {
    throw new InvalidOptionError(
      'options.path',
      'must be a non-empty string (a model.json file or its directory)',
    );
  }
  if (options.format !== undefined && options.format !== 'graph' && options.format !== 'layers') {
    throw new InvalidOptionError('options.format', "must be 'graph' or 'layers'");
  }
  if (options.backend !== undefined && !TFJS_BACKENDS.includes(options.backend)) {
    throw new InvalidOptionError('options.backend', `must be one of ${TFJS_BACKENDS.join(', ')}`);
  }
  if (options.strictBackend !== undefined && typeof options.strictBackend !== 'boolean') {
    throw new InvalidOptionError('options.strictBackend', 'must be a boolean');
  }
  if (
    options.wasmPath !== undefined &&
    (typeof options.wasmPath !== 'string' || options.wasmPath === '')
  ) {
    throw new InvalidOptionError('options.wasmPath', 'must be a non-empty string');
  }
  checkSignature(options.signature);
  checkNames(options.inputNames, 'options.inputNames');
  checkNames(options.outputNames, 'options.outputNames');
  const warmup = options.warmup;
  if (
    warmup !== undefined &&
    typeof warmup !== 'boolean' &&
    !Array.isArray((warmup as InferenceRequest | null)?.inputs)
  ) {
    throw new InvalidOptionError(
      'options.warmup',
      'must be a boolean or an inference request { inputs }',
    );
  }
  const logger = options.logger as unknown as Record<string, unknown> | undefined;
  if (
    logger !== undefined &&
    !['debug', 'info', 'warn', 'error'].every((l) => typeof logger?.[l] === 'function')
  ) {
    throw new InvalidOptionError(
      'options.logger',
      'must have debug, info, warn and error methods (pino-compatible)',
    );
  }
}
