import { CodecError, type Parameters } from '@infer/codecs';
import type { InferParameter, InferParameter__Output } from './generated/inference/InferParameter';

/**
 * `InferParameter` map (decoded with `longs: String`) to REST-style parameters.
 * `int64_param` and `uint64_param` become numbers when they are safe integers (|v| <= 2^53 - 1)
 * and decimal strings otherwise, so no precision is lost (the REST JSON form has no 64-bit
 * integer type either). Throws `CodecError` for a parameter with no value set.
 *
 * @internal
 * @example
 * decodeInferParameters({ n: { int64_param: '9007199254740993', parameter_choice: 'int64_param' } }, 'parameters');
 * // { n: '9007199254740993' }
 */
export function decodeInferParameters(
  map: Record<string, InferParameter__Output> | undefined,
  path: string,
): Parameters | undefined {
  if (map === undefined) return undefined;
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
        throw new CodecError(`${path}["${name}"] has no value (set one of its *_param fields)`);
    }
  }
  return parameters;
}

/**
 * REST-style parameters to an `InferParameter` map: booleans to `bool_param`, strings to
 * `string_param`, safe integers to `int64_param`, other numbers to `double_param`.
 *
 * @internal
 * @example
 * encodeInferParameters({ n: 3, s: 'x' }); // { n: { int64_param: 3 }, s: { string_param: 'x' } }
 */
export function encodeInferParameters(
  parameters: Parameters | undefined,
): Record<string, InferParameter> | undefined {
  if (parameters === undefined) return undefined;
  const map: Record<string, InferParameter> = {};
  for (const [name, value] of Object.entries(parameters)) {
    if (typeof value === 'boolean') map[name] = { bool_param: value };
    else if (typeof value === 'string') map[name] = { string_param: value };
    else if (typeof value === 'number') {
      map[name] = Number.isSafeInteger(value) ? { int64_param: value } : { double_param: value };
    }
  }
  return map;
}
