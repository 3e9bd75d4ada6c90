/** fast-check generators of typed tensors for every datatype, and a strict equality. */
import { DATATYPES, type Datatype, type Tensor, type TensorData } from '@infer/codecs';
import fc from 'fast-check';

/** Shapes of rank 0..4 with small dims (0 included), at most 64 elements. */
export const shapeArbitrary = fc
  .array(fc.integer({ min: 0, max: 4 }), { minLength: 0, maxLength: 4 })
  .filter((shape) => shape.reduce((a, b) => a * b, 1) <= 64);

const half = fc.integer({ min: 0, max: 0xffff }).filter((bits) => (bits & 0x7c00) !== 0x7c00); // no NaN/Infinity: JSON cannot carry them
const bfloat = fc.integer({ min: 0, max: 0xffff }).filter((bits) => (bits & 0x7f80) !== 0x7f80);

/** A generator of the typed data of `count` elements of `datatype`. */
export function dataArbitrary(
  datatype: Datatype,
  count: number,
  json: boolean,
): fc.Arbitrary<TensorData> {
  const n = { minLength: count, maxLength: count };
  switch (datatype) {
    case 'BOOL':
      return fc.array(fc.boolean(), n).map((v) => Uint8Array.from(v, (b) => (b ? 1 : 0)));
    case 'UINT8':
      return fc.array(fc.integer({ min: 0, max: 255 }), n).map((v) => Uint8Array.from(v));
    case 'UINT16':
      return fc.array(fc.integer({ min: 0, max: 65535 }), n).map((v) => Uint16Array.from(v));
    case 'UINT32':
      return fc.array(fc.integer({ min: 0, max: 4294967295 }), n).map((v) => Uint32Array.from(v));
    case 'UINT64':
      return fc
        .array(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), n)
        .map((v) => BigUint64Array.from(v));
    case 'INT8':
      return fc.array(fc.integer({ min: -128, max: 127 }), n).map((v) => Int8Array.from(v));
    case 'INT16':
      return fc.array(fc.integer({ min: -32768, max: 32767 }), n).map((v) => Int16Array.from(v));
    case 'INT32':
      return fc.array(fc.integer(), n).map((v) => Int32Array.from(v));
    case 'INT64':
      return fc
        .array(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), n)
        .map((v) => BigInt64Array.from(v));
    case 'FP16':
      return fc
        .array(json ? half : fc.integer({ min: 0, max: 0xffff }), n)
        .map((v) => Uint16Array.from(v));
    case 'BF16':
      return fc
        .array(json ? bfloat : fc.integer({ min: 0, max: 0xffff }), n)
        .map((v) => Uint16Array.from(v));
    case 'FP32':
      return fc
        .array(fc.float({ noNaN: json, noDefaultInfinity: json }), n)
        .map((v) => Float32Array.from(v));
    case 'FP64':
      return fc
        .array(fc.double({ noNaN: json, noDefaultInfinity: json }), n)
        .map((v) => Float64Array.from(v));
    case 'BYTES':
      return json
        ? fc
            .array(fc.string({ unit: 'grapheme', maxLength: 8 }), n)
            .map((v) => v.map((s) => new TextEncoder().encode(s)))
        : fc.array(fc.uint8Array({ maxLength: 12 }), n);
  }
}

/** A tensor of any datatype and shape; `json: true` keeps to what JSON can carry. */
export function tensorArbitrary(options: {
  json: boolean;
  datatype?: Datatype;
}): fc.Arbitrary<Tensor> {
  const datatype =
    options.datatype === undefined ? fc.constantFrom(...DATATYPES) : fc.constant(options.datatype);
  return fc.tuple(datatype, shapeArbitrary).chain(([type, shape]) =>
    dataArbitrary(
      type,
      shape.reduce((a, b) => a * b, 1),
      options.json,
    ).map((data) => ({ name: 'x', datatype: type, shape, data }) as Tensor),
  );
}

/** Same datatype, shape and elements (Object.is: -0 and NaN bits matter). */
export function sameTensor(actual: Tensor, expected: Tensor): boolean {
  if (actual.name !== expected.name || actual.datatype !== expected.datatype) return false;
  if (
    actual.shape.join() !== expected.shape.join() ||
    actual.shape.length !== expected.shape.length
  )
    return false;
  const a = actual.data as ArrayLike<unknown>;
  const b = expected.data as ArrayLike<unknown>;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    const y = b[i];
    if (x instanceof Uint8Array && y instanceof Uint8Array) {
      if (x.length !== y.length || x.some((byte, j) => byte !== y[j])) return false;
    } else if (!Object.is(x, y)) {
      return false;
    }
  }
  return true;
}

/** Nested row-major JS arrays of `flat` for `shape` (rank >= 2). */
export function nest(flat: readonly unknown[], shape: readonly number[]): unknown[] {
  if (shape.length <= 1) return [...flat];
  const [first, ...rest] = shape as [number, ...number[]];
  const size = rest.reduce((a, b) => a * b, 1);
  return Array.from({ length: first }, (_, i) => nest(flat.slice(i * size, (i + 1) * size), rest));
}
