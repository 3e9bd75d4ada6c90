/**
 * Decoded (in-memory) Open Inference Protocol types: what runtimes, the batcher and the
 * service pass around. The JSON wire forms and their zod schemas live in `schemas.ts`.
 */

/**
 * Every OIP tensor datatype (REST spec "Tensor Data Types"). BF16 (bfloat16, the upper half
 * of an FP32) is in the gRPC proto and Triton's binary extension; JSON carries it as numbers.
 */
export const DATATYPES = [
  'BOOL',
  'UINT8',
  'UINT16',
  'UINT32',
  'UINT64',
  'INT8',
  'INT16',
  'INT32',
  'INT64',
  'FP16',
  'BF16',
  'FP32',
  'FP64',
  'BYTES',
] as const;

/** An OIP tensor datatype, e.g. `'FP32'`. */
export type Datatype = (typeof DATATYPES)[number];

/**
 * The typed storage of one datatype: BOOL as 0/1 bytes, FP16 as raw IEEE-754 halves, BF16
 * as raw bfloat16 bits (the upper 16 bits of an FP32),
 * 64-bit integers as BigInt arrays, BYTES as one `Uint8Array` per element.
 */
export interface DatatypeArrayMap {
  BOOL: Uint8Array;
  UINT8: Uint8Array;
  UINT16: Uint16Array;
  UINT32: Uint32Array;
  UINT64: BigUint64Array;
  INT8: Int8Array;
  INT16: Int16Array;
  INT32: Int32Array;
  INT64: BigInt64Array;
  FP16: Uint16Array;
  BF16: Uint16Array;
  FP32: Float32Array;
  FP64: Float64Array;
  BYTES: Uint8Array[];
}

/** Data of a tensor of any datatype. */
export type TensorData = DatatypeArrayMap[Datatype];

/** A parameter value: the OIP `$parameters` map holds strings, numbers and booleans. */
export type ParameterValue = string | number | boolean;

/** The OIP `$parameters` object. */
export type Parameters = Record<string, ParameterValue>;

/**
 * A decoded tensor: name, datatype, shape (row-major; `[]` is a scalar with one element)
 * and the matching typed data.
 *
 * @example
 * const t: Tensor<'FP32'> = { name: 'x', datatype: 'FP32', shape: [1, 2], data: new Float32Array([1, 2]) };
 */
export interface Tensor<D extends Datatype = Datatype> {
  name: string;
  datatype: D;
  shape: number[];
  data: DatatypeArrayMap[D];
  parameters?: Parameters;
}

/** An output the client asks for, with per-output parameters (e.g. `binary_data`). */
export interface RequestedOutput {
  name: string;
  parameters?: Parameters;
}

/** A decoded inference request: typed input tensors, optional requested outputs. */
export interface InferenceRequest {
  id?: string;
  parameters?: Parameters;
  inputs: Tensor[];
  outputs?: RequestedOutput[];
}

/** A decoded inference response. */
export interface InferenceResponse {
  model_name: string;
  model_version?: string;
  id?: string;
  parameters?: Parameters;
  outputs: Tensor[];
}
