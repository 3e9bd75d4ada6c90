import { type Datatype, type Tensor, typedArrayConstructor } from '@infer/codecs';
import { InvalidInputError } from '@infer/core';
import ort from 'onnxruntime-node';

/** An ONNX Runtime tensor element type that maps to an OIP datatype. */
export type OrtTensorType =
  | 'bool'
  | 'uint8'
  | 'uint16'
  | 'uint32'
  | 'uint64'
  | 'int8'
  | 'int16'
  | 'int32'
  | 'int64'
  | 'float16'
  | 'float32'
  | 'float64'
  | 'string';

/**
 * OIP datatype -> ONNX Runtime tensor type. BOOL travels as 0/1 bytes (`Uint8Array`, which ORT
 * takes for `bool`), FP16 as raw IEEE-754 halves (`Uint16Array`), BYTES as UTF-8 strings.
 * BF16 has no entry: onnxruntime's JavaScript API has no bfloat16 tensors.
 *
 * @example
 * ORT_TYPES.INT64; // 'int64'
 */
export const ORT_TYPES: Readonly<Record<Exclude<Datatype, 'BF16'>, OrtTensorType>> = Object.freeze({
  BOOL: 'bool',
  UINT8: 'uint8',
  UINT16: 'uint16',
  UINT32: 'uint32',
  UINT64: 'uint64',
  INT8: 'int8',
  INT16: 'int16',
  INT32: 'int32',
  INT64: 'int64',
  FP16: 'float16',
  FP32: 'float32',
  FP64: 'float64',
  BYTES: 'string',
});

const DATATYPES_BY_ORT_TYPE: ReadonlyMap<string, Datatype> = new Map(
  Object.entries(ORT_TYPES).map(([datatype, type]) => [type, datatype as Datatype]),
);

/**
 * The OIP datatype of an ONNX Runtime tensor type, or `undefined` for types OIP cannot carry
 * (`bfloat16`, `int4`, `uint4`, float8 variants).
 *
 * @example
 * datatypeOfOrtType('float32'); // 'FP32'
 */
export function datatypeOfOrtType(type: string): Datatype | undefined {
  return DATATYPES_BY_ORT_TYPE.get(type);
}

function hasStorageOf(datatype: Datatype, data: unknown): boolean {
  if (datatype === 'BYTES') return Array.isArray(data);
  // The storage of `DatatypeArrayMap` (Uint8Array for BOOL, Uint16Array for FP16 halves).
  return (
    (data as { constructor?: unknown } | null)?.constructor === typedArrayConstructor(datatype)
  );
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const utf8Encoder = new TextEncoder();

/**
 * Wraps a decoded OIP tensor as an ONNX Runtime tensor. Numeric data is passed as is: ORT
 * reads the caller's typed array (a view into a request body included) with no copy. BYTES
 * elements are decoded as UTF-8 into ORT string elements; invalid UTF-8, or data not in the
 * datatype's typed array (`Float64Array` for FP32), is an `InvalidInputError`.
 *
 * @example
 * const value = toOrtTensor({ name: 'x', datatype: 'INT64', shape: [2], data: new BigInt64Array([1n, 2n]) });
 */
export function toOrtTensor(tensor: Tensor): ort.Tensor {
  const dims = tensor.shape;
  if (tensor.datatype === 'BF16') {
    throw new InvalidInputError(
      `input "${tensor.name}" is BF16, which onnxruntime's JavaScript API cannot pass; send FP32 or FP16`,
      { input: tensor.name, expected: 'FP32 or FP16' },
    );
  }
  if (!hasStorageOf(tensor.datatype, tensor.data)) {
    // In-process callers build tensors by hand; ORT would fail with its own wording.
    throw new InvalidInputError(
      `input "${tensor.name}" (${tensor.datatype}) must hold its data in the typed array of that datatype`,
      { input: tensor.name, expected: tensor.datatype },
    );
  }
  if (tensor.datatype === 'BYTES') {
    const items = tensor.data as Uint8Array[];
    const strings = new Array<string>(items.length);
    for (let i = 0; i < items.length; i++) {
      try {
        strings[i] = utf8.decode(items[i]);
      } catch (cause) {
        throw new InvalidInputError(
          `input "${tensor.name}" element ${i} is not valid UTF-8; ONNX string tensors hold text`,
          { input: tensor.name, expected: 'UTF-8 text', cause },
        );
      }
    }
    return new ort.Tensor('string', strings, dims);
  }
  // Every fixed-size datatype: ORT takes the typed array itself (Uint16Array for float16,
  // Uint8Array for bool), so no element is copied here.
  return new ort.Tensor(ORT_TYPES[tensor.datatype], tensor.data as Uint8Array, dims);
}

/**
 * Converts an ONNX Runtime output to an OIP tensor named `name`. Numeric data is ORT's own
 * fresh array, returned without a copy; float16 comes back as raw halves in a `Uint16Array`
 * (a view, when ORT hands out a `Float16Array`); strings are encoded as UTF-8 BYTES.
 * Returns `undefined` when the element type has no OIP datatype.
 *
 * @example
 * const tensor = fromOrtTensor('y', results.y);
 */
export function fromOrtTensor(name: string, value: ort.Tensor): Tensor | undefined {
  const datatype = datatypeOfOrtType(value.type);
  if (datatype === undefined) return undefined;
  const shape = value.dims.slice();
  const data = value.data as unknown;
  if (datatype === 'BYTES') {
    const strings = data as string[];
    return { name, datatype, shape, data: strings.map((text) => utf8Encoder.encode(text)) };
  }
  if (datatype === 'FP16' && !(data instanceof Uint16Array)) {
    // Float16Array (Node >= 24 with ORT >= 1.20): the same bytes seen as raw halves.
    const halves = data as ArrayBufferView & { length: number };
    return {
      name,
      datatype,
      shape,
      data: new Uint16Array(halves.buffer, halves.byteOffset, halves.length),
    };
  }
  return { name, datatype, shape, data } as Tensor;
}
