/**
 * The binary tensor data extension, as Triton and KServe implement it: the body is a JSON
 * header of `Inference-Header-Content-Length` bytes followed by the raw tensors, in the
 * order of the tensors that carry `parameters.binary_data_size`. Fixed-size elements are
 * little-endian; each BYTES element is a 4-byte little-endian length and its bytes.
 */
import { describeValue } from './describe-value';
import { CodecError } from './errors';

/**
 * The HTTP header (lower-case) that gives the length of the JSON part of a binary body.
 *
 * @example
 * headers[BINARY_HEADER] = String(jsonLength);
 */
export const BINARY_HEADER = 'inference-header-content-length';

/**
 * Content type of a body that uses the binary extension.
 *
 * @example
 * if (headers['content-type'] === BINARY_CONTENT_TYPE) console.log('binary');
 */
export const BINARY_CONTENT_TYPE = 'application/octet-stream';

/**
 * Checks an `Inference-Header-Content-Length` value (number or decimal string) against the
 * body and returns it.
 *
 * @internal
 */
export function parseHeaderLength(value: unknown, bodyLength: number): number {
  const length =
    typeof value === 'string' && /^\d{1,15}$/.test(value.trim()) ? Number(value.trim()) : value;
  if (typeof length !== 'number' || !Number.isSafeInteger(length) || length < 0) {
    throw new CodecError(
      `Inference-Header-Content-Length must be a non-negative integer, got ${describeValue(value)}`,
    );
  }
  if (length > bodyLength) {
    throw new CodecError(
      `Inference-Header-Content-Length is ${length} but the body has only ${bodyLength} bytes`,
    );
  }
  return length;
}

/**
 * The parts of a binary body, in order: the JSON header padded with spaces (valid trailing
 * JSON whitespace) to a multiple of 8 bytes, so the first tensor starts aligned and the
 * receiver can view it without a copy, then the binary chunks. A writer that takes several
 * buffers (a socket's `writev`) sends them without joining them first.
 *
 * @internal
 */
export function binaryBodyParts(
  json: Uint8Array,
  chunks: readonly Uint8Array[],
): { parts: Uint8Array[]; headerLength: number; byteLength: number } {
  const headerLength = Math.ceil(json.byteLength / 8) * 8;
  let header = json;
  if (headerLength !== json.byteLength) {
    header = new Uint8Array(headerLength).fill(0x20);
    header.set(json, 0);
  }
  let byteLength = headerLength;
  for (const chunk of chunks) byteLength += chunk.byteLength;
  return { parts: [header, ...chunks], headerLength, byteLength };
}

/**
 * One body from the JSON header and the binary chunks that follow it: the header padded as
 * in {@link binaryBodyParts}, then the chunks, in one buffer. Not written as those two
 * composed: the browser client bundles this function, and that form costs it about 50 B of
 * its 10 kB budget (`test/bundle-size.test.ts`).
 *
 * @internal
 */
export function joinBinaryBody(
  json: Uint8Array,
  chunks: readonly Uint8Array[],
): { body: Uint8Array; headerLength: number } {
  const headerLength = Math.ceil(json.byteLength / 8) * 8;
  let total = headerLength;
  for (const chunk of chunks) total += chunk.byteLength;
  const body = new Uint8Array(total);
  body.set(json, 0);
  body.fill(0x20, json.byteLength, headerLength);
  let offset = headerLength;
  for (const chunk of chunks) {
    body.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return { body, headerLength };
}

/**
 * `parts` copied, in order, into one new `Uint8Array` of `byteLength` bytes (their total).
 *
 * @example
 * const body = concatBytes(chunks, chunks.reduce((n, c) => n + c.byteLength, 0));
 */
export function concatBytes(parts: readonly Uint8Array[], byteLength: number): Uint8Array {
  const body = new Uint8Array(byteLength);
  let offset = 0;
  for (const part of parts) {
    body.set(part, offset);
    offset += part.byteLength;
  }
  return body;
}
