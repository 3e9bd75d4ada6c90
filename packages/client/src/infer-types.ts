import type { Datatype, DatatypeArrayMap, Parameters, Tensor } from '@infer/codecs';
import type { ModelSchema } from './model-schema';

/**
 * Plain (non-typed-array) elements accepted for a datatype: finite numbers (FP16 and BF16 as
 * floats, which are converted to their 16-bit forms), booleans for BOOL, safe integers, bigints
 * or decimal strings for 64-bit integers, strings or byte arrays for BYTES. Every element is
 * checked for type and range (`@infer/codecs` `dataFromValues`, the check the server applies to
 * JSON); NaN and Infinity need a `Float32Array` / `Float64Array`.
 */
export type PlainElements<D extends Datatype> = D extends 'BOOL'
  ? readonly boolean[]
  : D extends 'INT64' | 'UINT64'
    ? readonly (bigint | number | string)[]
    : D extends 'BYTES'
      ? readonly (string | Uint8Array)[]
      : readonly number[];

/**
 * The data of one input of datatype `D`: its typed array (`Float32Array` for FP32,
 * `BigInt64Array` for INT64, `Uint16Array` bits for FP16 and BF16, `Uint8Array` 0/1 for BOOL), plain
 * elements, or for BYTES one string or one `Uint8Array` (an encoded image, say).
 */
export type InputData<D extends Datatype> =
  | DatatypeArrayMap[D]
  | PlainElements<D>
  | (D extends 'BYTES' ? string | Uint8Array : never);

/**
 * One input with its details spelled out. `shape` defaults to the schema's shape with its
 * one `-1` filled in, else `[elements]`; `datatype` defaults to the schema's, else is
 * inferred from the data (`Float32Array` -> FP32, strings -> BYTES...).
 *
 * @example
 * const x: TensorInput<'FP32'> = { data: new Float32Array(6), shape: [2, 3] };
 */
export interface TensorInput<D extends Datatype = Datatype> {
  data: InputData<D>;
  shape?: readonly number[];
  datatype?: D;
  /** Per-input OIP parameters, e.g. `{ content_type: 'str' }`. */
  parameters?: Parameters;
}

/** One input value: its data alone, or a {@link TensorInput}. */
export type InputValue<D extends Datatype = Datatype> = InputData<D> | TensorInput<D>;

/** Input names of a schema. */
export type InputName<S extends ModelSchema> = keyof S['inputs'] & string;

/** Output names of a schema. */
export type OutputName<S extends ModelSchema> = keyof S['outputs'] & string;

/** What `infer()` takes for a schema: every input by name, data typed by its datatype. */
export type InferInputs<S extends ModelSchema> = {
  [K in InputName<S>]: InputValue<S['inputs'][K]['datatype']>;
};

/** The outputs `infer()` returns for a schema: typed tensors by name. */
export type InferOutputs<S extends ModelSchema, O extends string = OutputName<S>> = {
  [K in O & OutputName<S>]: Tensor<S['outputs'][K]['datatype']>;
};

/**
 * A requested output with OIP parameters, e.g. `{ name: 'probs', parameters: { classification: 3 } }`
 * (Triton's classification extension: the output comes back as BYTES `"score:index"` strings,
 * read with `textOf`, whatever datatype the schema gives it).
 */
export interface RequestedOutput<O extends string = string> {
  name: O;
  parameters?: Parameters;
}

/** Options of one `infer()` call. */
export interface InferOptions<O extends string = string> {
  /** Ask for these outputs only, by name or with parameters. Default: every output the model returns. */
  outputs?: readonly (O | RequestedOutput<O>)[];
  /** Request-level OIP parameters. Default: none. */
  parameters?: Parameters;
  /** Request id, echoed back in the response. Default: none. */
  id?: string;
  /**
   * `true` forces the binary tensor extension (request and outputs), `false` forces JSON.
   * Default: binary when the inputs hold at least `binaryThreshold` bytes, or hold what JSON
   * cannot carry (non-UTF-8 BYTES such as images, NaN or Infinity). Over gRPC: `true` sends
   * `raw_input_contents`, `false` typed `contents`; default the client's `contents`.
   */
  binary?: boolean;
  /** Gives up the call (including retries); rejects with `INFER_CLIENT_ERR_ABORTED`. */
  signal?: AbortSignal;
  /**
   * Deadline of this call in ms, retries included: a non-negative integer (else the call
   * rejects with `INFER_CLIENT_ERR_INVALID_OPTION`). Default: the client's `timeoutMs`.
   */
  timeoutMs?: number;
  /**
   * Extra HTTP headers for this call (gRPC metadata over gRPC); one replaces the client's
   * header of the same name, whatever its case.
   */
  headers?: Record<string, string>;
}

/** The result of `infer()`: the response fields and the outputs by name. */
export interface InferResult<Outputs> {
  model_name: string;
  model_version?: string;
  id?: string;
  parameters?: Parameters;
  /** Output tensors by name, e.g. `result.outputs.probability.data`. */
  outputs: Outputs;
}

/** Options of the calls that only read (`live`, `ready`, `metadata`, `schema`). */
export interface CallOptions {
  /** Gives up the call; rejects with `INFER_CLIENT_ERR_ABORTED`. */
  signal?: AbortSignal;
  /**
   * Deadline in ms, retries included: a non-negative integer (else the call rejects with
   * `INFER_CLIENT_ERR_INVALID_OPTION`). Default: the client's `timeoutMs`.
   */
  timeoutMs?: number;
  /**
   * Extra HTTP headers for this call (gRPC metadata over gRPC); one replaces the client's
   * header of the same name, whatever its case.
   */
  headers?: Record<string, string>;
}
