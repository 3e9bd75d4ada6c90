import type { ContentTypeCodec } from './content-type-codec';
import { datatypeOf } from './datatypes';
import { CodecError } from './errors';
import type { Datatype, Tensor, TensorData } from './types';

/** What the `np` codec encodes: a tensor-like object, or a typed array (1-D). */
export type NpValue =
  | { datatype: Datatype; shape: number[]; data: TensorData }
  | Exclude<TensorData, Uint8Array[]>;

function isTensorLike(
  value: unknown,
): value is { datatype: Datatype; shape: number[]; data: TensorData } {
  return (
    typeof value === 'object' &&
    value !== null &&
    'datatype' in value &&
    'shape' in value &&
    'data' in value
  );
}

/**
 * The `np` codec (MLServer's NumpyCodec): the typed tensor itself. Decoding returns the
 * tensor; encoding takes a tensor-like `{ datatype, shape, data }` or a typed array
 * (shape `[length]`, datatype from the array type).
 *
 * @example
 * npCodec.encode('y', new Float32Array([1, 2])); // { name: 'y', datatype: 'FP32', shape: [2], ... }
 */
export const npCodec: ContentTypeCodec<Tensor | NpValue> = {
  contentType: 'np',
  canEncode: (value) =>
    isTensorLike(value) || (ArrayBuffer.isView(value) && !(value instanceof DataView)),
  decode: (tensor) => tensor,
  encode(name, value) {
    if (isTensorLike(value)) {
      return { name, datatype: value.datatype, shape: value.shape, data: value.data } as Tensor;
    }
    const datatype = datatypeOf(value);
    if (datatype === undefined || datatype === 'BYTES') {
      throw new CodecError(
        `output ${JSON.stringify(name)}: the np codec needs a tensor or a typed array`,
        {
          input: name,
        },
      );
    }
    return { name, datatype, shape: [value.length], data: value } as Tensor;
  },
};
