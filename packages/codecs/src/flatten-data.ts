import type { ElementContext } from './decode-json-elements';
import { describeValue } from './describe-value';
import { formatShape } from './element-count';
import { CodecError } from './errors';

/**
 * Returns the row-major flat elements of JSON `data` for a tensor of `shape` with `count`
 * elements. Flat data is returned as is (no copy). Nested data must follow the shape
 * exactly (`[[1, 2], [3, 4]]` for `[2, 2]`) and is flattened with an explicit stack, so
 * deep nesting cannot overflow the call stack, and nothing is allocated past what the JSON
 * actually holds.
 *
 * @internal
 */
export function flattenData(
  data: unknown,
  shape: readonly number[],
  count: number,
  context: ElementContext,
): readonly unknown[] {
  if (!Array.isArray(data)) {
    throw new CodecError(`${context.where}: data must be an array, got ${describeValue(data)}`, {
      input: context.input,
    });
  }
  if (data.length === 0 || !Array.isArray(data[0])) {
    if (data.length !== count) {
      throw new CodecError(
        `${context.where}: data has ${data.length} element${data.length === 1 ? '' : 's'} but shape ${formatShape(shape)} needs ${count}`,
        { input: context.input },
      );
    }
    return data;
  }
  return flattenNested(data, shape, context);
}

function flattenNested(
  data: unknown[],
  shape: readonly number[],
  context: ElementContext,
): unknown[] {
  const rank = shape.length;
  const mismatch = (path: number[], detail: string): CodecError =>
    new CodecError(
      `${context.where}: nested data does not match shape ${formatShape(shape)}: data${path
        .map((i) => `[${i}]`)
        .join('')} ${detail}`,
      { input: context.input },
    );
  if (rank < 2)
    throw mismatch([0], `is an array but shape has ${rank} dimension${rank === 1 ? '' : 's'}`);
  if (data.length !== shape[0])
    throw mismatch([], `has ${data.length} items, expected ${shape[0]}`);

  const out: unknown[] = [];
  const arrays: unknown[][] = [data];
  const positions: number[] = [0];
  while (arrays.length > 0) {
    const depth = arrays.length - 1;
    const array = arrays[depth]!;
    const position = positions[depth]!;
    if (position === array.length) {
      arrays.pop();
      positions.pop();
      continue;
    }
    positions[depth] = position + 1;
    const item = array[position];
    // Ancestors' positions were already advanced past the item being walked.
    const path = () => [...positions.slice(0, depth).map((p) => p - 1), position];
    if (!Array.isArray(item)) {
      throw mismatch(path(), `is ${describeValue(item)}, expected an array of ${shape[depth + 1]}`);
    }
    if (item.length !== shape[depth + 1]) {
      throw mismatch(path(), `has ${item.length} items, expected ${shape[depth + 1]}`);
    }
    if (depth + 2 === rank) {
      for (let i = 0; i < item.length; i++) {
        const leaf = item[i];
        if (Array.isArray(leaf)) {
          throw mismatch(
            [...path(), i],
            'is an array, expected a value (nested deeper than the shape)',
          );
        }
        out.push(leaf);
      }
    } else {
      arrays.push(item);
      positions.push(0);
    }
  }
  return out;
}
