/**
 * `InferTensorContents`: tensor data as the typed repeated field of its datatype
 * (`fp32_contents`, `int64_contents`, ...). FP16 and BF16 have no typed field: they travel
 * raw only. Raw contents are `@infer/codecs`' `tensorBytes` / `tensorDataFromBytes`.
 */
import type { Datatype, Tensor, TensorData } from '@infer/codecs';
import type {
  InferTensorContents,
  InferTensorContents__Output,
} from './generated/inference/InferTensorContents';

type ContentsField = keyof InferTensorContents__Output;

/** The `contents` field of each datatype; absent for FP16 and BF16 (raw only). */
const FIELD: Readonly<Partial<Record<string, ContentsField>>> = Object.freeze({
  BOOL: 'bool_contents',
  UINT8: 'uint_contents',
  UINT16: 'uint_contents',
  UINT32: 'uint_contents',
  UINT64: 'uint64_contents',
  INT8: 'int_contents',
  INT16: 'int_contents',
  INT32: 'int_contents',
  INT64: 'int64_contents',
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

/**
 * Whether a datatype can travel as typed `contents` (all but FP16 and BF16).
 *
 * @internal
 */
export function hasTypedField(datatype: Datatype): boolean {
  return FIELD[datatype] !== undefined;
}

/**
 * The typed `contents` of a tensor (a datatype with a typed field): 64-bit integers as
 * decimal strings (protobufjs writes them as int64 without precision loss), BYTES as
 * `Buffer` views (protobufjs copies a `Buffer` at once, a `Uint8Array` byte by byte).
 *
 * @internal
 * @example
 * dataToContents({ name: 'x', datatype: 'INT64', shape: [1], data: new BigInt64Array([2n ** 60n]) });
 * // { int64_contents: ['1152921504606846976'] }
 */
export function dataToContents(tensor: Tensor): InferTensorContents {
  const field = FIELD[tensor.datatype]!;
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

/**
 * The typed data of a tensor from its `contents` (decoded with `longs: String`): only the
 * datatype's own field may hold elements, exactly `count` of them. Throws an `Error` naming
 * `where`; the caller turns it into `INFER_CLIENT_ERR_DECODE`.
 *
 * @internal
 * @example
 * contentsToData('FP32', { fp32_contents: [1, 2] }, 2, 'outputs[0] ("y")'); // Float32Array [1, 2]
 */
export function contentsToData(
  datatype: Datatype,
  contents: InferTensorContents__Output | undefined | null,
  count: number,
  where: string,
): TensorData {
  const field = FIELD[datatype];
  if (field === undefined) {
    throw new Error(`${where}: ${datatype} has no typed contents field and no raw contents came`);
  }
  for (const other of FIELDS) {
    if (other !== field && (contents?.[other]?.length ?? 0) > 0) {
      throw new Error(`${where}: a ${datatype} tensor has its data in contents.${other}`);
    }
  }
  const values = (contents?.[field] ?? []) as readonly unknown[];
  if (values.length !== count) {
    throw new Error(
      `${where}: contents.${field} has ${values.length} elements but the shape needs ${count}`,
    );
  }
  switch (datatype) {
    case 'BOOL':
      return Uint8Array.from(values as boolean[], (value) => (value ? 1 : 0));
    case 'INT64':
      return BigInt64Array.from(values as string[], (value) => BigInt(value));
    case 'UINT64':
      return BigUint64Array.from(values as string[], (value) => BigInt(value));
    case 'BYTES':
      // Plain views over the message, as over REST (not Buffers).
      return (values as Uint8Array[]).map(
        (bytes) => new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength),
      );
    default: {
      const Constructor = {
        UINT8: Uint8Array,
        UINT16: Uint16Array,
        UINT32: Uint32Array,
        INT8: Int8Array,
        INT16: Int16Array,
        INT32: Int32Array,
        FP32: Float32Array,
        FP64: Float64Array,
      }[datatype as 'FP32'];
      return Constructor.from(values as number[]);
    }
  }
}

/** A `Buffer` view over bytes (no copy). */
export function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
}
