import type { Parameters } from '@infer/codecs';
import type { InferParameter, InferParameter__Output } from './generated/inference/InferParameter';

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;

/**
 * REST-style parameters to an `InferParameter` map: booleans to `bool_param`, strings to
 * `string_param`, safe integers to `int64_param`, other numbers to `double_param`, and
 * (at run time) bigints to `int64_param` or, above the int64 range, `uint64_param`, sent
 * as decimal strings so no precision is lost. `undefined` for no parameters.
 *
 * @internal
 * @example
 * encodeInferParameters({ n: 3, s: 'x' }); // { n: { int64_param: '3' }, s: { string_param: 'x' } }
 */
export function encodeInferParameters(
  parameters: Parameters | undefined,
): Record<string, InferParameter> | undefined {
  if (parameters === undefined) return undefined;
  const map: Record<string, InferParameter> = {};
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
 * An `InferParameter` map (decoded with `longs: String`) to REST-style parameters:
 * `int64_param` and `uint64_param` become numbers when they are safe integers and decimal
 * strings otherwise (no precision lost; the REST JSON form has no 64-bit integers either).
 * A parameter with no value set is left out. `undefined` for an empty map.
 *
 * @internal
 * @example
 * decodeInferParameters({ n: { int64_param: '9007199254740993', parameter_choice: 'int64_param' } });
 * // { n: '9007199254740993' }
 */
export function decodeInferParameters(
  map: Record<string, InferParameter__Output> | undefined | null,
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
        const text = parameter[parameter.parameter_choice] ?? '0';
        const value = Number(text);
        parameters[name] = Number.isSafeInteger(value) ? value : text;
        break;
      }
      default:
        break;
    }
  }
  return parameters;
}
