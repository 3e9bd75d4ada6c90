import {
  availableCores,
  InvalidOptionError,
  type Logger,
  SERVING_OPTION_KEYS,
  type ServingOptionsV1,
} from '@infer/core';
import type { InferenceSession } from 'onnxruntime-node';
import { EXECUTION_PROVIDERS, type ExecutionProvider } from './onnx-providers';

/**
 * Options of {@link OnnxModel}: where the model comes from (`path` or `bytes`, exactly one),
 * how ONNX Runtime runs it, and the serving knobs core applies (batching, workers, ...).
 */
export interface OnnxModelOptions extends ServingOptionsV1 {
  /** Model name in URLs (`/v2/models/{name}`). */
  name: string;
  /** Model version. Default: none. */
  version?: string;
  /** Path of the `.onnx` file, or of a directory holding `model.onnx`. */
  path?: string;
  /** The `.onnx` file's bytes. Not usable with `workers > 0` (pass `path` instead). */
  bytes?: Uint8Array;
  /**
   * Replicas in worker threads; `0` runs the session on the main thread. Default `1` for a
   * model from `path` ({@link defaultWorkers}): onnxruntime-node runs a session synchronously,
   * so in-process every batch blocks the event loop that reads requests and answers health
   * probes (MobileNet, 128 connections, 2 cores: p99 2.6 s in-process against 0.30 s in the
   * worker, for 7-9% fewer requests/s). `0` for a model from `bytes` and for a subclass of
   * `OnnxModel`.
   */
  workers?: number | undefined;
  /**
   * Extra ONNX Runtime session options (graph optimization, memory arena, logging, ...).
   * `intraOpThreads`, `interOpThreads`, `intraOpSpinning` and `executionProviders` take
   * precedence over the same settings here. Must be structured-cloneable when `workers > 0`.
   */
  sessionOptions?: InferenceSession.SessionOptions;
  /**
   * Execution providers by preference: the first that loads runs the model (with `cpu`
   * behind it for nodes it does not take). Default `['cpu']`.
   */
  executionProviders?: ExecutionProvider[];
  /**
   * When no requested provider loads: `false` (default) runs on `cpu` and logs a warning;
   * `true` fails `load()` unless `'cpu'` is in `executionProviders`.
   */
  strictProviders?: boolean;
  /**
   * Threads one session uses inside an operator. Default
   * `max(1, floor(cores / workers))` for the workers it is served with (`loadModel()` or
   * `repository.add()` options, else `workers` here), so workers x threads never exceed the
   * cores, and every core in-process (`availableCores()` from @infer/core: `INFER_CORES`,
   * else `os.availableParallelism()`); ORT's own default ran ~4x slower on a shared 2-core host.
   */
  intraOpThreads?: number;
  /** Threads across independent graph branches (only used in parallel execution mode). Default `1`. */
  interOpThreads?: number;
  /**
   * Whether the intra-op threads busy-wait for work between operators (ORT's
   * `session.intra_op.allow_spinning`). Default `false`, unlike ORT's own default: a server's
   * spinning threads take the cores its HTTP thread and the rest of the app need. On 8 cores
   * (idle 16-core machine, MobileNet, 32 connections) turning it off served 1.44x the
   * requests at 0.40x the CPU per request; on 2 cores 1.04-1.19x at 0.73-0.74x.
   * `true` gives back 0.7-1.4 ms of p50 to one request at a time on MobileNet. Takes precedence
   * over `sessionOptions.extra.session.intra_op.allow_spinning`; no effect with one thread.
   */
  intraOpSpinning?: boolean;
  /**
   * Where the provider fallback warning goes (pino-compatible) when the model runs in this
   * thread. Default: `process.emitWarning`. Served in worker threads, the model loads there
   * without it: its warning comes back as a process warning of the main thread.
   */
  logger?: Pick<Logger, 'warn'>;
}

/**
 * Defaults of {@link OnnxModelOptions}, in one place (`intraOpThreads`: {@link defaultIntraOpThreads}).
 *
 * @example
 * DEFAULT_ONNX_OPTIONS.executionProviders; // ['cpu']
 */
export const DEFAULT_ONNX_OPTIONS = Object.freeze({
  executionProviders: Object.freeze(['cpu'] as const),
  strictProviders: false,
  interOpThreads: 1,
  intraOpSpinning: false,
  workers: 1,
});

