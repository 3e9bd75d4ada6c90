/**
 * `@infer/core/node`: the shared Node conversion every Node-based adapter builds on (as
 * tRPC's node-http adapter): `IncomingMessage` -> `ServiceRequest` (lower-case headers,
 * prefix stripped, body read under a size limit, an `AbortSignal` aborted when the client
 * goes away) and `ServiceResponse` -> `ServerResponse`. No protocol logic lives here.
 * Requests node:http cannot parse never reach a handler: `handleClientErrors(server)` makes
 * their answers JSON too.
 */
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { BodyTooLargeError, InvalidOptionError } from '../errors';
import {
  type AdapterOptions,
  DEFAULT_MAX_BODY_SIZE,
  resolveAdapterOptions,
} from './adapter-options';
import { type BodyPool, lendPooledBody } from './body-pool';
import { attachClientSignal, ClientSignal } from './client-signal';
import {
  type CompressionOptions,
  decodeRequestBody,
  encodeResponse,
  type ResolvedCompression,
  resolveCompression,
} from './content-coding';
import { errorResponse, notFoundResponse } from './error-response';
import { poolFor, readNodeBody } from './read-body';
import { stripPrefix } from './request-path';
import type { InferenceHandler, ServiceRequest, ServiceResponse } from './service-contract';

export type { AdapterOptions } from './adapter-options';
export { handleClientErrors } from './client-error';
export type { CompressionOptions } from './content-coding';
export type { InferenceHandler, ServiceRequest, ServiceResponse } from './service-contract';
export { DEFAULT_MAX_BODY_SIZE };

/** Options of `createNodeHandler`: `maxBodySize` (bytes, default 64 MiB), `prefix`, `compression`. */
export interface NodeHandlerOptions extends AdapterOptions {
  /**
   * Compress answers of at least `threshold` bytes (default 1024) with gzip or deflate for
   * clients that ask (`Accept-Encoding`), adding `Vary: Accept-Encoding`. Tensors compress
   * poorly and cost CPU on both sides: worth it for JSON answers on slow links, rarely on a
   * LAN. Request bodies in gzip or deflate are decoded whatever this says. Default `false`.
   */
  compression?: boolean | CompressionOptions;
}

/** A `node:http` request listener. */
export type NodeRequestListener = (request: IncomingMessage, response: ServerResponse) => void;

/**
 * Creates a `node:http` request listener that serves the Open Inference Protocol routes of
 * `service` under `options.prefix`.
 *
 * @example
 * import { createServer } from 'node:http';
 * import { createNodeHandler } from '@infer/core/node';
 * createServer(createNodeHandler(service, { prefix: '/ml' })).listen(8080);
 */
export function createNodeHandler(
  service: InferenceHandler,
  options: NodeHandlerOptions = {},
): NodeRequestListener {
  assertService(service);
  const { maxBodySize, prefix, bodyPool } = resolveAdapterOptions(options);
  const compression = resolveCompression(options.compression);
  return (request, response) => {
    const path = stripPrefix(request.url ?? '/', prefix);
    if (path === undefined) {
      sendServiceResponse(response, notFoundResponse(request.method ?? 'GET', request.url ?? '/'));
      return;
    }
    void handleNodeRequest(service, request, response, {
      path,
      maxBodySize,
      compression,
      bodyPool,
    });
  };
}

/**
 * Reads the body, calls the service and writes its answer: the whole life of one request,
 * shared by the node:http and Express adapters. A body in `Content-Encoding` gzip or deflate
 * is decoded under the same limit. `options.body` is a body a framework already read
 * (still checked against the limit; a body parser has decoded it already).
 * `options.compression` compresses answers for clients that accept it. With `options.bodyPool`,
 * a large body it reads is lent to the service and reused once the service returns it (see
 * `body-pool.ts`). Never rejects; failures become JSON errors.
 *
 * @example
 * await handleNodeRequest(service, req, res, { path: '/v2/health/live', maxBodySize: 1024 });
 */
