/**
 * The messages between `WorkerPool` (main thread) and `worker.ts` (each worker thread).
 * Model errors travel back as values (`kind: 'error'`), never as rejections, so a Piscina
 * rejection always means the thread itself died: that is how the pool tells a crash
 * (`WorkerCrashedError`) from a model error.
 *
 * @internal
 */
import type { InferenceRequest, Parameters, Tensor } from '@infer/codecs';
import { ERROR_CODES, InferError, isErrorCode } from '../errors';
import type { ModelMetadataV1 } from '../spec';

/** What each worker receives as `workerData`: everything it needs to rebuild the model. */
export interface WorkerBootData {
  /** `file:` URL of the module, resolved in the main thread. */
  moduleUrl: string;
  /** Named export holding the `RuntimePluginV1`. */
  exportName: string;
  /** Structured-cloneable settings handed to the plugin's `create()`. */
  settings: unknown;
  /** Transfer output buffers to the main thread (true) or copy them (false). */
  transferOutputs: boolean;
}

/** Loads the model (done once per thread at start-up; this task waits for it and reports). */
export interface LoadTask {
  kind: 'load';
}

/** One `predict()` call; `id` is for logs and debugging. */
export interface PredictTask {
  kind: 'predict';
  id: number;
  request: InferenceRequest;
}

export type WorkerTask = LoadTask | PredictTask;

/** A worker's answer to a {@link LoadTask}. */
export interface LoadedReply {
  kind: 'loaded';
  threadId: number;
  metadata: ModelMetadataV1;
  /** Process warnings the thread emitted while it created and loaded the model. */
  warnings: LoadWarning[];
}

/**
 * A process warning a worker thread emitted while it loaded the model (`process.emitWarning`:
 * a runtime's provider fallback), sent to the main thread, which emits it once for the pool
 * (each thread printing its own repeated it per thread) and where `process.on('warning')`
 * sees it. Deprecation and experimental warnings stay with the thread's own printer.
 */
export interface LoadWarning {
  name: string;
  message: string;
  code?: string;
  detail?: string;
  /** Where the thread emitted it (for `--trace-warnings`). */
  stack?: string;
}

/** A worker's answer to a {@link PredictTask}. */
export interface ResultReply {
  kind: 'result';
  outputs: Tensor[];
  parameters?: Parameters;
  /** A replacement thread's load warnings, with its first result (no load task reaches it). */
  warnings?: LoadWarning[];
}

/** Any error a model or plugin threw, flattened to survive structured clone. */
export interface SerializedError {
  name: string;
  message: string;
  stack?: string;
  code?: string;
  /** Own primitive fields (`input`, `expected`, `received`, ...), kept for error bodies. */
  fields: Record<string, string | number | boolean>;
}

/** The worker failed to load the model, or the model threw in `predict()`. */
export interface ErrorReply {
  kind: 'error';
  phase: 'load' | 'predict';
  error: SerializedError;
  /** With `phase: 'load'`: the thread that cannot serve, for the pool to replace it. */
  threadId?: number;
  /**
   * With `phase: 'load'`, of a predict task: its inputs, moved back (their buffers were
   * transferred here) for the pool to send the task to another thread.
   */
  inputs?: Tensor[];
}

export type WorkerReply = LoadedReply | ResultReply | ErrorReply;

const SKIPPED_FIELDS = new Set(['name', 'message', 'stack', 'code', 'cause']);

/**
 * Flattens any thrown value so it can cross threads with its name, message, stack, code and
 * primitive context fields. A thrown plain object (`{ code, message }`) keeps its string
 * `name`, `message` and `code` and its primitive fields, as it would in-process.
 *
 * @example
 * serializeError(new TypeError('bad')); // { name: 'TypeError', message: 'bad', ... }
 */
export function serializeError(error: unknown): SerializedError {
  if (typeof error !== 'object' || error === null) {
    return { name: 'Error', message: String(error), fields: {} };
  }
  const { name, message, stack, code } = error as Record<string, unknown>;
  const serialized: SerializedError = {
    name: typeof name === 'string' ? name : 'Error',
    message: typeof message === 'string' ? message : error instanceof Error ? '' : String(error),
    fields: primitiveFields(error),
  };
  if (typeof stack === 'string') serialized.stack = stack;
  if (typeof code === 'string') serialized.code = code;
  return serialized;
}

/** Own enumerable string, number and boolean fields, but the ones a `SerializedError` has. */
function primitiveFields(error: object): Record<string, string | number | boolean> {
  const fields: Record<string, string | number | boolean> = {};
  for (const [key, value] of Object.entries(error)) {
    if (SKIPPED_FIELDS.has(key)) continue;
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
      fields[key] = value;
    }
  }
  return fields;
}

/**
 * Rebuilds a worker's error in the main thread: an error with a known `INFER_ERR_*` code
 * becomes an `InferError` of that code (so `httpStatusOf` and `X.isInstance` work, e.g. a
 * runtime's `InvalidInputError` stays a 400); any other error stays a plain `Error` with the
 * worker's name, message and stack, as `predict()` in-process would have thrown.
 *
 * @example
 * const error = deserializeError(reply.error); // InvalidInputError.isInstance(error) === true
 */
export function deserializeError(serialized: SerializedError): Error {
  const error: Error = isErrorCode(serialized.code)
    ? new InferError(serialized.code, serialized.message || ERROR_CODES[serialized.code].message)
    : new Error(serialized.message);
  error.name = serialized.name;
  if (serialized.stack !== undefined) error.stack = serialized.stack;
  if (serialized.code !== undefined && !isErrorCode(serialized.code)) {
    Object.defineProperty(error, 'code', { value: serialized.code, enumerable: true });
  }
  for (const [key, value] of Object.entries(serialized.fields)) {
    if (!(key in error)) Object.defineProperty(error, key, { value, enumerable: true });
  }
  return error;
}
