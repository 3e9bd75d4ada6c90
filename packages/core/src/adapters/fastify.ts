/**
 * `@infer/core/fastify`: an encapsulated Fastify plugin (Fastify 4 and 5) serving the OIP
 * routes under the `prefix` it is registered with.
 *
 * Note for adapter authors: this file only converts. Inside its own encapsulation context it
 * replaces every content-type parser with one raw-bytes parser (the node adapter's body
 * reader, our body limit, large bodies into reused buffers: see `body-pool.ts`) so JSON and
 * the binary extension reach `InferenceService` untouched, as bytes; the host app's parsers
 * and error handler are not affected. A body in `Content-Encoding`
 * gzip or deflate is decoded under the same limit; the routes opt out of `@fastify/compress`'s
 * own request decoding (`decompress: false`), which would otherwise decode it first and leave
 * the header behind. The signal aborts when the client disconnects (`reply.raw` closes before
 * it finished).
 */
import type { IncomingMessage } from 'node:http';
import type { FastifyError, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { BadRequestError, BodyTooLargeError, InferError } from '../errors';
import { type AdapterOptions, resolveAdapterOptions } from './adapter-options';
import { lendPooledBody } from './body-pool';
import { attachClientSignal } from './client-signal';
import { decodeRequestBody } from './content-coding';
import { errorResponse } from './error-response';
import { asPlainBytes, assertService, failureResponse, toHeaderRecord, watchClient } from './node';
import { nodeBody, poolFor, streamBody } from './read-body';
import { exposesMetrics, stripPrefix } from './request-path';
import type { InferenceHandler, ServiceRequest, ServiceResponse } from './service-contract';

/** Options of `inferPlugin`: the service, `maxBodySize` (bytes, default 64 MiB), `prefix`. */
export interface InferPluginOptions extends Omit<AdapterOptions, 'prefix'> {
  service: InferenceHandler;
  /** Fastify's own register option: the mount path, e.g. `'/ml'`. Default `''`. */
  prefix?: string;
  /**
   * Read bodies of 64 KiB and more into buffers reused from request to request (see the
   * adapters' option). Off by default here: Fastify gives `request.body` to the app's hooks
   * too, so turn it on only if no hook keeps `request.body` after the answer is sent (the
   * plugin sets it to `undefined` before reuse). Default `false`.
   */
  reuseBodyBuffers?: boolean;
  /** Also route `GET /metrics` to the service. Default: whether the service has metrics. */
  metrics?: boolean;
}

/**
 * A Fastify plugin serving `options.service`; register it with any `prefix`.
 *
 * @example
 * import Fastify from 'fastify';
 * import { inferPlugin } from '@infer/core/fastify';
 * const app = Fastify();
 * await app.register(inferPlugin, { service, prefix: '/ml' });
 */
export const inferPlugin: FastifyPluginAsync<InferPluginOptions> = async (app, options) => {
  assertService(options.service);
  const { service } = options;
  // Off unless asked for: Fastify hands `request.body` to the host app's hooks too, and a
  // hook that keeps it past the answer would see the next request's bytes.
  const { maxBodySize, bodyPool } = resolveAdapterOptions({
    ...(options.maxBodySize === undefined ? {} : { maxBodySize: options.maxBodySize }),
    reuseBodyBuffers: options.reuseBodyBuffers ?? false,
  });
  const send = (reply: FastifyReply, response: ServiceResponse) => {
    const { body, headers } = response;
    reply.code(response.status);
    if (typeof body !== 'string') {
      reply.headers(headers);
      return reply.send(Buffer.from(body.buffer, body.byteOffset, body.byteLength));
    }
    for (const name in headers) {
      const value = headers[name]!;
      // What Fastify makes of a JSON string's type, given as one constant: Fastify would join
      // the charset on per answer, and node:http check the new string's characters.
      reply.header(name, name === 'content-type' && value === JSON_TYPE ? JSON_UTF8 : value);
    }
    return reply.send(body);
  };
  // Hooks that run after the handler (onSend, onResponse) find no body rather than one
  // another request is overwriting.
  const release = (request: FastifyRequest, body: Uint8Array) => {
    request.body = undefined;
    bodyPool!.release(body);
  };
  app.removeAllContentTypeParsers();
  // Reads the raw request as the node adapter does. A stream a `preParsing` hook put in its
  // place is read plainly (never into a pooled buffer: the hook may keep its chunks). The
  // callback form: a parser that returns a promise costs Fastify one more reaction.
  const readBody = (
    request: FastifyRequest,
    payload: NodeJS.ReadableStream,
    done: (error: Error | null, body?: Buffer) => void,
  ) => {
    if (payload !== request.raw)
      return streamBody(payload, maxBodySize, undefined, Number.NaN, done);
    const pool = poolFor(request.raw, bodyPool);
    if (pool === undefined) return nodeBody(request.raw, maxBodySize, undefined, done);
    // Remembered as the buffer itself: a hook may put another body in `request.body`.
    nodeBody(request.raw, maxBodySize, pool, (error, body) => {
      if (body !== undefined) (request.raw as PooledRequest)[POOLED] = body;
      done(error, body);
    });
  };
  // The protocol's own types by name too: Fastify remembers the parser of a named type, while
  // it parses the Content-Type header again on every request that only the catch-all takes.
  for (const type of ['application/json', 'application/octet-stream', '*']) {
    app.addContentTypeParser(type, readBody);
  }
  // An answer the service did not give (the body could not be read, a hook failed): the
  // service's `answerFailure` counts and logs it as its own answers, where it has one.
  const failure = (
    request: FastifyRequest,
    reply: FastifyReply,
    error: unknown,
  ): ServiceResponse => {
    // Timed from the request's arrival, as Fastify measures it (`reply.elapsedTime`, ms; not
    // in early Fastify 4 releases, where the time counts from now).
    const elapsed = (reply as { elapsedTime?: unknown }).elapsedTime;
    const startedAt =
      typeof elapsed === 'number' && Number.isFinite(elapsed)
        ? performance.now() - elapsed
        : undefined;
    const path = servicePath(request.url, app.prefix);
    return failureResponse(service, request.raw, path, error, startedAt);
  };
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      return send(
        reply,
        failure(request, reply, new BodyTooLargeError({ limitBytes: maxBodySize })),
      );
    }
    // The body reader's own errors (413 over the limit) keep their status.
    if (InferError.isInstance(error)) return send(reply, failure(request, reply, error));
    const status = error.statusCode ?? 500;
    if (!(status >= 400 && status < 600)) return send(reply, failure(request, reply, error));
    // Fastify's own (415 for a malformed Content-Type) and the host app's hooks' errors (an
    // auth hook's 401, a rate limit's 429) keep their status, in the protocol's error body:
    // a 4xx with its message, a 5xx without (as the service answers a model failure). Not
    // counted as the service's: the status is theirs.
    const body =
      status < 500 ? errorResponse(new BadRequestError(error.message)) : errorResponse(error);
    return send(reply, { ...body, status });
  });
  // A callback-style handler: it answers through `reply.send` and returns nothing. An async
  // handler's promise resolved with `reply` (what `send` returns), a thenable, so Fastify ran
  // a PromiseResolveThenableJob and `reply.then()` for every request; a promise resolving to
  // `undefined` still costs Fastify a reaction (1.5-3% of the plugin's req/s; docs/
  // benchmarks.md, "Fewer ticks and timer toggles"). As for any callback-style handler,
  // Fastify's `fastify.request.handler` tracing channel sees the handler end when it returns;
  // failures still go through the error handler above (`failed`).
  const handler = (request: FastifyRequest, reply: FastifyReply): void => {
    const body = request.body instanceof Uint8Array ? asPlainBytes(request.body) : undefined;
    const serviceRequest: ServiceRequest = {
      method: request.method,
      path: servicePath(request.url, app.prefix),
      headers: toHeaderRecord(request.headers),
    };
    // Set, not spread into the literal: a spread there takes V8 a slow path (about 1 us).
    if (body !== undefined) serviceRequest.body = body;
    if (serviceRequest.headers['content-encoding'] === undefined) {
      respond(request, reply, serviceRequest, body);
      return;
    }
    decodeRequestBody(serviceRequest, maxBodySize).then(
      () => respond(request, reply, serviceRequest, body),
      (error: unknown) => send(reply, failure(request, reply, error)),
    );
  };
  const respond = (
    request: FastifyRequest,
    reply: FastifyReply,
    serviceRequest: ServiceRequest,
    body: Uint8Array | undefined,
  ): void => {
    // Answers every failure itself (it also runs from a promise reaction, where a throw would
    // be an unhandled rejection).
    let giveBack: (() => void) | undefined;
    let handled: Promise<ServiceResponse>;
    try {
      // The pooled body, if `request.body` still is it (a hook may have put another there).
      const read = (request.raw as PooledRequest)[POOLED];
      const pooled = read !== undefined && body?.buffer === read.buffer ? read : undefined;
      giveBack =
        pooled === undefined
          ? undefined
          : lendPooledBody(service, serviceRequest, pooled, (bytes) => release(request, bytes));
      // `signal` aborts when the client leaves; made only when read (see client-signal.ts).
      attachClientSignal(serviceRequest, watchClient(reply.raw), service);
      // A custom handler may answer without a promise: as is, no tick added for a promise.
      handled = Promise.resolve(service.handle(serviceRequest));
    } catch (error) {
      failed(reply, error);
      return;
    }
    handled.then(
      (response) => {
        try {
          giveBack?.();
          send(reply, response);
        } catch (error) {
          failed(reply, error); // an answer Fastify refuses (a status out of range, no body)
        }
      },
      (error: unknown) => failed(reply, error),
    );
  };
  // A custom handler's failure: an Error goes to the error handler above, as a thrown one
  // would; anything else is answered here (`reply.send` would send a string or an object as
  // the answer's body), an InferError from another realm (no `instanceof Error`) included.
  const failed = (reply: FastifyReply, error: unknown) => {
    if (error instanceof Error) reply.send(error);
    else send(reply, errorResponse(error));
  };
  // `decompress: false`: `@fastify/compress`, when the app registered it, leaves our request
  // bodies to us (its answers' compression still applies).
  const routeOptions = {
    bodyLimit: maxBodySize,
    exposeHeadRoute: false,
    decompress: false as const,
  };
  app.all('/v2', routeOptions, handler);
  app.all('/v2/*', routeOptions, handler);
  if (options.metrics ?? exposesMetrics(service)) app.all('/metrics', routeOptions, handler);
};