/**
 * The `workers` an {@link OnnxModel} is served with when its options leave it out: one worker
 * thread ({@link DEFAULT_ONNX_OPTIONS}), so a batch never blocks the event loop that reads
 * requests and answers health probes (onnxruntime-node runs a session synchronously). `0`
 * (in-process) for a model made from `bytes`, which a worker cannot rebuild, and for a
 * subclass (`plain: false`), whose overrides a worker's plain `OnnxModel` would not have.
 *
 * @example
 * defaultWorkers({ name: 'm', path: 'model.onnx' }, true); // 1
 * defaultWorkers({ name: 'm', bytes }, true); // 0
 */
export function defaultWorkers(options: OnnxModelOptions, plain: boolean): number {
  return (
    options.workers ?? (plain && options.path !== undefined ? DEFAULT_ONNX_OPTIONS.workers : 0)
  );
}

/**
 * The default intra-op threads for `workers` replicas on `cores` cores:
 * `max(1, floor(cores / max(1, workers)))`.
 *
 * @example
 * defaultIntraOpThreads(16, 4); // 4
 * defaultIntraOpThreads(2, 0); // 2
 */
export function defaultIntraOpThreads(cores = availableCores(), workers = 0): number {
  return Math.max(1, Math.floor(cores / Math.max(1, workers)));
}

const KNOWN = new Set<string>([
  'name',
  'version',
  'path',
  'bytes',
  'sessionOptions',
  'executionProviders',
  'strictProviders',
  'intraOpThreads',
  'interOpThreads',
  'intraOpSpinning',
  'logger',
  ...SERVING_OPTION_KEYS,
]);

