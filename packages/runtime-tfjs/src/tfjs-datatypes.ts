import type { Datatype, Tensor } from '@infer/codecs';
import { InvalidInputError } from '@infer/core';
import * as tf from '@tensorflow/tfjs';

/** TF.js dtypes this runtime serves, and their OIP datatypes. */
export const TFJS_TO_OIP = {
  float32: 'FP32',
  int32: 'INT32',
  bool: 'BOOL',
  string: 'BYTES',
} as const satisfies Partial<Record<tf.DataType, Datatype>>;

/** OIP datatypes this runtime accepts, and the TF.js dtype each becomes. */
export const OIP_TO_TFJS = {
  FP32: 'float32',
  INT32: 'int32',
  BOOL: 'bool',
  BYTES: 'string',
} as const satisfies Partial<Record<Datatype, tf.DataType>>;

/** An OIP datatype this runtime can pass to TF.js. */
export type TfjsDatatype = keyof typeof OIP_TO_TFJS;

/**
 * The OIP datatype of a TF.js dtype (`float32` -> `FP32`), or undefined for one OIP has no
 * equivalent for (`complex64`).
 *
 * @example
 * oipDatatypeOf('int32'); // 'INT32'
 */
export function oipDatatypeOf(dtype: string | undefined): TfjsDatatype | undefined {
  return dtype !== undefined && Object.hasOwn(TFJS_TO_OIP, dtype)
    ? TFJS_TO_OIP[dtype as keyof typeof TFJS_TO_OIP]
    : undefined;
}

/**
 * The TF.js dtype of a TensorFlow `DT_*` enum as the TF.js converter maps it (it runs
 * 64-bit and small integers as int32, halves and doubles as float32).
 *
 * @example
 * dtypeOfTensorflowEnum('DT_FLOAT'); // 'float32'
 */
export function dtypeOfTensorflowEnum(dtype: string | undefined): tf.DataType | undefined {
  switch (dtype) {
    case 'DT_FLOAT':
    case 'DT_HALF':
    case 'DT_BFLOAT16':
    case 'DT_DOUBLE':
      return 'float32';
    case 'DT_INT32':
    case 'DT_INT64':
    case 'DT_INT16':
    case 'DT_INT8':
    case 'DT_UINT8':
      return 'int32';
    case 'DT_BOOL':
      return 'bool';
    case 'DT_STRING':
      return 'string';
    default:
      return undefined;
  }
}

/**
 * Builds a TF.js tensor from a decoded OIP tensor (validated against the model first).
 * Numeric data is handed over as is; BYTES elements become a string tensor's bytes.
 *
 * @example
 * const x = toTfjsTensor({ name: 'x', datatype: 'FP32', shape: [1, 2], data: new Float32Array([1, 2]) });
 */
export function toTfjsTensor(tensor: Tensor): tf.Tensor {
  const dtype = OIP_TO_TFJS[tensor.datatype as TfjsDatatype];
  if (dtype === undefined) {
    const accepted = Object.keys(OIP_TO_TFJS).join(', ');
    throw new InvalidInputError(
      `input "${tensor.name}" is ${tensor.datatype}; TF.js models take ${accepted}`,
      { input: tensor.name, expected: accepted, received: tensor.datatype },
    );
  }
  return tf.tensor(tensor.data as tf.TensorLike, tensor.shape, dtype);
}

/**
 * Reads a TF.js tensor into a decoded OIP tensor named `name` (the caller disposes it). The
 * data is always the array type of the tensor's own dtype: the cpu backend can hand back
 * another one (a float32 tensor cast from int32 keeps its Int32Array), which is copied.
 *
 * @example
 * const output = await fromTfjsTensor('y', tf.tensor([1, 2]));
 */
export async function fromTfjsTensor(name: string, tensor: tf.Tensor): Promise<Tensor> {
  const shape = tensor.shape.slice();
  switch (tensor.dtype) {
    case 'float32':
      return { name, datatype: 'FP32', shape, data: asArray(await tensor.data(), Float32Array) };
    case 'int32':
      return { name, datatype: 'INT32', shape, data: asArray(await tensor.data(), Int32Array) };
    case 'bool': {
      const data = await tensor.data();
      return {
        name,
        datatype: 'BOOL',
        shape,
        data: data instanceof Uint8Array ? data : Uint8Array.from(data, (v) => (v ? 1 : 0)),
      };
    }
    case 'string':
      return { name, datatype: 'BYTES', shape, data: (await tensor.bytes()) as Uint8Array[] };
    default:
      throw new Error(`output "${name}" has dtype ${tensor.dtype}, which OIP cannot carry`);
  }
}

/** `data` as a `type`: itself when it already is one, else a copy. */
function asArray<T extends Float32Array | Int32Array>(
  data: tf.DataTypeMap[tf.NumericDataType],
  type: { new (length: number): T; from(source: ArrayLike<number>): T },
): T {
  return data instanceof type ? data : type.from(data);
}
