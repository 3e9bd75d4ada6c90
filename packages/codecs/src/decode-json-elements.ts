/**
 * JSON tensor elements <-> typed storage, one tight loop per datatype (no per-element
 * closures: this is the hot path of JSON decoding).
 */
import { describeValue } from './describe-value';
import { CodecError } from './errors';
import { float32ToBfloat16, float32ToFloat16 } from './float16';
import type { Datatype, TensorData } from './types';
import { encodeUtf8, illFormed } from './utf8';

/** @internal Names the tensor in element errors: `where` is e.g. `inputs[0] ("x")`. */
export interface ElementContext {
  where: string;
  input?: string | undefined;
}

/** @internal `list[index]`, or `list` alone when `index` is -1 (a bare path). */
export function placePath(list: string, index: number): string {
  return index < 0 ? list : `${list}[${index}]`;
}

/**
 * @internal The {@link ElementContext} of tensor `index` of `list` (e.g. `inputs`, 0), whose
 * texts are built only when an error message reads them: every tensor gets a context on the
 * hot path, almost none an error.
 */
export class TensorPlace implements ElementContext {
  readonly #list: string;
  readonly #index: number;
  readonly input: string;

  constructor(list: string, index: number, input: string) {
    this.#list = list;
    this.#index = index;
    this.input = input;
  }

  /** `inputs[0]`. */
  get path(): string {
    return placePath(this.#list, this.#index);
  }

  /** `inputs[0] "x"`. */
  get where(): string {
    return `${this.path} ${JSON.stringify(this.input)}`;
  }
}

/** @internal */
export function elementError(
  context: ElementContext,
  index: number,
  expected: string,
  value: unknown,
): CodecError {
  return new CodecError(
    `${context.where}: data element ${index} must be ${expected}, got ${describeValue(value)}`,
    { input: context.input, index },
  );
}

/**
 * Flat values, as JSON carries them, to the typed storage of `datatype`, checking the type and
 * range of every element: numbers for the numeric datatypes (integers in range, finite floats),
 * `true`/`false` for BOOL, strings for BYTES, and for INT64/UINT64 safe integers, bigints or
 * decimal strings. The one conversion behind JSON decoding, and behind clients that accept
 * plain arrays.
 *
 * @param where names the tensor in error messages (e.g. `inputs.x`).
 * @param input the tensor's name, set as the error's `input`.
 * @throws {CodecError} naming `where` and the first bad element.
 * @example
 * dataFromValues('UINT8', [1, 2, 255]); // Uint8Array [1, 2, 255]
 * dataFromValues('INT64', [1, '9007199254740993', 3n]); // BigInt64Array
 * dataFromValues('UINT8', [256], 'inputs.x');
 * // throws CodecError: inputs.x: data element 0 must be an integer in [0, 255] (UINT8), got 256
 */
export function dataFromValues(
  datatype: Datatype,
  values: readonly unknown[],
  where = 'tensor',
  input?: string,
): TensorData {
  return decodeJsonElements(datatype, values, { where, input });
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;
const DECIMAL = /^-?\d{1,20}$/;

/**
 * Flat JSON elements to the typed storage of `datatype`, checking type and range of every
 * element.
 *
 * @internal
 */
export function decodeJsonElements(
  datatype: Datatype,
  values: readonly unknown[],
  context: ElementContext,
): TensorData {
  const n = values.length;
  switch (datatype) {
    case 'FP32':
      return decodeFloat32(values, context);
    case 'FP64':
      return decodeFloat64(values, context);
    case 'FP16':
      return decodeFloat16(values, context);
    case 'BF16':
      return decodeBfloat16(values, context);
    case 'BOOL':
      return decodeBool(values, context);
    case 'UINT8':
      return decodeIntegers(new Uint8Array(n), values, 0, 255, datatype, context);
    case 'UINT16':
      return decodeIntegers(new Uint16Array(n), values, 0, 65535, datatype, context);
    case 'UINT32':
      return decodeIntegers(new Uint32Array(n), values, 0, 4294967295, datatype, context);
    case 'INT8':
      return decodeIntegers(new Int8Array(n), values, -128, 127, datatype, context);
    case 'INT16':
      return decodeIntegers(new Int16Array(n), values, -32768, 32767, datatype, context);
    case 'INT32':
      return decodeIntegers(new Int32Array(n), values, -2147483648, 2147483647, datatype, context);
    case 'INT64':
      return decodeBigIntegers(
        new BigInt64Array(n),
        values,
        INT64_MIN,
        INT64_MAX,
        datatype,
        context,
      );
    case 'UINT64':
      return decodeBigIntegers(new BigUint64Array(n), values, 0n, UINT64_MAX, datatype, context);
    case 'BYTES':
      return decodeStrings(values, context);
  }
}

function decodeFloat32(values: readonly unknown[], context: ElementContext): Float32Array {
  const n = values.length;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const value = values[i];
    if (typeof value !== 'number') throw elementError(context, i, 'a number (FP32)', value);
    const rounded = Math.fround(value);
    // x - x is 0 for every finite x and NaN for NaN and ±Infinity (including FP32 overflow).
    if (rounded - rounded !== 0) {
      throw elementError(context, i, 'a finite number within FP32 range', value);
    }
    out[i] = rounded;
  }
  return out;
}

function decodeFloat64(values: readonly unknown[], context: ElementContext): Float64Array {
  const n = values.length;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const value = values[i];
    if (typeof value !== 'number' || value - value !== 0) {
      throw elementError(context, i, 'a finite number (FP64)', value);
    }
    out[i] = value;
  }
  return out;
}

