import { parseJsonObject } from '@infer/codecs';
import { InferClientError } from './errors';
import type { HttpAnswer } from './http-call';

/**
 * The JSON object of an answer (strict UTF-8, `@infer/codecs` `parseJsonObject`), checked to
 * have the given array and string fields; anything else is `INFER_CLIENT_ERR_DECODE`.
 *
 * @internal
 */
export function jsonAnswer<T>(
  answer: HttpAnswer,
  what: string,
  strings: readonly string[],
  arrays: readonly string[],
): T {
  const fail = (message: string, cause?: unknown) =>
    new InferClientError('INFER_CLIENT_ERR_DECODE', message, { cause });
  let record: Record<string, unknown>;
  try {
    record = parseJsonObject(answer.body, what);
  } catch (error) {
    throw fail((error as Error).message, error);
  }
  for (const key of strings) {
    if (typeof record[key] !== 'string') throw fail(`${what}: ${key} must be a string`);
  }
  for (const key of arrays) {
    if (!Array.isArray(record[key])) throw fail(`${what}: ${key} must be an array`);
  }
  return record as T;
}
