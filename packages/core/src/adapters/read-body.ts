import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import { concatBytes } from '@infer/codecs';
import { BadRequestError, BodyTooLargeError } from '../errors';
import type { BodyPool } from './body-pool';

/**
 * Whether the declared `Content-Length` is already over `limit` (checked before reading).
 * @internal
 */
export function declaredTooLarge(contentLength: string | null | undefined, limit: number): boolean {
  if (contentLength === undefined || contentLength === null || contentLength === '') return false;
  const length = Number(contentLength);
  return Number.isFinite(length) && length > limit;
}

/**
 * `pool` when it takes the body of `request` (a `Content-Length` in its range), else
 * `undefined`: whether a node request's body is read into a pooled buffer.
 *
 * @internal
 */
export function poolFor(
  request: IncomingMessage,
  pool: BodyPool | undefined,
): BodyPool | undefined {
  return pool?.takes(Number(request.headers['content-length'])) === true ? pool : undefined;
}

/** Whether a node request carries a body at all (GETs without one skip the read). */
function hasBody(request: IncomingMessage): boolean {
  const length = request.headers['content-length'];
  if (length !== undefined) return length !== '0';
  return request.headers['transfer-encoding'] !== undefined;
}

/** What the callback forms of the readers call once: an error, or the body. @internal */
export type BodyCallback<T> = (error: Error | null, body?: T) => void;

/**
 * Reads a node request body into one Buffer, enforcing `limit` while it streams: rejects with
 * `BodyTooLargeError` (413) as soon as the declared or received size passes it, and stops keeping
 * chunks (the rest is discarded, not buffered). Resolves `undefined` for a body-less request.
 * With `pool`, a body whose `Content-Length` the pool takes is copied chunk by chunk into a
 * buffer of that length from the pool (the caller gives it back with `pool.release()` once
 * nothing refers to it); a failed read gives it back itself. The buffer is taken only once
 * half the declared bytes are in, so a client that declares a large body and sends little
 * holds no more than twice what it sent.
 *
 * @internal
 * @example
 * const body = await readNodeBody(req, 64 * 1024 * 1024);
 */
export function readNodeBody(
  request: IncomingMessage,
  limit: number,
  pool?: BodyPool,
): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) =>
    nodeBody(request, limit, pool, (error, body) => (error ? reject(error) : resolve(body))),
  );
}

/**
 * `readNodeBody` with a callback instead of a promise, for Fastify's content-type parsers
 * (a parser that returns a promise costs Fastify one more reaction per request). `done` may
 * be called before this returns (a body-less request, a declared size over the limit).
 *
 * @internal
 * @example
 * nodeBody(req, 64 * 1024 * 1024, undefined, (error, body) => {});
 */
export function nodeBody(
  request: IncomingMessage,
  limit: number,
  pool: BodyPool | undefined,
  done: BodyCallback<Buffer | undefined>,
): void {
  const declared = request.headers['content-length'];
  if (!hasBody(request)) done(null, undefined);
  else if (declaredTooLarge(declared, limit)) done(new BodyTooLargeError({ limitBytes: limit }));
  else streamBody(request, limit, poolFor(request, pool), Number(declared), done);
}

/**
 * Reads a body stream into one Buffer under `limit`, as `nodeBody` does once it has looked
 * at the headers: for any readable (a stream a Fastify `preParsing` hook made, say). With
 * `pool`, the body must be exactly `length` bytes and is copied into a buffer of the pool,
 * taken once half of it has arrived (the chunks before are copied in then). `done` is called
 * once.
 *
 * @internal
 * @example
 * streamBody(gunzipped, 64 * 1024 * 1024, undefined, Number.NaN, (error, body) => {});
 */
export function streamBody(
  stream: NodeJS.ReadableStream,
  limit: number,
  pool: BodyPool | undefined,
  length: number,
  done: BodyCallback<Buffer>,
): void {
  const chunks: Buffer[] = [];
  let received = 0;
  let target: Buffer | undefined;
  let settled = false;
  const cleanup = () => {
    stream.off('data', onData);
    stream.off('end', onEnd);
    stream.off('error', onError);
    stream.off('aborted', onAborted);
    stream.off('close', onClose);
  };
  const fail = (error: Error) => {
    if (settled) return;
    settled = true;
    cleanup();
    if (target !== undefined) pool!.release(target);
    done(error);
  };
  const onData = (chunk: Buffer) => {
    const offset = received;
    received += chunk.length;
    if (received > limit) {
      // Keep draining without storing, so the 413 can be written; the response closes the
      // connection afterwards.
      stream.resume();
      fail(new BodyTooLargeError({ limitBytes: limit, receivedBytes: received }));
      return;
    }
    if (target !== undefined) {
      if (received <= length) target.set(chunk, offset);
      return;
    }
    chunks.push(chunk);
    // Half the declared body is in: on into a pooled buffer, the chunks so far first.
    if (pool !== undefined && received * 2 >= length && received <= length) {
      target = pool.acquire(length);
      let at = 0;
      for (const part of chunks) {
        target.set(part, at);
        at += part.length;
      }
      chunks.length = 0;
    }
  };
  // `done` runs once (`settled`). A body read whole leaves its listeners on the ended stream:
  // it emits no more data, and removing five listeners cost more than the rest of the read
  // for a small body; a later 'error' or 'close' finds the read settled. The listeners then
  // hold neither the chunks (joined into the body) nor the pooled buffer (its owner's now).
  const onEnd = () => {
    settled = true;
    if (pool !== undefined) {
      const body = target;
      target = undefined;
      // node:http ends a Content-Length body at exactly that length; anything else is not
      // a body this buffer holds.
      if (body !== undefined && received === length) {
        done(null, body);
      } else {
        cleanup();
        if (body !== undefined) pool.release(body);
        done(new BadRequestError(`the body is ${received} bytes; Content-Length says ${length}`));
      }
      return;
    }
    const body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, received);
    chunks.length = 0;
    done(null, body);
  };
  const onError = (error: Error) => fail(error);
  const onAborted = () => onError(new Error('the client aborted the request body'));
  const onClose = () => {
    if ((stream as { complete?: boolean }).complete !== true) onAborted();
  };
  // A request whose client left before this read began (an async middleware or hook ran
  // first) emits nothing more: without this it would wait for good, holding the request.
  const readable = stream as Partial<Readable>;
  if (readable.destroyed === true) {
    onAborted();
    return;
  }
  if (readable.readableEnded === true) {
    fail(new Error('the request body was already read before the inference route got it'));
    return;
  }
  stream.on('data', onData);
  stream.on('end', onEnd);
  stream.on('error', onError);
  stream.on('aborted', onAborted);
  // 'close' before 'end' (a destroyed stream that emits no error, a hook's stream that just
  // closes) ends the read too, unless the whole message is in (an HTTP/2 request can close
  // just before its 'end'); after 'end' the read is settled and 'close' changes nothing.
  stream.on('close', onClose);
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
