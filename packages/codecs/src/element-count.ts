import { describeValue } from './describe-value';
import { CodecError } from './errors';

/**
 * Number of elements of a tensor of this shape (row-major product; `[]` is a scalar, 1
 * element). Every dimension must be a non-negative integer and the product must stay a safe
 * integer, so a huge declared shape is rejected before anything is allocated.
 *
 * @example
 * elementCount([2, 3]); // 6
 * elementCount([]); // 1
 */
export function elementCount(shape: readonly number[], what = 'shape'): number {
  let hasZero = false;
  for (let i = 0; i < shape.length; i++) {
    const dim = shape[i];
    if (typeof dim !== 'number' || !Number.isSafeInteger(dim) || dim < 0) {
      throw new CodecError(
        `${what}[${i}] must be a non-negative integer, got ${describeValue(dim)} (shape ${formatShape(shape)})`,
      );
    }
    if (dim === 0) hasZero = true;
  }
  if (hasZero) return 0;
  let count = 1;
  for (const dim of shape) {
    if (count > Number.MAX_SAFE_INTEGER / dim) {
      throw new CodecError(
        `${what} ${formatShape(shape)} has more than 2^53 elements; no tensor can be that large`,
      );
    }
    count *= dim;
  }
  return count;
}

/**
 * A shape as messages show it, `[2,3]`, cut short past 16 dims (a client may send a shape of
 * a million dims; an error that quoted it whole would send it back).
 *
 * @example
 * formatShape([2, 3]); // '[2,3]'
 * formatShape(new Array(100).fill(1)); // '[1,1,...,1,... (100 dims)]' (16 dims shown)
 */
export function formatShape(shape: readonly unknown[]): string {
  if (shape.length > 16)
    return `[${shape.slice(0, 16).map(String).join(',')},... (${shape.length} dims)]`;
  return `[${shape.map(String).join(',')}]`;
}