function decodeFloat16(values: readonly unknown[], context: ElementContext): Uint16Array {
  const n = values.length;
  const out = new Uint16Array(n);
  for (let i = 0; i < n; i++) {
    const value = values[i];
    if (typeof value !== 'number') throw elementError(context, i, 'a number (FP16)', value);
    const half = float32ToFloat16(value);
    if ((half & 0x7c00) === 0x7c00) {
      throw elementError(context, i, 'a finite number within FP16 range (|x| < 65520)', value);
    }
    out[i] = half;
  }
  return out;
}

function decodeBfloat16(values: readonly unknown[], context: ElementContext): Uint16Array {
  const n = values.length;
  const out = new Uint16Array(n);
  for (let i = 0; i < n; i++) {
    const value = values[i];
    if (typeof value !== 'number') throw elementError(context, i, 'a number (BF16)', value);
    const bits = float32ToBfloat16(value);
    if ((bits & 0x7f80) === 0x7f80) {
      throw elementError(context, i, 'a finite number within BF16 range', value);
    }
    out[i] = bits;
  }
  return out;
}

function decodeBool(values: readonly unknown[], context: ElementContext): Uint8Array {
  const n = values.length;
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const value = values[i];
    if (value === true) out[i] = 1;
    else if (value !== false) throw elementError(context, i, 'true or false (BOOL)', value);
  }
  return out;
}

type SmallIntegerArray =
  | Uint8Array
  | Uint16Array
  | Uint32Array
  | Int8Array
  | Int16Array
  | Int32Array;

function decodeIntegers<T extends SmallIntegerArray>(
  out: T,
  values: readonly unknown[],
  min: number,
  max: number,
  datatype: Datatype,
  context: ElementContext,
): T {
  const n = values.length;
  for (let i = 0; i < n; i++) {
    const value = values[i];
    if (
      typeof value !== 'number' ||
      !(value >= min && value <= max) ||
      Math.floor(value) !== value
    ) {
      throw elementError(context, i, `an integer in [${min}, ${max}] (${datatype})`, value);
    }
    out[i] = value;
  }
  return out;
}

function decodeBigIntegers<T extends BigInt64Array | BigUint64Array>(
  out: T,
  values: readonly unknown[],
  min: bigint,
  max: bigint,
  datatype: Datatype,
  context: ElementContext,
): T {
  const n = values.length;
  for (let i = 0; i < n; i++) {
    const value = values[i];
    let big: bigint;
    if (typeof value === 'bigint') {
      big = value;
    } else if (typeof value === 'number' && Number.isSafeInteger(value)) {
      big = BigInt(value);
    } else if (typeof value === 'string' && DECIMAL.test(value)) {
      big = BigInt(value);
    } else if (typeof value === 'number' && Number.isInteger(value)) {
      throw elementError(
        context,
        i,
        `an integer within ±(2^53-1) (${datatype}; past that a JSON number loses precision: send a decimal string)`,
        value,
      );
    } else {
      throw elementError(context, i, `an integer or a decimal string (${datatype})`, value);
    }
    if (big < min || big > max) {
      throw elementError(context, i, `an integer in [${min}, ${max}] (${datatype})`, value);
    }
    out[i] = big;
  }
  return out;
}

function decodeStrings(values: readonly unknown[], context: ElementContext): Uint8Array[] {
  const n = values.length;
  const out = new Array<Uint8Array>(n);
  for (let i = 0; i < n; i++) {
    const value = values[i];
    if (typeof value !== 'string') throw elementError(context, i, 'a string (BYTES)', value);
    if (illFormed(value)) throw elementError(context, i, 'well-formed text', value);
    out[i] = encodeUtf8(value);
  }
  return out;
}
