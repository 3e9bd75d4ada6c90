/**
 * The gRPC (`open_inference_grpc.proto`) forms of tensor data and parameters, shared by the
 * server (`@infer/core/grpc`) and the client (`@infer/client/grpc`): `InferTensorContents`,
 * the typed repeated field of each datatype (FP16 and BF16 have none: raw contents only, see
 * `tensorBytes`), and `InferParameter`, the oneof of a parameter's value. The shapes below
 * are structural: the packages' generated proto types (proto-loader, `longs: String`) fit
 * them. No gRPC library is imported here.
 */
import { isDatatype } from './datatypes';
import { elementCount } from './element-count';
import { CodecError } from './errors';
import { tensorDataFromBytes } from './tensor-bytes';
import type { Datatype, Parameters, Tensor, TensorData } from './types';

/** `InferTensorContents` as proto-loader gives and takes it (64-bit integers as strings). */
export interface GrpcTensorContents {
  bool_contents?: boolean[];
  int_contents?: number[];
  int64_contents?: (string | number)[];
  uint_contents?: number[];
  uint64_contents?: (string | number)[];
  fp32_contents?: number[];
  fp64_contents?: number[];
  bytes_contents?: Uint8Array[];
}

/** `InferParameter` as proto-loader takes it: one of its values set. */
export interface GrpcInferParameter {
  bool_param?: boolean;
  int64_param?: string | number;
  string_param?: string;
  double_param?: number;
  uint64_param?: string | number;
}

/** `InferParameter` as proto-loader gives it: `parameter_choice` names the field set. */
export interface GrpcInferParameterValue extends GrpcInferParameter {
  parameter_choice?: string;
}

type ContentsField = keyof GrpcTensorContents;