/** The service path of a URL one of the plugin's routes matched. */
function servicePath(url: string, prefix: string): string {
  const stripped = stripPrefix(url, prefix);
  // A route matched, so a path stripped as written starts with one of the routes.
  return stripped !== undefined && (stripped.startsWith('/v2') || stripped.startsWith('/metrics'))
    ? stripped
    : afterPrefix(url, prefix);
}

/**
 * The service path of a URL Fastify's router matched under `prefix` although it does not start
 * with it as written (`caseSensitive: false`: `/ML/v2/...` under `/ml`;
 * `ignoreDuplicateSlashes`: `/ml//v2/...`): the URL past as many path segments as the prefix
 * has, empty segments (duplicate slashes) dropped.
 */
function afterPrefix(url: string, prefix: string): string {
  const queryAt = url.search(/[?#]/);
  const path = queryAt === -1 ? url : url.slice(0, queryAt);
  const segments = path.split('/').filter((segment) => segment !== '');
  const skip = prefix.split('/').filter((segment) => segment !== '').length;
  const trailing = path.endsWith('/') && segments.length > skip ? '/' : '';
  const rest = `/${segments.slice(skip).join('/')}${trailing}`;
  return queryAt === -1 ? rest : rest + url.slice(queryAt);
}

/** The service's JSON type, and the type Fastify answers a JSON string with. */
const JSON_TYPE = 'application/json';
const JSON_UTF8 = 'application/json; charset=utf-8';

/** Where a raw request keeps the pooled buffer the plugin read its body into. */
const POOLED = Symbol('infer.pooledBody');
type PooledRequest = IncomingMessage & { [POOLED]?: Buffer | undefined };

export default inferPlugin;
