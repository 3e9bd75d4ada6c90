/**
 * INT64 and UINT64 elements written as JSON numbers past 2^53 (what numpy's `tolist()` and
 * tritonclient write for `np.int64` data without the binary extension). `JSON.parse` rounds
 * them to the nearest double, so a request decoded from its result would carry another
 * value. The JSON is parsed once more, for such a request only, with those literals read as
 * decimal strings, which the element decoder turns into exact `bigint`s.
 */

/** A JSON string literal (kept as is) or a JSON number literal. */
const LITERAL = /"(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/g;
/** A number literal that is an integer as written (no fraction, no exponent). */
const INTEGER = /^-?\d+$/;

/**
 * Replaces, in each INT64 or UINT64 tensor of `record[key]` whose data holds an integer
 * that a double cannot hold exactly, the data by the same elements read from `text()` with
 * every integer literal past 2^53 as a decimal string. `record` is the result of
 * `JSON.parse(text())`; nothing is parsed again when no such tensor exists (the common
 * case costs one pass over the data of INT64 and UINT64 tensors).
 *
 * @internal
 * @example
 * const text = '{"inputs":[{"name":"x","datatype":"INT64","shape":[1],"data":[9007199254740993]}]}';
 * const record = JSON.parse(text); // data: [9007199254740992]
 * keepExactIntegers(record, 'inputs', () => text); // data: ['9007199254740993']
 */
export function keepExactIntegers(
  record: Record<string, unknown>,
  key: string,
  text: () => string,
): void {
  const tensors = record[key];
  if (!Array.isArray(tensors)) return;
  const rounded = tensors.flatMap((tensor, index) =>
    isWide(tensor) && holdsRounded((tensor as { data?: unknown }).data) ? [index] : [],
  );
  if (rounded.length === 0) return;
  const exact = (JSON.parse(quoteWideIntegers(text())) as Record<string, unknown>)[key];
  for (const index of rounded) {
    (tensors[index] as { data: unknown }).data = (exact as { data: unknown }[])[index]!.data;
  }
}

function isWide(tensor: unknown): boolean {
  const datatype = (tensor as { datatype?: unknown } | null)?.datatype;
  return datatype === 'INT64' || datatype === 'UINT64';
}

/**
 * Whether `data` (nested arrays allowed) holds an integer past `Number.MAX_SAFE_INTEGER`.
 * An explicit stack, as the data decoder's: a client may nest arrays 200,000 deep.
 */
function holdsRounded(data: unknown): boolean {
  if (!Array.isArray(data)) return isRounded(data);
  // Only nested arrays go on the stack: a flat tensor of a million elements allocates nothing.
  const stack: unknown[][] = [data];
  while (stack.length > 0) {
    const values = stack.pop()!;
    for (let index = 0; index < values.length; index++) {
      const value = values[index];
      if (Array.isArray(value)) stack.push(value);
      else if (isRounded(value)) return true;
    }
  }
  return false;
}

/** An integer a double cannot hold exactly (so `JSON.parse` rounded it). */
function isRounded(value: unknown): boolean {
  return typeof value === 'number' && Number.isInteger(value) && !Number.isSafeInteger(value);
}

/**
 * `text` with every integer literal a double cannot hold exactly turned into a string
 * literal of the same digits. Strings are matched whole first, so digits inside them stay.
 * `text` is valid JSON (it was parsed before).
 */
function quoteWideIntegers(text: string): string {
  return text.replace(LITERAL, (literal) =>
    literal.charCodeAt(0) !== 0x22 &&
    INTEGER.test(literal) &&
    !Number.isSafeInteger(Number(literal))
      ? `"${literal}"`
      : literal,
  );
}
