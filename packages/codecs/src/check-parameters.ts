import { describeValue } from './describe-value';
import { CodecError } from './errors';
import type { Parameters } from './types';

/**
 * Checks a JSON `$parameters` object (string, finite number or boolean values) and returns
 * it typed; `undefined` stays `undefined`.
 *
 * @internal
 */
export function checkParameters(
  value: unknown,
  where: string,
  input?: string,
): Parameters | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new CodecError(`${where} must be an object, got ${describeValue(value)}`, { input });
  }
  for (const key in value) {
    const item = (value as Record<string, unknown>)[key];
    const type = typeof item;
    // JSON never holds undefined; an object made in code may (an unset option): left out.
    if (type === 'string' || type === 'boolean' || type === 'undefined') continue;
    if (type === 'number' && Number.isFinite(item)) continue;
    throw new CodecError(
      `${where}.${key} must be a string, number or boolean, got ${describeValue(item)}`,
      { input },
    );
  }
  return value as Parameters;
}

/** @internal A boolean-ish parameter (`binary_data`, `binary_data_output`): true, false or absent. */
export function booleanParameter(
  parameters: Parameters | undefined,
  key: string,
  where: string,
): boolean | undefined {
  const value = parameters?.[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'boolean') {
    throw new CodecError(`${where}.${key} must be a boolean, got ${describeValue(value)}`);
  }
  return value;
}

/** @internal Parameters without `key`, or `undefined` when nothing is left. */
export function withoutParameter(
  parameters: Parameters | undefined,
  key: string,
): Parameters | undefined {
  if (parameters === undefined || !(key in parameters)) return parameters;
  const { [key]: _removed, ...rest } = parameters;
  return Object.keys(rest).length === 0 ? undefined : rest;
}
