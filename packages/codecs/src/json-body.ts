import { describeValue } from './describe-value';
import { CodecError } from './errors';
import { decodeUtf8 } from './utf8';

/**
 * Parses a JSON body (bytes or text); bad UTF-8, an empty body and syntax errors are
 * `CodecError`s naming `what`.
 *
 * @internal
 */
export function parseJsonBody(body: Uint8Array | string, what: string): unknown {
  const text = typeof body === 'string' ? body : decodeUtf8(body, what);
  if (text.trim().length === 0) throw new CodecError(`${what} is empty; expected a JSON object`);
  try {
    return JSON.parse(text);
  } catch (cause) {
    throw new CodecError(`${what} is not valid JSON: ${(cause as Error).message}`, { cause });
  }
}

/** @internal A plain JSON object, or a `CodecError` naming `what`. */
export function asObject(value: unknown, what: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new CodecError(`${what} must be a JSON object, got ${describeValue(value)}`);
  }
  return value as Record<string, unknown>;
}

/**
 * A JSON object from a body (bytes or text): strict UTF-8, not empty, valid JSON, an object
 * (not an array or null). What a client checks first in a metadata answer.
 *
 * @param what names the body in error messages (e.g. `server metadata`).
 * @throws {CodecError} naming `what` and the fault.
 * @example
 * parseJsonObject(new TextEncoder().encode('{"name":"m"}'), 'metadata'); // { name: 'm' }
 * parseJsonObject('[1]', 'metadata'); // throws CodecError: metadata must be a JSON object, got an array
 */
export function parseJsonObject(body: Uint8Array | string, what: string): Record<string, unknown> {
  return asObject(parseJsonBody(body, what), what);
}
