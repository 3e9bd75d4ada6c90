import type { IncomingMessage } from 'node:http';
import { concatBytes } from '@infer/codecs';
import { BodyTooLargeError } from '../errors';

/**
 * Whether the declared `Content-Length` is already over `limit` (checked before reading).
 * @internal
 */
export function declaredTooLarge(contentLength: string | null | undefined, limit: number): boolean {
  if (contentLength === undefined || contentLength === null || contentLength === '') return false;
  const length = Number(contentLength);
  return Number.isFinite(length) && length > limit;
}

/** Whether a node request carries a body at all (GETs without one skip the read). */
function hasBody(request: IncomingMessage): boolean {
  const length = request.headers['content-length'];
  if (length !== undefined) return length !== '0';
  return request.headers['transfer-encoding'] !== undefined;
}

/**
 * Reads a node request body into one Buffer, enforcing `limit` while it streams: rejects with
 * `BodyTooLargeError` (413) as soon as the declared or received size passes it, and stops keeping
 * chunks (the rest is discarded, not buffered). Resolves `undefined` for a body-less request.
 *
 * @internal
 * @example
 * const body = await readNodeBody(req, 64 * 1024 * 1024);
 */
export function readNodeBody(request: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  if (!hasBody(request)) return Promise.resolve(undefined);
  if (declaredTooLarge(request.headers['content-length'], limit)) {
    return Promise.reject(new BodyTooLargeError({ limitBytes: limit }));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let received = 0;
    const cleanup = () => {
      request.off('data', onData);
      request.off('end', onEnd);
      request.off('error', onError);
      request.off('aborted', onAborted);
    };
    const onData = (chunk: Buffer) => {
      received += chunk.length;
      if (received > limit) {
        cleanup();
        // Keep draining without storing, so the 413 can be written; the response closes the
        // connection afterwards.
        request.resume();
        reject(new BodyTooLargeError({ limitBytes: limit, receivedBytes: received }));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, received));
    };
    const onError = (error: Error) => {
      cleanup();
      reject(error);
    };
    const onAborted = () => onError(new Error('the client aborted the request body'));
    request.on('data', onData);
    request.on('end', onEnd);
    request.on('error', onError);
    request.on('aborted', onAborted);
  });
}

/**
 * Reads a Web `Request` body into one `Uint8Array` with the same limit rules as
 * `readNodeBody` (the stream is cancelled once over the limit). `undefined` when bodyless.
 *
 * @internal
 * @example
 * const body = await readWebBody(request, 64 * 1024 * 1024);
 */
export async function readWebBody(
  request: Request,
  limit: number,
): Promise<Uint8Array | undefined> {
  if (request.body === null) return undefined;
  if (declaredTooLarge(request.headers.get('content-length'), limit)) {
    await request.body.cancel().catch(() => {});
    throw new BodyTooLargeError({ limitBytes: limit });
  }
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let received = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    received += value.byteLength;
    if (received > limit) {
      await reader.cancel().catch(() => {});
      throw new BodyTooLargeError({ limitBytes: limit, receivedBytes: received });
    }
    chunks.push(value);
  }
  return chunks.length === 1 ? chunks[0] : concatBytes(chunks, received);
}
