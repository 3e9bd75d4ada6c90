/**
 * Batch assembly for Open Inference Protocol requests, on structural tensor types (no
 * import of @infer/codecs): requests that agree on every input's datatype and trailing
 * dims (all but dim 0), input names, requested outputs and request parameters share a
 * batch key; their inputs are concatenated along dim 0 with one allocation per input, and
 * the model's outputs are split back with `subarray` views (no copy).
 */
import { BatchItemFailure } from './batch-item-failure';
import { BatchAssemblyError } from './errors';

/** Typed storage of a non-BYTES tensor (FP16 as raw `Uint16Array`, BOOL as `Uint8Array`). */
export type BatchTypedArray =
  | Uint8Array
  | Int8Array
  | Uint16Array
  | Int16Array
  | Uint32Array
  | Int32Array
  | Float32Array
  | Float64Array
  | BigInt64Array
  | BigUint64Array;

/** Tensor data: a typed array, or one `Uint8Array` per element for BYTES. */
export type BatchTensorData = BatchTypedArray | Uint8Array[];

/** OIP parameters (`$parameters`). */
export type BatchParameters = Record<string, string | number | boolean>;

/** The structural tensor the batcher assembles (`Tensor` of @infer/codecs fits it). */
export interface BatchTensor {
  name: string;
  datatype: string;
  shape: number[];
  data: BatchTensorData;
  parameters?: BatchParameters | undefined;
}

/** The structural request (`InferenceRequest` of @infer/codecs fits it). */
export interface BatchRequest {
  id?: string | undefined;
  parameters?: BatchParameters | undefined;
  inputs: BatchTensor[];
  outputs?: Array<{ name: string; parameters?: BatchParameters | undefined }> | undefined;
}

/** The structural result of a model (`PredictResult` of @infer/core fits it). */
export interface BatchResult {
  outputs: BatchTensor[];
  parameters?: BatchParameters | undefined;
}

/** Request parameters that only shape the encoding of the response, not the computation. */
const ENCODING_PARAMETERS = new Set(['binary_data_output']);
/**
 * Input parameters about the wire, not the data: not part of the batch key. Any other (a
 * `content_type` says how to read the data) is: requests that differ in it never share a
 * batch, since the batch carries the first request's input parameters.
 */
const INPUT_ENCODING_PARAMETERS = new Set(['binary_data_size']);

interface TypedArrayConstructor {
  new (length: number): BatchTypedArray;
  new (buffer: ArrayBuffer, byteOffset: number, length: number): BatchTypedArray;
  readonly BYTES_PER_ELEMENT: number;
}

/** Typed array constructors by `Symbol.toStringTag` (a Node `Buffer` counts as Uint8Array). */
const TYPED_ARRAYS: Record<string, TypedArrayConstructor> = {
  Uint8Array,
  Int8Array,
  Uint16Array,
  Int16Array,
  Uint32Array,
  Int32Array,
  Float32Array,
  Float64Array,
  BigInt64Array,
  BigUint64Array,
};

/**
 * Rows of a request: dim 0 of its inputs, or `undefined` when it is not batchable (no
 * inputs, a scalar input, or inputs that disagree on dim 0).
 *
 * @example
 * requestRows({ inputs: [{ name: 'x', datatype: 'FP32', shape: [2, 3], data: new Float32Array(6) }] }); // 2
 */
export function requestRows(request: BatchRequest): number | undefined {
  let rows: number | undefined;
  for (const input of request.inputs) {
    const first = input.shape[0];
    if (first === undefined) return undefined;
    if (rows === undefined) rows = first;
    else if (rows !== first) return undefined;
  }
  return rows;
}

/**
 * The batch key of a request: requests with different keys never share a batch. It covers
 * each input's name, datatype and dims after the first (inputs sorted by name), the
 * requested output names, and the request parameters other than `binary_data_output`.
 *
 * @example
 * const a = batchKey({ inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 3], data: new Float32Array(3) }] });
 * const b = batchKey({ inputs: [{ name: 'x', datatype: 'FP32', shape: [5, 3], data: new Float32Array(15) }] });
 * a === b; // true
 */
export function batchKey(request: BatchRequest): string {
  const inputs = request.inputs
    .map((input) => [
      input.name,
      input.datatype,
      input.shape.slice(1),
      sortedParameters(input.parameters, INPUT_ENCODING_PARAMETERS),
    ])
    .sort((a, b) => (a[0]! < b[0]! ? -1 : a[0]! > b[0]! ? 1 : 0));
  const outputs = request.outputs?.map((output) => output.name).sort() ?? null;
  const parameters = sortedParameters(request.parameters, ENCODING_PARAMETERS);
  return JSON.stringify([inputs, outputs, parameters]);
}

