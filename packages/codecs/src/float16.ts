const scratch = new Float32Array(1);
const scratchBits = new Uint32Array(scratch.buffer);
let halfTable: Float32Array | undefined;

/**
 * Whether a value that float32 rounded to `scratch[0]`, exactly halfway between two 16-bit
 * values, rounds up (away from zero): as float32 says only when it was exact; else toward
 * where the value really is. Rounding through float32 errs only there (a float32 above or
 * below a halfway point keeps its side), so the common path stays a float32 one.
 */
function roundsUp(value: number, odd: number): boolean {
  const rounded = scratch[0]!;
  return value === rounded ? odd === 1 : Math.abs(value) > Math.abs(rounded);
}

/**
 * Converts a number to the bits of the nearest IEEE-754 half, rounded once from the number
 * itself (to nearest, ties to even). Values past ±65504 become ±Infinity (`0x7c00`) from
 * ±65520 on, NaN stays NaN.
 *
 * @example
 * float32ToFloat16(1); // 0x3c00
 */
export function float32ToFloat16(value: number): number {
  scratch[0] = value;
  const bits = scratchBits[0]!;
  const sign = (bits >>> 16) & 0x8000;
  const exponent = (bits >>> 23) & 0xff;
  let mantissa = bits & 0x7fffff;
  if (exponent === 0xff) return sign | 0x7c00 | (mantissa === 0 ? 0 : 0x200);
  const halfExponent = exponent - 112; // rebias 127 -> 15
  if (halfExponent >= 0x1f) return sign | 0x7c00;
  if (halfExponent <= 0) {
    if (halfExponent < -10) return sign;
    mantissa |= 0x800000;
    const shift = 14 - halfExponent;
    let half = mantissa >>> shift;
    const rest = mantissa & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    if (rest > halfway || (rest === halfway && roundsUp(value, half & 1))) half += 1;
    return sign | half;
  }
  let half = (halfExponent << 10) | (mantissa >>> 13);
  const rest = mantissa & 0x1fff;
  // A carry out of the mantissa correctly bumps the exponent (up to Infinity).
  if (rest > 0x1000 || (rest === 0x1000 && roundsUp(value, half & 1))) half += 1;
  return sign | half;
}

/**
 * Converts the bits of an IEEE-754 half to a number (exact).
 *
 * @example
 * float16ToFloat32(0x3c00); // 1
 */
export function float16ToFloat32(half: number): number {
  const sign = (half & 0x8000) === 0 ? 1 : -1;
  const exponent = (half >>> 10) & 0x1f;
  const mantissa = half & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  if (exponent === 0x1f) return mantissa === 0 ? sign * Number.POSITIVE_INFINITY : Number.NaN;
  return sign * (1024 + mantissa) * 2 ** (exponent - 25);
}

/**
 * Converts raw FP16 halves (how `Tensor<'FP16'>` stores data) to a `Float32Array`.
 *
 * @example
 * halvesToFloat32(new Uint16Array([0x3c00, 0xc000])); // Float32Array [1, -2]
 */
export function halvesToFloat32(halves: Uint16Array): Float32Array {
  if (halfTable === undefined) {
    halfTable = new Float32Array(65536);
    for (let i = 0; i < 65536; i++) halfTable[i] = float16ToFloat32(i);
  }
  const table = halfTable;
  const out = new Float32Array(halves.length);
  for (let i = 0; i < halves.length; i++) out[i] = table[halves[i]!]!;
  return out;
}

/**
 * Converts numbers to raw FP16 halves, ready to be the data of a `Tensor<'FP16'>`.
 *
 * @example
 * float32ToHalves([1, -2]); // Uint16Array [0x3c00, 0xc000]
 */
export function float32ToHalves(values: ArrayLike<number>): Uint16Array {
  const out = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = float32ToFloat16(values[i]!);
  return out;
}

/**
 * Converts a number to the bits of the nearest bfloat16 (the upper 16 bits of a float32),
 * rounded once from the number itself (to nearest, ties to even). Values past the largest
 * bfloat16 (from 2^128 - 2^119 on) become ±Infinity, NaN stays NaN.
 *
 * @example
 * float32ToBfloat16(1); // 0x3f80
 */
export function float32ToBfloat16(value: number): number {
  scratch[0] = value;
  const bits = scratchBits[0]!;
  if ((bits & 0x7f800000) === 0x7f800000 && (bits & 0x7fffff) !== 0) {
    return ((bits >>> 16) | 0x40) & 0xffff; // NaN: keep it quiet and non-zero
  }
  // Round to nearest even; a carry into the exponent correctly rounds up to Infinity. Off a
  // halfway point, adding half a unit is enough; on one, see roundsUp.
  if ((bits & 0xffff) !== 0x8000) return ((bits + 0x8000) >>> 16) & 0xffff;
  return ((bits >>> 16) + (roundsUp(value, (bits >>> 16) & 1) ? 1 : 0)) & 0xffff;
}

/**
 * Converts the bits of a bfloat16 to a number (exact).
 *
 * @example
 * bfloat16ToFloat32(0x3f80); // 1
 */
export function bfloat16ToFloat32(bits: number): number {
  scratchBits[0] = (bits & 0xffff) << 16;
  return scratch[0]!;
}

/**
 * Converts raw bfloat16 bits (how `Tensor<'BF16'>` stores data) to a `Float32Array`.
 *
 * @example
 * bfloat16sToFloat32(new Uint16Array([0x3f80, 0xc000])); // Float32Array [1, -2]
 */
export function bfloat16sToFloat32(bits: Uint16Array): Float32Array {
  const out = new Float32Array(bits.length);
  const outBits = new Uint32Array(out.buffer);
  for (let i = 0; i < bits.length; i++) outBits[i] = bits[i]! << 16;
  return out;
}

/**
 * Converts numbers to raw bfloat16 bits, ready to be the data of a `Tensor<'BF16'>`.
 *
 * @example
 * float32ToBfloat16s([1, -2]); // Uint16Array [0x3f80, 0xc000]
 */
export function float32ToBfloat16s(values: ArrayLike<number>): Uint16Array {
  const out = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = float32ToBfloat16(values[i]!);
  return out;
}