/** The `contents` field of each datatype; none for FP16 and BF16 (raw only). */
const FIELD: Readonly<Partial<Record<Datatype, ContentsField>>> = Object.freeze({
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

const FIELDS: readonly ContentsField[] = [
  'bool_contents',
  'int_contents',
  'int64_contents',
  'uint_contents',
  'uint64_contents',
  'fp32_contents',
  'fp64_contents',
  'bytes_contents',
];

/** Value ranges of the narrow integer types carried in 32-bit fields. */
const RANGE: Partial<Record<Datatype, readonly [number, number]>> = {
  UINT8: [0, 0xff],
  UINT16: [0, 0xffff],
  INT8: [-0x80, 0x7f],
  INT16: [-0x8000, 0x7fff],
};

const NUMBER_ARRAYS = {
  UINT8: Uint8Array,
  UINT16: Uint16Array,
  UINT32: Uint32Array,
  INT8: Int8Array,
  INT16: Int16Array,
  INT32: Int32Array,
  FP32: Float32Array,
  FP64: Float64Array,
} as const;

/**
 * Whether a datatype can travel as typed gRPC `contents` (all but FP16 and BF16).
 *
 * @example
 * hasContentsField('FP16'); // false
 */
export function hasContentsField(datatype: Datatype): boolean {
  return FIELD[datatype] !== undefined;
}

/**
 * Whether any field of a gRPC `contents` holds elements.
 *
 * @example
 * hasTensorContents({ fp32_contents: [] }); // false
 */
export function hasTensorContents(contents: GrpcTensorContents | undefined | null): boolean {
  if (contents == null) return false;
  return FIELDS.some((field) => (contents[field]?.length ?? 0) > 0);
}

/**
 * The typed data of a tensor from its gRPC `contents`: only the datatype's own field may hold
 * elements, exactly `count` of them, narrow integers in range; BYTES elements are plain
 * `Uint8Array` views over the message. Throws `CodecError` naming `where`.
 *
 * @example
 * tensorContentsToData('FP32', { fp32_contents: [1, 2] }, 2, 'inputs[0] ("x")'); // Float32Array [1, 2]
 */
export function tensorContentsToData(
  datatype: Datatype,
  contents: GrpcTensorContents | undefined | null,
  count: number,
  where: string,
  input?: string,
): TensorData {
  const field = FIELD[datatype];
  if (field === undefined) {
    throw new CodecError(
      `${where}: ${datatype} has no typed contents field; send it as raw contents (raw_input_contents / raw_output_contents)`,
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
    case 'INT64':
      return BigInt64Array.from(values as string[], (value) => BigInt(value));
    case 'UINT64':
      return BigUint64Array.from(values as string[], (value) => BigInt(value));
    case 'BYTES':
      return (values as Uint8Array[]).map((bytes) =>
        bytes.constructor === Uint8Array
          ? bytes
          : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength),
      );
    default: {
      const numbers = values as number[];
      const range = RANGE[datatype];
      if (range !== undefined) {
        const [min, max] = range;
        for (let i = 0; i < numbers.length; i++) {
          const value = numbers[i]!;
          if (value < min || value > max) {
            throw new CodecError(
              `${where}: contents.${field}[${i}] is ${value}, outside the ${datatype} range ${min}..${max}`,
              { input, index: i },
            );
          }
        }
      }
      return NUMBER_ARRAYS[datatype as keyof typeof NUMBER_ARRAYS].from(numbers);
    }
  }
}

/**
 * The typed gRPC `contents` of a tensor, or `undefined` for FP16 and BF16 (raw only).
 * 64-bit integers go as decimal strings (int64 without precision loss); `bytes` wraps each
 * BYTES element (a gRPC library may want its own buffer type; default: as is).
 *
 * @example
 * tensorDataToContents({ name: 'y', datatype: 'INT64', shape: [1], data: new BigInt64Array([2n ** 60n]) });
 * // { int64_contents: ['1152921504606846976'] }
 */
export function tensorDataToContents(
  tensor: Tensor,
  bytes: (element: Uint8Array) => Uint8Array = (element) => element,
): GrpcTensorContents | undefined {
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
      return { bytes_contents: (data as Uint8Array[]).map(bytes) };
    default:
      return { [field]: Array.from(data as Float32Array) };
  }
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;

/**
 * REST-style parameters to a gRPC `InferParameter` map: booleans to `bool_param`, strings to
 * `string_param`, safe integers to `int64_param`, other numbers to `double_param`, and (at
 * run time) bigints to `int64_param` or, above the int64 range, `uint64_param`; 64-bit values
 * as decimal strings, so no precision is lost. `undefined` for no parameters.
 *
 * @example
 * encodeInferParameters({ n: 3, s: 'x' }); // { n: { int64_param: '3' }, s: { string_param: 'x' } }
 */
export function encodeInferParameters(
  parameters: Parameters | undefined,
): Record<string, GrpcInferParameter> | undefined {
  if (parameters === undefined) return undefined;
  const map: Record<string, GrpcInferParameter> = {};
  for (const [name, value] of Object.entries(parameters as Record<string, unknown>)) {
    if (typeof value === 'boolean') map[name] = { bool_param: value };
    else if (typeof value === 'string') map[name] = { string_param: value };
    else if (typeof value === 'number') {
      map[name] = Number.isSafeInteger(value)
        ? { int64_param: String(value) }
        : { double_param: value };
    } else if (typeof value === 'bigint' && value >= INT64_MIN && value <= UINT64_MAX) {
      map[name] =
        value <= INT64_MAX ? { int64_param: String(value) } : { uint64_param: String(value) };
    }
  }
  return map;
}

/**
 * A gRPC `InferParameter` map (64-bit integers as strings) to REST-style parameters:
 * `int64_param` and `uint64_param` become numbers when they are safe integers and decimal
 * strings otherwise (no precision lost; the REST JSON form has no 64-bit integers either).
 * `undefined` for an empty map; a parameter with no value set is a `CodecError` naming `path`.
 *
 * @example
 * decodeInferParameters({ n: { int64_param: '9007199254740993', parameter_choice: 'int64_param' } }, 'parameters');
 * // { n: '9007199254740993' }
 */
export function decodeInferParameters(
  map: Record<string, GrpcInferParameterValue> | undefined | null,
  path: string,
): Parameters | undefined {
  if (map == null) return undefined;
  const names = Object.keys(map);
  if (names.length === 0) return undefined;
  const parameters: Parameters = {};
  for (const name of names) {
    const parameter = map[name]!;
    switch (parameter.parameter_choice) {
      case 'bool_param':
        parameters[name] = parameter.bool_param === true;
        break;
      case 'string_param':
        parameters[name] = parameter.string_param ?? '';
        break;
      case 'double_param':
        parameters[name] = parameter.double_param ?? 0;
        break;
      case 'int64_param':
      case 'uint64_param': {
        const text = String(parameter[parameter.parameter_choice as 'int64_param'] ?? '0');
        const value = Number(text);
        parameters[name] = Number.isSafeInteger(value) ? value : text;
        break;
      }
      default:
        throw new CodecError(`${path}["${name}"] has no value (set one of its *_param fields)`);
    }
  }
  return parameters;
}

/** One tensor of a gRPC message (`InferInputTensor`, `InferOutputTensor`) as proto-loader gives it. */
export interface GrpcTensor {
  name?: string;
  datatype?: string;
  shape?: readonly (string | number)[];
  parameters?: Record<string, GrpcInferParameterValue> | null;
  contents?: GrpcTensorContents | null;
}

/**
 * The decoded tensor `index` of a gRPC message's `inputs` or `outputs`: name and datatype
 * required, shape checked, data from `raw` (its entry of `raw_input_contents` /
 * `raw_output_contents`, read as views; the tensor may then carry no `contents`) or from its
 * typed `contents`, parameters to REST-style values. BYTES elements are plain `Uint8Array`
 * views. Throws `CodecError` naming the tensor.
 *
 * @example
 * decodeGrpcTensor({ name: 'x', datatype: 'FP32', shape: ['2'] }, 'inputs', 0, bytes);
 * // { name: 'x', datatype: 'FP32', shape: [2], data: Float32Array(2) }
 */
export function decodeGrpcTensor(
  message: GrpcTensor,
  list: 'inputs' | 'outputs',
  index: number,
  raw: Uint8Array | undefined,
): Tensor {
  const name = message.name ?? '';
  const where = `${list}[${index}]${name === '' ? '' : ` ("${name}")`}`;
  if (name === '') throw new CodecError(`${where}.name is required`);
  const datatype = message.datatype ?? '';
  if (!isDatatype(datatype)) {
    throw new CodecError(`${where}: unknown datatype "${datatype}"`, { input: name });
  }
  const shape = (message.shape ?? []).map(Number);
  const count = elementCount(shape, `${where}.shape`);
  let data: TensorData;
  if (raw !== undefined) {
    const rawName = list === 'inputs' ? 'raw_input_contents' : 'raw_output_contents';
    if (hasTensorContents(message.contents)) {
      throw new CodecError(
        `${where} has contents while ${rawName} is used; send every ${list === 'inputs' ? 'input' : 'output'} one way`,
        { input: name },
      );
    }
    const bytes =
      raw.constructor === Uint8Array
        ? raw
        : new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength);
    data = tensorDataFromBytes(datatype, bytes, count, {
      where: `${rawName}[${index}]`,
      input: name,
    });
  } else {
    data = tensorContentsToData(datatype, message.contents, count, where, name);
  }
  const parameters = decodeInferParameters(message.parameters, `${where}.parameters`);
  return {
    name,
    datatype,
    shape,
    data,
    ...(parameters === undefined ? {} : { parameters }),
  } as Tensor;
}
