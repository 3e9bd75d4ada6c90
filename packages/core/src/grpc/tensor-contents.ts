/**
 * `InferTensorContents`: tensor data as the typed repeated field of its datatype
 * (`fp32_contents`, `int64_contents`, ...). FP16 and BF16 have no typed field: raw only.
 */
import { CodecError, type Datatype, type Tensor, type TensorData } from '@infer/codecs';
import type {
  InferTensorContents,
  InferTensorContents__Output,
} from './generated/inference/InferTensorContents';

type ContentsField = Exclude<keyof InferTensorContents__Output, never>;

/** The `contents` field that carries each datatype (FP16 and BF16: none, raw only). */
const FIELD: Readonly<Record<Datatype, ContentsField | undefined>> = Object.freeze({
  BOOL: 'bool_contents',
  UINT8: 'uint_contents',
  UINT16: 'uint_contents',
  UINT32: 'uint_contents',
  UINT64: 'uint64_contents',
  INT8: 'int_contents',
  INT16: 'int_contents',
  INT32: 'int_contents',
  INT64: 'int64_contents',
  FP16: undefined,
  BF16: undefined,
  FP32: 'fp32_contents',
  FP64: 'fp64_contents',
  BYTES: 'bytes_contents',
});

const FIELDS = [
  'bool_contents',
  'int_contents',
  'int64_contents',
  'uint_contents',
  'uint64_contents',
  'fp32_contents',
  'fp64_contents',
  'bytes_contents',
] as const satisfies readonly ContentsField[];

/** Value ranges of the narrow integer types carried in 32-bit fields. */
const RANGE: Partial<Record<Datatype, readonly [number, number]>> = {
  UINT8: [0, 0xff],
  UINT16: [0, 0xffff],
  INT8: [-0x80, 0x7f],
  INT16: [-0x8000, 0x7fff],
};

/**
 * Whether any field of `contents` holds elements.
 *
 * @internal
 */
export function hasContents(contents: InferTensorContents__Output | undefined | null): boolean {
  if (contents == null) return false;
  return FIELDS.some((field) => (contents[field]?.length ?? 0) > 0);
}

/**
 * The typed data of a tensor from its `contents`: only the datatype's own field may hold
 * elements, exactly `count` of them, each in range. Throws `CodecError` naming `where`.
 *
 * @internal
 * @example
 * contentsToData('FP32', { fp32_contents: [1, 2] }, 2, 'inputs[0] ("x")'); // Float32Array [1, 2]
 */
export function contentsToData(
  datatype: Datatype,
  contents: InferTensorContents__Output | undefined | null,
  count: number,
  where: string,
  input: string,
): TensorData {
  const field = FIELD[datatype];
  if (field === undefined) {
    throw new CodecError(
      `${where}: ${datatype} has no typed contents field; send it in raw_input_contents`,
      { input },
    );
  }
  for (const other of FIELDS) {
    if (other !== field && (contents?.[other]?.length ?? 0) > 0) {
      throw new CodecError(
        `${where}: a ${datatype} tensor carries its data in contents.${field}, not contents.${other}`,
        { input },
      );
    }
  }
  const values = (contents?.[field] ?? []) as readonly unknown[];
  if (values.length !== count) {
    throw new CodecError(
      `${where}: contents.${field} has ${values.length} elements but the shape needs ${count}`,
      { input },
    );
  }
  switch (datatype) {
    case 'BOOL':
      return Uint8Array.from(values as boolean[], (value) => (value ? 1 : 0));
    case 'UINT8':
    case 'UINT16':
    case 'INT8':
    case 'INT16': {
      const [min, max] = RANGE[datatype]!;
      const numbers = values as number[];
      for (let i = 0; i < numbers.length; i++) {
        const value = numbers[i]!;
        if (value < min || value > max) {
          throw new CodecError(
            `${where}: contents.${field}[${i}] is ${value}, outside the ${datatype} range ${min}..${max}`,
            { input, index: i },
          );
        }
      }
      return constructorOf(datatype).from(numbers);
    }
    case 'UINT32':
      return Uint32Array.from(values as number[]);
    case 'INT32':
      return Int32Array.from(values as number[]);
    case 'FP32':
      return Float32Array.from(values as number[]);
    case 'FP64':
      return Float64Array.from(values as number[]);
    case 'INT64':
      return BigInt64Array.from(values as string[], (value) => BigInt(value));
    case 'UINT64':
      return BigUint64Array.from(values as string[], (value) => BigInt(value));
    default:
      // BYTES: views over the received message, one per element.
      return (values as Uint8Array[]).slice();
  }
}

function constructorOf(datatype: 'UINT8' | 'UINT16' | 'INT8' | 'INT16') {
  return { UINT8: Uint8Array, UINT16: Uint16Array, INT8: Int8Array, INT16: Int16Array }[datatype];
}

/**
 * The typed `contents` of a tensor, or `undefined` for datatypes without a typed field
 * (FP16, BF16): the caller then answers with raw contents. 64-bit integers go as decimal strings
 * (protobufjs turns them into int64 without precision loss).
 *
 * @internal
 * @example
 * dataToContents({ name: 'y', datatype: 'INT64', shape: [1], data: new BigInt64Array([2n ** 60n]) });
 * // { int64_contents: ['1152921504606846976'] }
 */
export function dataToContents(tensor: Tensor): InferTensorContents | undefined {
  const field = FIELD[tensor.datatype];
  if (field === undefined) return undefined;
  const data = tensor.data;
  switch (tensor.datatype) {
    case 'BOOL':
      return { bool_contents: Array.from(data as Uint8Array, (value) => value !== 0) };
    case 'INT64':
    case 'UINT64':
      return { [field]: Array.from(data as BigInt64Array, String) };
    case 'BYTES':
      return { bytes_contents: (data as Uint8Array[]).map(asBuffer) };
    default:
      return { [field]: Array.from(data as Float32Array) };
  }
}

/** A Buffer view (no copy): protobufjs copies Buffers at once but Uint8Arrays byte by byte. */
function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
}

/**
 * Whether a datatype can travel as typed contents (all but FP16 and BF16).
 *
 * @internal
 */
export function hasTypedField(datatype: Datatype): boolean {
  return FIELD[datatype] !== undefined;
}