/** Parameters as sorted entries, without the encoding ones (`skip`); `null` when none. */
function sortedParameters(
  parameters: Readonly<Record<string, unknown>> | undefined,
  skip: ReadonlySet<string>,
): [string, unknown][] | null {
  if (parameters === undefined) return null;
  const entries = Object.entries(parameters)
    .filter(([name]) => !skip.has(name))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return entries.length === 0 ? null : entries;
}

/**
 * Concatenates requests of one batch key along dim 0: one new array per input, each part
 * copied in with `.set()`; a single request passes through untouched (no copy). The
 * result keeps the first request's outputs and parameters, without its id.
 *
 * @example
 * const x = (n: number) => ({ inputs: [{ name: 'x', datatype: 'FP32', shape: [n, 2], data: new Float32Array(2 * n) }] });
 * concatRequests([x(1), x(3)]).inputs[0]!.shape; // [4, 2]
 */
export function concatRequests<R extends BatchRequest>(requests: readonly R[]): R {
  const first = requests[0];
  if (first === undefined) throw new BatchAssemblyError('cannot concatenate zero requests');
  if (requests.length === 1) return first;
  // The common request (one input, no outputs or parameters) is compared field by field:
  // building its key string per request cost about 0.3 us, 7% of an in-process identity call.
  const only = soleInput(first);
  let key: string | undefined;
  for (let index = 0; index < requests.length; index++) {
    const request = requests[index]!;
    if (requestRows(request) === undefined) {
      throw new BatchAssemblyError(`request ${index} is not batchable (inputs disagree on dim 0)`);
    }
    if (index === 0) continue;
    const other = soleInput(request);
    let same: boolean;
    if (only !== undefined && other !== undefined) {
      same = sameLayout(only, other);
    } else {
      key ??= batchKey(first);
      same = key === batchKey(request);
    }
    if (!same) {
      throw new BatchAssemblyError(`request ${index} does not share the batch key of request 0`);
    }
  }
  const inputs = first.inputs.map((input) => concatInput(input, requests));
  const { id: _id, ...rest } = first;
  return { ...rest, inputs } as R;
}

/** The input of a request whose batch key is its one input's alone (no outputs, no parameters). */
function soleInput(request: BatchRequest): BatchTensor | undefined {
  const { inputs } = request;
  return inputs.length === 1 && request.outputs === undefined && request.parameters === undefined
    ? inputs[0]
    : undefined;
}

/** Same name, datatype, dims after the first and parameters: what `batchKey` records of an input. */
function sameLayout(a: BatchTensor, b: BatchTensor): boolean {
  if (a.name !== b.name || a.datatype !== b.datatype || a.shape.length !== b.shape.length) {
    return false;
  }
  for (let index = 1; index < a.shape.length; index++) {
    if (a.shape[index] !== b.shape[index]) return false;
  }
  if (a.parameters === undefined && b.parameters === undefined) return true;
  return (
    JSON.stringify(sortedParameters(a.parameters, INPUT_ENCODING_PARAMETERS)) ===
    JSON.stringify(sortedParameters(b.parameters, INPUT_ENCODING_PARAMETERS))
  );
}

function concatInput(input: BatchTensor, requests: readonly BatchRequest[]): BatchTensor {
  const rowSize = product(input.shape, 1);
  const parts = requests.map((request) => request.inputs.find((t) => t.name === input.name)!);
  let rows = 0;
  for (const part of parts) {
    const partRows = part.shape[0]!;
    if (part.data.length !== partRows * rowSize) {
      throw new BatchAssemblyError(
        `input "${input.name}" holds ${part.data.length} elements, shape [${part.shape}] needs ${partRows * rowSize}`,
      );
    }
    rows += partRows;
  }
  const shape = [rows, ...input.shape.slice(1)];
  if (Array.isArray(input.data)) {
    const data = new Array<Uint8Array>(rows * rowSize);
    let offset = 0;
    for (const part of parts) {
      if (!Array.isArray(part.data)) throw mixedData(input.name);
      for (const element of part.data) data[offset++] = element;
    }
    return { ...input, shape, data };
  }
  const tag = input.data[Symbol.toStringTag];
  const Constructor = TYPED_ARRAYS[tag];
  if (Constructor === undefined) throw mixedData(input.name);
  // Not zero-filled: the parts below write every element (their lengths were checked to sum
  // to rows * rowSize).
  const data = uninitialized(Constructor, rows * rowSize);
  let offset = 0;
  for (const part of parts) {
    if (Array.isArray(part.data) || part.data[Symbol.toStringTag] !== tag) {
      throw mixedData(input.name);
    }
    // Same kind checked above; the union of .set() signatures needs the cast.
    (data as Uint8Array).set(part.data as Uint8Array, offset);
    offset += part.data.length;
  }
  return { ...input, shape, data };
}

