/**
 * `@infer/core/express`: an Express Router (Express 4 and 5) serving the OIP routes.
 *
 * Note for adapter authors: this file only converts. The shared node conversion
 * (`handleNodeRequest` in `./node`) reads the body under the limit, builds the abort
 * signal and writes the `ServiceResponse`; all protocol logic is in `InferenceService`.
 * Express strips the mount path from `req.url`, so `app.use('/ml', router)` needs no
 * prefix option. Paths other than `/v2...` and `/metrics` go on to the next handler.
 */
import type { IncomingMessage } from 'node:http';
import express, { type Router } from 'express';
import { type AdapterOptions, resolveAdapterOptions } from './adapter-options';
import { assertService, handleNodeRequest } from './node';
import { exposesMetrics, isServicePath } from './request-path';
import type { InferenceHandler } from './service-contract';

/** Options of `inferRouter`: `maxBodySize` in bytes (default 64 MiB), `metrics`. */
export interface ExpressRouterOptions extends Omit<AdapterOptions, 'prefix'> {
  /** Also route `GET /metrics` to the service. Default: whether the service has metrics. */
  metrics?: boolean;
}

/**
 * Creates an Express Router serving `service`; mount it at any path.
 *
 * @example
 * import express from 'express';
 * import { inferRouter } from '@infer/core/express';
 * const app = express();
 * app.use('/ml', inferRouter(service));
 */
export function inferRouter(service: InferenceHandler, options: ExpressRouterOptions = {}): Router {
  assertService(service);
  const { maxBodySize, bodyPool } = resolveAdapterOptions(options);
  const metrics = options.metrics ?? exposesMetrics(service);
  const router = express.Router();
  router.use((request, response, next) => {
    if (!isServicePath(request.url, metrics)) {
      next();
      return;
    }
    const consumed = consumedBody(request);
    void handleNodeRequest(service, request, response, {
      path: request.url,
      maxBodySize,
      body: consumed?.body,
      rebuiltBody: consumed?.rebuilt,
      bodyPool,
    });
  });
  return router;
}

/**
 * The body when a body parser (`express.json()`, `express.raw()`, `express.text()`) already
 * read the stream, as bytes (`rebuilt`: serialized back from the object `express.json()`
 * made); `undefined` when the stream is still unread.
 */
function consumedBody(
  request: IncomingMessage & { body?: unknown },
): { body: Uint8Array; rebuilt: boolean } | undefined {
  const parsed = (request as { _body?: boolean })._body === true || request.readableEnded;
  if (!parsed) return undefined;
  const { body } = request;
  if (body instanceof Uint8Array) return { body, rebuilt: false };
  if (typeof body === 'string') return { body: Buffer.from(body), rebuilt: false };
  // express.json() parsed it: serialize it back for the service's codec.
  if (body !== undefined) return { body: Buffer.from(JSON.stringify(body)), rebuilt: true };
  return { body: new Uint8Array(0), rebuilt: false };
}
