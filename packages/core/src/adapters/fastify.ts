/**
 * `@infer/core/fastify`: an encapsulated Fastify plugin (Fastify 4 and 5) serving the OIP
 * routes under the `prefix` it is registered with.
 *
 * Note for adapter authors: this file only converts. Inside its own encapsulation context it
 * replaces every content-type parser with one raw-Buffer parser (`parseAs: 'buffer'`, our
 * body limit) so JSON and the binary extension reach `InferenceService` untouched, as bytes;
 * the host app's parsers and error handler are not affected. A body in `Content-Encoding`
 * gzip or deflate is decoded under the same limit; the routes opt out of `@fastify/compress`'s
 * own request decoding (`decompress: false`), which would otherwise decode it first and leave
 * the header behind. The signal aborts when the client disconnects (`reply.raw` closes before
 * it finished).
 */
import type { FastifyError, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { BadRequestError, BodyTooLargeError } from '../errors';
import { type AdapterOptions, resolveAdapterOptions } from './adapter-options';
import { attachClientSignal } from './client-signal';
import { decodeRequestBody } from './content-coding';
import { errorResponse } from './error-response';
import { asPlainBytes, assertService, toHeaderRecord, watchClient } from './node';
import { exposesMetrics, stripPrefix } from './request-path';
import type { InferenceHandler, ServiceRequest, ServiceResponse } from './service-contract';

/** Options of `inferPlugin`: the service, `maxBodySize` (bytes, default 64 MiB), `prefix`. */
export interface InferPluginOptions extends Omit<AdapterOptions, 'prefix'> {
  service: InferenceHandler;
  /** Fastify's own register option: the mount path, e.g. `'/ml'`. Default `''`. */
  prefix?: string;
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
  const { maxBodySize } = resolveAdapterOptions(
    options.maxBodySize === undefined ? {} : { maxBodySize: options.maxBodySize },
  );
  const send = (reply: FastifyReply, response: ServiceResponse) => {
    const { body } = response;
    const payload =
      typeof body === 'string' ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
    return reply.code(response.status).headers(response.headers).send(payload);
  };
  app.removeAllContentTypeParsers();
  const raw = { parseAs: 'buffer' as const, bodyLimit: maxBodySize };
  const asBytes = (
    _request: FastifyRequest,
    body: Buffer,
    parsed: (error: null, body: Buffer) => void,
  ) => parsed(null, body);
  // The protocol's own types by name too: Fastify remembers the parser of a named type, while
  // it parses the Content-Type header again on every request that only the catch-all takes.
  for (const type of ['application/json', 'application/octet-stream']) {
    app.addContentTypeParser(type, raw, asBytes);
  }
  app.addContentTypeParser('*', raw, asBytes);
  app.setErrorHandler((error: FastifyError, _request, reply) => {
    if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE')
      return send(reply, errorResponse(new BodyTooLargeError({ limitBytes: maxBodySize })));
    const status = error.statusCode ?? 500;
    return send(
      reply,
      errorResponse(status >= 400 && status < 500 ? new BadRequestError(error.message) : error),
    );
  });
  const handler = async (request: FastifyRequest, reply: FastifyReply) => {
    const body = request.body instanceof Uint8Array ? asPlainBytes(request.body) : undefined;
    const serviceRequest: ServiceRequest = {
      method: request.method,
      path: stripPrefix(request.url, app.prefix) ?? request.url,
      headers: toHeaderRecord(request.headers),
    };
    // Set, not spread into the literal: a spread there takes V8 a slow path (about 1 us).
    if (body !== undefined) serviceRequest.body = body;
    if (serviceRequest.headers['content-encoding'] !== undefined) {
      try {
        await decodeRequestBody(serviceRequest, maxBodySize);
      } catch (error) {
        return send(reply, errorResponse(error));
      }
    }
    // `signal` aborts when the client leaves; made only when read (see client-signal.ts).
    attachClientSignal(serviceRequest, watchClient(reply.raw));
    const response = await service.handle(serviceRequest);
    return send(reply, response);
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

export default inferPlugin;