/**
 * A typed array of `length` elements that owns its whole buffer (so a worker pool can move it
 * without a copy), left uninitialised where Node allows: zero-filling a fresh 2.3 MiB batch
 * of MobileNet inputs doubled the cost of assembling it. The caller writes every element.
 */
function uninitialized(Constructor: TypedArrayConstructor, length: number): BatchTypedArray {
  const bytes = length * Constructor.BYTES_PER_ELEMENT;
  if (bytes === 0 || typeof Buffer === 'undefined') return new Constructor(length);
  // allocUnsafeSlow: a buffer of its own (never a slice of Node's shared pool), not zeroed.
  return new Constructor(Buffer.allocUnsafeSlow(bytes).buffer as ArrayBuffer, 0, length);
}

/**
 * Splits a batch result back into one result per request, along dim 0 of every output,
 * with `subarray` views (no copy; BYTES element lists are sliced). Throws a
 * `BatchAssemblyError` when an output's dim 0 is not the summed rows.
 *
 * @example
 * const result = { outputs: [{ name: 'y', datatype: 'FP32', shape: [3, 2], data: new Float32Array(6) }] };
 * splitResult(result, [1, 2]).map((r) => r.outputs[0]!.shape); // [[1, 2], [2, 2]]
 */
export function splitResult<R extends BatchResult>(result: R, rows: readonly number[]): R[] {
  const total = rows.reduce((sum, count) => sum + count, 0);
  for (const output of result.outputs) checkOutput(output, total);
  if (rows.length === 1) return [result];
  const parts = rows.map(() => new Array<BatchTensor>(result.outputs.length));
  result.outputs.forEach((output, outputIndex) => {
    const rowSize = product(output.shape, 1);
    const rest = output.shape.slice(1);
    let offset = 0;
    rows.forEach((count, index) => {
      const end = offset + count * rowSize;
      const data = view(output.data, offset, end);
      parts[index]![outputIndex] = { ...output, shape: [count, ...rest], data };
      offset = end;
    });
  });
  return parts.map((outputs) => ({ ...result, outputs }));
}

function view(data: BatchTensorData, start: number, end: number): BatchTensorData {
  return Array.isArray(data) ? data.slice(start, end) : data.subarray(start, end);
}

function checkOutput(output: BatchTensor, total: number): void {
  const first = output.shape[0];
  if (first !== total) {
    const got = first === undefined ? 'is a scalar' : `has dim 0 = ${first}`;
    throw new BatchAssemblyError(
      `output "${output.name}" ${got}, expected ${total} (the summed rows of the batch)`,
    );
  }
  const expected = product(output.shape, 0);
  if (output.data.length !== expected) {
    throw new BatchAssemblyError(
      `output "${output.name}" holds ${output.data.length} elements, shape [${output.shape}] needs ${expected}`,
    );
  }
}

/**
 * The single-request predict {@link createOipRun} wraps: the request (as submitted, or
 * `assembled` from several), the batch's signal, and its `started()`; a result or a promise.
 */
export type OipPredict<Q extends BatchRequest, R extends BatchResult> = (
  request: Q,
  signal: AbortSignal,
  assembled: boolean,
  started?: () => void,
) => R | PromiseLike<R>;

/** Options of {@link createOipRun}. */
export interface OipRunOptions {
  /**
   * Decides whether a batch's error belongs to one request rather than the batch (e.g. bad
   * input: an HTTP 4xx). Then each request of the failed batch is re-run alone, so only the
   * request at fault fails and the others get their answers. Default: never (the whole
   * batch fails with the error).
   */
  isolate?: (error: unknown) => boolean;
  /**
   * Turns what `predict` threw or rejected with into the error the batch's requests reject
   * with (a typed error, say), before `isolate` looks at it. In this one reaction rather than
   * one of the caller's around `predict`: a batch of one costs a promise less. Default: as is.
   */
  failure?: (cause: unknown) => unknown;
}

