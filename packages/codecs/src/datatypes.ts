import { DATATYPES, type Datatype, type DatatypeArrayMap } from './types';

/** A datatype with a fixed element size (every one but `BYTES`). */
export type FixedSizeDatatype = Exclude<Datatype, 'BYTES'>;

/**
 * Bytes per element of each fixed-size datatype (OIP "Tensor Data Types" table).
 *
 * @example
 * DATATYPE_SIZES.FP16; // 2
 */
export const DATATYPE_SIZES: Readonly<Record<FixedSizeDatatype, number>> = Object.freeze({
  BOOL: 1,
  UINT8: 1,
  UINT16: 2,
  UINT32: 4,
  UINT64: 8,
  INT8: 1,
  INT16: 2,
  INT32: 4,
  INT64: 8,
  FP16: 2,
  BF16: 2,
  FP32: 4,
  FP64: 8,
});

/** Constructor of the typed array that stores a fixed-size datatype. */
export type TypedArrayConstructor =
  | Uint8ArrayConstructor
  | Int8ArrayConstructor
  | Uint16ArrayConstructor
  | Int16ArrayConstructor
  | Uint32ArrayConstructor
  | Int32ArrayConstructor
  | BigUint64ArrayConstructor
  | BigInt64ArrayConstructor
  | Float32ArrayConstructor
  | Float64ArrayConstructor;

const CONSTRUCTORS: Readonly<Record<FixedSizeDatatype, TypedArrayConstructor>> = Object.freeze({
  BOOL: Uint8Array,
  UINT8: Uint8Array,
  UINT16: Uint16Array,
  UINT32: Uint32Array,
  UINT64: BigUint64Array,
  INT8: Int8Array,
  INT16: Int16Array,
  INT32: Int32Array,
  INT64: BigInt64Array,
  FP16: Uint16Array,
  BF16: Uint16Array,
  FP32: Float32Array,
  FP64: Float64Array,
});

const DATATYPE_SET: ReadonlySet<string> = new Set(DATATYPES);

/**
 * True when `value` is one of the OIP datatypes this package supports.
 *
 * @example
 * isDatatype('FP32'); // true
 * isDatatype('FP8'); // false
 */
export function isDatatype(value: unknown): value is Datatype {
  return typeof value === 'string' && DATATYPE_SET.has(value);
}

/**
 * Bytes per element, or `undefined` for `BYTES` (variable size).
 *
 * @example
 * elementSize('INT64'); // 8
 */
export function elementSize(datatype: Datatype): number | undefined {
  return datatype === 'BYTES' ? undefined : DATATYPE_SIZES[datatype];
}

/**
 * The typed array constructor that stores `datatype` (`Uint16Array` for FP16 halves,
 * `Uint8Array` for BOOL).
 *
 * @example
 * typedArrayConstructor('INT64') === BigInt64Array; // true
 */
export function typedArrayConstructor(datatype: FixedSizeDatatype): TypedArrayConstructor {
  return CONSTRUCTORS[datatype];
}

/**
 * A zero-filled array for `length` elements of `datatype` (an array of empty `Uint8Array`s
 * for BYTES).
 *
 * @example
 * createTypedArray('FP32', 4); // Float32Array(4) [0, 0, 0, 0]
 */
export function createTypedArray<D extends Datatype>(
  datatype: D,
  length: number,
): DatatypeArrayMap[D] {
  if (datatype === 'BYTES') {
    return Array.from({ length }, () => new Uint8Array(0)) as DatatypeArrayMap[D];
  }
  const Constructor = CONSTRUCTORS[datatype as FixedSizeDatatype];
  return new Constructor(length) as DatatypeArrayMap[D];
}

/** The datatypes {@link datatypeOf} reads from a typed array (not BOOL, FP16, BF16). */
const TYPED_DATATYPES = [
  'FP32',
  'FP64',
  'INT32',
  'INT64',
  'UINT8',
  'INT8',
  'INT16',
  'UINT16',
  'UINT32',
  'UINT64',
] as const;

/**
 * The datatype whose storage is this typed array, for the unambiguous ones
 * (`Uint8Array` gives UINT8 and `Uint16Array` UINT16; BOOL, FP16 and BF16 must be named).
 *
 * @example
 * datatypeOf(new Float32Array(2)); // 'FP32'
 */
export function datatypeOf(data: unknown): Datatype | undefined {
  if (Array.isArray(data)) {
    return data.every((item) => item instanceof Uint8Array) ? 'BYTES' : undefined;
  }
  return TYPED_DATATYPES.find((datatype) => data instanceof CONSTRUCTORS[datatype]);
}