function isPositiveInteger(value: unknown): boolean {
  return typeof value === 'number' && Number.isSafeInteger(value) && value > 0;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function validateProviders(value: unknown, path: string): void {
  if (!Array.isArray(value) || value.length === 0) {
    throw new InvalidOptionError(path, 'must be a non-empty array of provider names');
  }
  value.forEach((provider: unknown, index) => {
    const name = isObject(provider) ? provider.name : provider;
    if (typeof name !== 'string' || !(EXECUTION_PROVIDERS as readonly string[]).includes(name)) {
      throw new InvalidOptionError(
        `${path}[${index}]`,
        `must be one of ${EXECUTION_PROVIDERS.join(', ')} (or { name, ...options })`,
      );
    }
  });
}

/**
 * Validates options before anything is loaded; messages name the path
 * (`options.intraOpThreads must be a positive integer`). Serving knobs (`batching`,
 * `timeoutMs`, ...) are checked by core when it serves the model.
 *
 * @internal
 * @example
 * validateOnnxOptions({ name: 'm', path: 'model.onnx' });
 */
export function validateOnnxOptions(
  options: unknown,
  prefix = 'options',
): asserts options is OnnxModelOptions {
  if (!isObject(options)) throw new InvalidOptionError(prefix, 'must be an object');
  for (const key of Object.keys(options)) {
    if (!KNOWN.has(key)) throw new InvalidOptionError(`${prefix}.${key}`, 'is not a known option');
  }
  const { name, version, path, bytes } = options;
  if (typeof name !== 'string' || name === '') {
    throw new InvalidOptionError(`${prefix}.name`, 'must be a non-empty string');
  }
  if (version !== undefined && (typeof version !== 'string' || version === '')) {
    throw new InvalidOptionError(`${prefix}.version`, 'must be a non-empty string');
  }
  if ((path === undefined) === (bytes === undefined)) {
    throw new InvalidOptionError(`${prefix}.path`, 'or options.bytes must be given (exactly one)');
  }
  if (path !== undefined && (typeof path !== 'string' || path === '')) {
    throw new InvalidOptionError(`${prefix}.path`, 'must be a non-empty string');
  }
  if (bytes !== undefined && !(bytes instanceof Uint8Array && bytes.byteLength > 0)) {
    throw new InvalidOptionError(`${prefix}.bytes`, 'must be a non-empty Uint8Array');
  }
  if (options.sessionOptions !== undefined && !isObject(options.sessionOptions)) {
    throw new InvalidOptionError(`${prefix}.sessionOptions`, 'must be an object');
  }
  if (options.executionProviders !== undefined) {
    validateProviders(options.executionProviders, `${prefix}.executionProviders`);
  }
  for (const key of ['strictProviders', 'intraOpSpinning'] as const) {
    if (options[key] !== undefined && typeof options[key] !== 'boolean') {
      throw new InvalidOptionError(`${prefix}.${key}`, 'must be a boolean');
    }
  }
  for (const key of ['intraOpThreads', 'interOpThreads'] as const) {
    if (options[key] !== undefined && !isPositiveInteger(options[key])) {
      throw new InvalidOptionError(`${prefix}.${key}`, 'must be a positive integer');
    }
  }
  const { workers } = options;
  if (
    workers !== undefined &&
    !(typeof workers === 'number' && Number.isSafeInteger(workers) && workers >= 0)
  ) {
    throw new InvalidOptionError(`${prefix}.workers`, 'must be a non-negative integer');
  }
  if (workers !== undefined && workers > 0 && bytes !== undefined) {
    throw new InvalidOptionError(
      `${prefix}.bytes`,
      'cannot be used with workers > 0: worker threads rebuild the model from options.path',
    );
  }
  const { logger } = options;
  if (logger !== undefined && !(isObject(logger) && typeof logger.warn === 'function')) {
    throw new InvalidOptionError(`${prefix}.logger`, 'must have a warn method (pino-compatible)');
  }
}

/** The flat form of the key that ORT's config also takes in `extra`. */
const FLAT_SPINNING_KEY = 'session.intra_op.allow_spinning';

/**
 * ORT's `allow_spinning` in `sessionOptions.extra` (nested or flat), if the caller set it.
 * ORT spins only for exactly `"1"`, so anything else (`'0'`, `false`, `'false'`) is off.
 */
function spinningIn(
  sessionOptions: InferenceSession.SessionOptions | undefined,
): boolean | undefined {
  const extra = sessionOptions?.extra;
  const session = extra?.session;
  const intraOp = isObject(session) ? session.intra_op : undefined;
  // The nested key wins where both are set; a nested `intra_op` without it leaves the flat one.
  const value =
    (isObject(intraOp) ? intraOp.allow_spinning : undefined) ?? extra?.[FLAT_SPINNING_KEY];
  if (value === undefined) return undefined;
  return String(value) === '1';
}

/**
 * Whether the intra-op threads spin: `intraOpSpinning`, else what `sessionOptions.extra`
 * says, else {@link DEFAULT_ONNX_OPTIONS}' `false`.
 *
 * @internal
 * @example
 * resolveSpinning({ name: 'm', path: 'model.onnx' }); // false
 */
export function resolveSpinning(options: OnnxModelOptions): boolean {
  return (
    options.intraOpSpinning ??
    spinningIn(options.sessionOptions) ??
    DEFAULT_ONNX_OPTIONS.intraOpSpinning
  );
}

/**
 * The session options ONNX Runtime gets: the caller's, with the resolved threads and
 * `session.intra_op.allow_spinning` set (other `extra` keys kept).
 *
 * @internal
 * @example
 * ortSessionOptions({}, { intraOpThreads: 2, interOpThreads: 1, spinning: false });
 * // { intraOpNumThreads: 2, interOpNumThreads: 1, extra: { session: { intra_op: { allow_spinning: '0' } } } }
 */
export function ortSessionOptions(
  base: InferenceSession.SessionOptions,
  resolved: { intraOpThreads: number; interOpThreads: number; spinning: boolean },
): InferenceSession.SessionOptions {
  const extra = base.extra ?? {};
  const session = isObject(extra.session) ? extra.session : {};
  const intraOp = isObject(session.intra_op) ? session.intra_op : {};
  const flag = resolved.spinning ? '1' : '0';
  return {
    ...base,
    intraOpNumThreads: resolved.intraOpThreads,
    interOpNumThreads: resolved.interOpThreads,
    extra: {
      ...extra,
      // The flat form, when the caller used it, must not say otherwise.
      ...(FLAT_SPINNING_KEY in extra ? { [FLAT_SPINNING_KEY]: flag } : {}),
      session: {
        ...session,
        intra_op: { ...intraOp, allow_spinning: flag },
      },
    },
  };
}
