import { InferClientError } from './errors';
import type { HttpAnswer } from './http-call';

const decoder = new TextDecoder();

/**
 * The JSON object of an answer, checked to have the given array and string fields; anything
 * else is `INFER_CLIENT_ERR_DECODE`.
 *
 * @internal
 */
export function jsonAnswer<T>(
  answer: HttpAnswer,
  what: string,
  fields: { strings?: readonly string[]; arrays?: readonly string[] } = {},
): T {
  let value: unknown;
  try {
    value = JSON.parse(decoder.decode(answer.body));
  } catch (cause) {
    throw new InferClientError('INFER_CLIENT_ERR_DECODE', `${what} is not JSON`, { cause });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InferClientError('INFER_CLIENT_ERR_DECODE', `${what} is not a JSON object`);
  }
  const record = value as Record<string, unknown>;
  for (const key of fields.strings ?? []) {
    if (typeof record[key] !== 'string') {
      throw new InferClientError('INFER_CLIENT_ERR_DECODE', `${what}: ${key} must be a string`);
    }
  }
  for (const key of fields.arrays ?? []) {
    if (!Array.isArray(record[key])) {
      throw new InferClientError('INFER_CLIENT_ERR_DECODE', `${what}: ${key} must be an array`);
    }
  }
  return value as T;
}