export async function handleNodeRequest(
  service: InferenceHandler,
  request: IncomingMessage,
  response: ServerResponse,
  options: {
    path: string;
    maxBodySize: number;
    body?: Uint8Array | undefined;
    /** `body` is `JSON.stringify` of what a body parser made (see `ServiceRequest.rebuiltBody`). */
    rebuiltBody?: boolean | undefined;
    compression?: ResolvedCompression | undefined;
    bodyPool?: BodyPool | undefined;
  },
): Promise<void> {
  const startedAt = performance.now();
  let handled = false;
  try {
    // The pool, when this body is one it takes: read into a buffer of it, then lent.
    const pool = options.body === undefined ? poolFor(request, options.bodyPool) : undefined;
    const body = options.body ?? (await readNodeBody(request, options.maxBodySize, pool));
    if (body !== undefined && body.byteLength > options.maxBodySize) {
      throw new BodyTooLargeError({
        limitBytes: options.maxBodySize,
        receivedBytes: body.byteLength,
      });
    }
    const serviceRequest = toServiceRequest(request, { path: options.path, body });
    if (options.rebuiltBody === true) serviceRequest.rebuiltBody = true;
    if (serviceRequest.headers['content-encoding'] !== undefined && options.body === undefined) {
      await decodeRequestBody(serviceRequest, options.maxBodySize);
    }
    const giveBack =
      pool === undefined || body === undefined
        ? undefined
        : lendPooledBody(service, serviceRequest, body, (bytes) => pool.release(bytes));
    attachClientSignal(serviceRequest, watchClient(response), service);
    let serviceResponse = await service.handle(serviceRequest);
    handled = true;
    giveBack?.();
    if (options.compression !== undefined) {
      const accepted = request.headers['accept-encoding'];
      serviceResponse = await encodeResponse(serviceResponse, accepted, options.compression);
    }
    answer(service, response, serviceResponse);
  } catch (error) {
    // After `handle()` the service counted the request already (the answer's encoding failed).
    const failed = handled
      ? errorResponse(error)
      : failureResponse(service, request, options.path, error, startedAt);
    answer(service, response, failed);
  }
}

/**
 * The answer to a request this adapter could not read (or whose answer it could not encode):
 * the service's, which counts and logs it, or `errorResponse(error)` from a handler that
 * has no `answerFailure`.
 *
 * @internal
 * @example
 * sendServiceResponse(res, failureResponse(service, req, '/v2/models/m/infer', error));
 */
export function failureResponse(
  service: InferenceHandler,
  request: IncomingMessage,
  path: string,
  error: unknown,
  startedAt?: number,
): ServiceResponse {
  if (service.answerFailure === undefined) return errorResponse(error);
  const failed = {
    method: request.method ?? 'GET',
    path,
    headers: toHeaderRecord(request.headers),
  };
  return service.answerFailure(failed, error, startedAt);
}

/** Sends `serviceResponse`; while the service drains, the client must not reuse the connection. */
function answer(
  service: InferenceHandler,
  response: ServerResponse,
  serviceResponse: ServiceResponse,
): void {
  if (service.draining === true && !response.headersSent) {
    response.setHeader('connection', 'close');
  }
  sendServiceResponse(response, serviceResponse);
}

/**
 * Converts a node request (body already read) into a `ServiceRequest`.
 *
 * @example
 * const serviceRequest = toServiceRequest(req, { path: '/v2', body: undefined });
 */
export function toServiceRequest(
  request: IncomingMessage,
  options: { path: string; body?: Uint8Array | undefined },
): ServiceRequest {
  const serviceRequest: ServiceRequest = {
    method: request.method ?? 'GET',
    path: options.path,
    headers: toHeaderRecord(request.headers),
  };
  if (options.body !== undefined) serviceRequest.body = asPlainBytes(options.body);
  return serviceRequest;
}

/**
 * A plain `Uint8Array` view (no copy) of a body that may be a `Buffer`: `Buffer#slice()`
 * does not copy, so code written for `Uint8Array` (as codecs) must never get a Buffer.
 *
 * @example
 * asPlainBytes(Buffer.from('x')) instanceof Buffer; // false
 */
export function asPlainBytes(body: Uint8Array): Uint8Array {
  return Buffer.isBuffer(body)
    ? new Uint8Array(body.buffer, body.byteOffset, body.byteLength)
    : body;
}

/**
 * Node already lower-cases header names; repeated headers are joined with `, `.
 *
 * @example
 * toHeaderRecord({ 'x-tag': ['a', 'b'] }); // { 'x-tag': 'a, b' }
 */
