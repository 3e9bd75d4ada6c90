/** JSON elements of typed tensor data, for encoding (flat, row-major). */
import type { ElementContext } from './decode-json-elements';
import { CodecError } from './errors';
import { bfloat16sToFloat32, halvesToFloat32 } from './float16';
import type { Datatype, TensorData } from './types';
import { decodeUtf8 } from './utf8';

type NumberArray =
  | Uint8Array
  | Uint16Array
  | Uint32Array
  | Int8Array
  | Int16Array
  | Int32Array
  | Float32Array
  | Float64Array;

/**
 * The JSON text of a tensor's flat elements, brackets included (`[1,2.5,3]`). Numbers go
 * through `JSON.stringify` of a plain array, which V8 runs several times faster than
 * `TypedArray.prototype.join`.
 *
 * @internal
 */
export function jsonElementsText(
  datatype: Datatype,
  data: TensorData,
  context: ElementContext,
): string {
  switch (datatype) {
    case 'FP32':
    case 'FP64':
      return floatText(data as Float32Array | Float64Array, context);
    case 'FP16':
      return floatText(halvesToFloat32(data as Uint16Array), context);
    case 'BF16':
      return floatText(bfloat16sToFloat32(data as Uint16Array), context);
    case 'BOOL':
    case 'BYTES':
    case 'INT64':
    case 'UINT64':
      return JSON.stringify(jsonElementsArray(datatype, data, context));
    default:
      return JSON.stringify(plainArray(data as NumberArray));
  }
}

function floatText(data: Float32Array | Float64Array, context: ElementContext): string {
  // A plain array filled in one loop stringifies several times faster than Array.from().
  const values = numberArray(data.length);
  let negativeZero = false;
  for (let i = 0; i < data.length; i++) {
    const value = data[i]!;
    if (value - value !== 0) throw nonFinite(context, i, value);
    if (value === 0 && 1 / value < 0) negativeZero = true;
    values[i] = value;
  }
  if (!negativeZero) return JSON.stringify(values);
  // JSON.stringify writes -0 as 0; JSON can carry "-0", so keep the sign.
  const parts = new Array<string>(data.length);
  for (let i = 0; i < data.length; i++) {
    const value = data[i]!;
    parts[i] = value === 0 && 1 / value < 0 ? '-0' : String(value);
  }
  return `[${parts.join(',')}]`;
}

function plainArray(data: NumberArray): number[] {
  const values = numberArray(data.length);
  for (let i = 0; i < data.length; i++) values[i] = data[i]!;
  return values;
}

/** Above this many elements, arrays are allocated at full length up front. */
const GROWN_LIMIT = 65_536;

/**
 * An array to fill with `length` numbers in index order. Small ones start empty and grow
 * (each store appends, so the array stays packed and JSON.stringify takes its fast path,
 * ~20-40% faster); large ones are allocated at once (growing them costs more than it saves).
 */
function numberArray(length: number): number[] {
  return length > GROWN_LIMIT ? new Array<number>(length) : [];
}

function nonFinite(context: ElementContext, index: number, value: number): CodecError {
  return new CodecError(
    `${context.where}: data element ${index} is ${value}, which JSON cannot carry; ask for binary output (binary_data) instead`,
    { input: context.input, index },
  );
}

/**
 * A tensor's elements as a flat JSON-ready array: numbers, booleans for BOOL, UTF-8 strings
 * for BYTES, and for 64-bit integers numbers when safe, decimal strings otherwise.
 *
 * @internal
 */
export function jsonElementsArray(
  datatype: Datatype,
  data: TensorData,
  context: ElementContext,
): Array<number | string | boolean> {
  switch (datatype) {
    case 'BOOL':
      return Array.from(data as Uint8Array, (value) => value !== 0);
    case 'BYTES':
      return (data as Uint8Array[]).map((bytes, index) =>
        decodeUtf8(bytes, `${context.where}: data element ${index}`, {
          hint: 'JSON carries BYTES as UTF-8 text; ask for binary output (binary_data) instead',
          input: context.input,
          index,
        }),
      );
    case 'INT64':
    case 'UINT64':
      return Array.from(data as BigInt64Array | BigUint64Array, (value) =>
        value >= -9007199254740991n && value <= 9007199254740991n ? Number(value) : String(value),
      );
    case 'FP16':
      return checkFinite(plainArray(halvesToFloat32(data as Uint16Array)), context);
    case 'BF16':
      return checkFinite(plainArray(bfloat16sToFloat32(data as Uint16Array)), context);
    case 'FP32':
    case 'FP64':
      return checkFinite(plainArray(data as Float32Array | Float64Array), context);
    default:
      return plainArray(data as NumberArray);
  }
}

function checkFinite(values: number[], context: ElementContext): number[] {
  for (let i = 0; i < values.length; i++) {
    const value = values[i]!;
    if (value - value !== 0) throw nonFinite(context, i, value);
  }
  return values;
}