/**
 * Wraps a single-request `predict` into a batch `run` for `AdaptiveBatcher`: concatenates
 * the batch, predicts once, splits the result (a batch of one passes straight through).
 * With `isolate`, a batch that fails with a per-request error is re-run request by request,
 * and only the failing requests reject (as `BatchItemFailure`s); requests that are no longer
 * live by then (timed out, aborted: their callers have their answer) are not re-run, since
 * their inputs may be gone (an HTTP body reused for another request). `predict`'s third argument
 * tells a request as submitted (`false`: the very object of one item) from one assembled
 * from several (`true`: a new object, that no check of the submitted ones covers); its
 * fourth is the batcher's `started()` (see `AdaptiveBatcherOptions.run`). `predict` may
 * answer with a promise or at once (a synchronous model: no promise reaction is spent on it).
 *
 * @example
 * // InferenceRequest from @infer/codecs: the type of the model's requests.
 * const run = createOipRun((request: InferenceRequest, signal) => model.predict(request, { signal }));
 * const batcher = new AdaptiveBatcher({ run, key: batchKey, rows: (r) => requestRows(r) ?? 1 });
 */
export function createOipRun<Q extends BatchRequest, R extends BatchResult>(
  predict: OipPredict<Q, R>,
  options: OipRunOptions = {},
): (
  requests: Q[],
  signal: AbortSignal,
  live?: (index: number) => boolean,
  started?: () => void,
) => Promise<(R | BatchItemFailure)[]> {
  const { isolate } = options;
  const failure = options.failure ?? asIs;
  const rethrow = (cause: unknown): never => {
    throw failure(cause);
  };
  const several = runSeveral(predict, isolate, failure);
  // A batch of one is a promise reaction, not an async function: one promise less per batch.
  return (requests, signal, live, started) => {
    if (requests.length !== 1) return several(requests, signal, live, started);
    let predicted: R | PromiseLike<R>;
    try {
      predicted = predict(requests[0]!, signal, false, started);
    } catch (error) {
      return Promise.reject(failure(error));
    }
    // A result given at once (a synchronous model) needs no reaction of its own.
    return typeof (predicted as Partial<PromiseLike<R>> | null)?.then === 'function'
      ? Promise.resolve(predicted).then(inArray, rethrow)
      : Promise.resolve([predicted as R]);
  };
}

function inArray<R>(result: R): R[] {
  return [result];
}

function asIs(cause: unknown): unknown {
  return cause;
}

/** `createOipRun`'s batches of several: concatenated, predicted once, split. */
function runSeveral<Q extends BatchRequest, R extends BatchResult>(
  predict: OipPredict<Q, R>,
  isolate: ((error: unknown) => boolean) | undefined,
  failure: (cause: unknown) => unknown,
) {
  return async (
    requests: Q[],
    signal: AbortSignal,
    live?: (index: number) => boolean,
    started?: () => void,
  ): Promise<(R | BatchItemFailure)[]> => {
    const rows = requests.map((request) => requestRows(request) ?? 0);
    try {
      const batch = concatRequests(requests);
      let predicted: R;
      try {
        predicted = await predict(batch, signal, true, started);
      } catch (cause) {
        throw failure(cause); // the model's failure, typed; assembly errors pass as they are
      }
      return splitResult(predicted, rows);
    } catch (error) {
      if (isolate === undefined || signal.aborted || !isolate(error)) throw error;
      // One after another, as batches run: a model served one batch at a time is never
      // called concurrently by the re-runs.
      const results: (R | BatchItemFailure)[] = [];
      for (let index = 0; index < requests.length; index++) {
        if (signal.aborted || (live !== undefined && !live(index))) {
          results.push(new BatchItemFailure(error)); // settled already: never read
          continue;
        }
        results.push(
          await Promise.resolve()
            .then(() => predict(requests[index]!, signal, false))
            .catch((cause: unknown) => new BatchItemFailure(failure(cause))),
        );
      }
      return results;
    }
  };
}

function product(shape: readonly number[], from: number): number {
  let size = 1;
  for (let index = from; index < shape.length; index++) size *= shape[index]!;
  return size;
}

function mixedData(name: string): BatchAssemblyError {
  return new BatchAssemblyError(`input "${name}" mixes data kinds across requests`);
}