export function toHeaderRecord(headers: IncomingHttpHeaders): Record<string, string | undefined> {
  const record: Record<string, string | undefined> = {};
  for (const name in headers) {
    const value = headers[name];
    record[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return record;
}

/**
 * An `AbortSignal` aborted when the response closes before it finished (the client
 * disconnected). Listens on the response, not the request: a request emits 'close' as soon
 * as its body has been read.
 *
 * @example
 * const signal = abortSignalOf(res);
 */
export function abortSignalOf(response: ServerResponse): AbortSignal {
  const controller = new AbortController();
  if (response.destroyed && !response.writableFinished) {
    controller.abort(new DOMException('the client closed the connection', 'AbortError'));
    return controller.signal;
  }
  response.once('close', () => {
    if (!response.writableFinished) {
      controller.abort(new DOMException('the client closed the connection', 'AbortError'));
    }
  });
  return controller.signal;
}

/**
 * What {@link abortSignalOf} does, without making an `AbortSignal` up front (they are costly
 * on Node 20): a client signal aborted when the response closes before it finished; the
 * request's `signal` is made from it only when read.
 *
 * @internal
 */
export function watchClient(response: ServerResponse): ClientSignal {
  // Called once per response by the adapters; a second call reuses the first signal.
  const watched = (response as WatchedResponse)[WATCHED];
  if (watched !== undefined) return watched;
  const client = new ClientSignal();
  // The client left before the adapter got here (an async middleware or hook, a body being
  // decoded): 'close' was already emitted, so the signal starts aborted.
  if (response.destroyed && !response.writableFinished) {
    client.abort(new DOMException('the client closed the connection', 'AbortError'));
    return client;
  }
  (response as WatchedResponse)[WATCHED] = client;
  // One shared listener ('close' is emitted once): no closure or once-wrapper per request.
  response.on('close', onResponseClose);
  return client;
}

const WATCHED = Symbol('infer.watchedClient');
type WatchedResponse = ServerResponse & { [WATCHED]?: ClientSignal | undefined };

function onResponseClose(this: WatchedResponse): void {
  const client = this[WATCHED];
  // Let go of the request (the signal's owner) once the response is done.
  this[WATCHED] = undefined;
  if (client !== undefined && !this.writableFinished) {
    client.abort(new DOMException('the client closed the connection', 'AbortError'));
  }
}

/**
 * Writes a `ServiceResponse` (status, headers, body with `Content-Length`) to a node response.
 * When the response has `bodyParts`, those are written one after another (corked: one
 * `writev` with the headers) instead of `body`, so a large binary answer is not joined first.
 *
 * @example
 * sendServiceResponse(res, { status: 200, headers: {}, body: '' });
 */
export function sendServiceResponse(
  response: ServerResponse,
  serviceResponse: ServiceResponse,
): void {
  if (response.headersSent || response.destroyed) {
    if (!response.writableEnded) response.end();
    return;
  }
  response.statusCode = serviceResponse.status;
  for (const name in serviceResponse.headers) {
    const value = serviceResponse.headers[name] as string;
    // `Vary` adds to what the host set (CORS varies on Origin, compression on Accept-Encoding).
    const before = name === 'vary' ? response.getHeader('vary') : undefined;
    response.setHeader(name, before === undefined ? value : `${String(before)}, ${value}`);
  }
  const parts = serviceResponse.bodyParts;
  if (parts !== undefined) {
    // Several buffers (a binary tensor answer): written corked, one writev, no joined copy.
    // end() uncorks the socket itself; the explicit pair keeps it balanced when middleware
    // (compression, say) replaces res.end.
    let length = 0;
    for (const part of parts) length += part.byteLength;
    response.setHeader('content-length', length);
    response.cork();
    for (const part of parts) response.write(part);
    response.end();
    response.uncork();
    return;
  }
  const { body } = serviceResponse;
  // A HEAD answer carries the GET's length (set by the service), or none under compression.
  if (response.req?.method === 'HEAD') {
    response.end();
    return;
  }
  // A string goes out as it is: node:http joins it to the response head in one write. The
  // length is always set here: node:http adds one itself only when nothing wrote the head
  // before end() (compression middleware does) and the client speaks HTTP/1.1 (an HTTP/1.0
  // keep-alive client would get a closed connection instead).
  response.setHeader(
    'content-length',
    typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength,
  );
  response.end(body);
}

/** @internal */
export function assertService(service: unknown): asserts service is InferenceHandler {
  if (
    typeof service !== 'object' ||
    service === null ||
    typeof (service as InferenceHandler).handle !== 'function'
  ) {
    throw new InvalidOptionError(
      'service',
      'must be an InferenceService (an object with handle())',
    );
  }
}
