/**
 * `@infer/core/next`: Next.js App Router route handlers on Web `Request`/`Response`.
 *
 * Note for adapter authors: this file only converts, and is the template for any
 * fetch-style runtime (Next, Remix, Hono, Bun, Deno, workers). It reads the body stream
 * under the limit (cancelling it once over), decodes a gzip or deflate body under the same
 * limit, passes `request.signal` through (Next aborts it when the client disconnects)
 * and wraps the `ServiceResponse` in a `Response`.
 */

import { type AdapterOptions, resolveAdapterOptions } from './adapter-options';
import { decodeRequestBody } from './content-coding';
import { errorResponse, notFoundResponse } from './error-response';
import { assertService } from './node';
import { readWebBody } from './read-body';
import { stripPrefix } from './request-path';
import type { InferenceHandler, ServiceRequest, ServiceResponse } from './service-contract';

/** Options of `createNextHandlers`: `prefix` (default `'/api'`), `maxBodySize` (default 64 MiB). */
export type NextHandlersOptions = AdapterOptions;

/** A route handler of the App Router. */
export type NextRouteHandler = (request: Request) => Promise<Response>;

/**
 * Creates `GET` and `POST` route handlers for `app/api/[...infer]/route.ts`.
 *
 * @example
 * // app/api/[...infer]/route.ts
 * import { createNextHandlers } from '@infer/core/next';
 * export const { GET, POST } = createNextHandlers(service);
 */
export function createNextHandlers(
  service: InferenceHandler,
  options: NextHandlersOptions = {},
): { GET: NextRouteHandler; POST: NextRouteHandler } {
  assertService(service);
  const { maxBodySize, prefix } = resolveAdapterOptions(options, { prefix: '/api' });
  const handle = async (request: Request): Promise<Response> => {
    const startedAt = performance.now();
    const url = new URL(request.url);
    const path = stripPrefix(url.pathname + url.search, prefix);
    if (path === undefined) return toResponse(notFoundResponse(request.method, url.pathname));
    const headers: Record<string, string> = {};
    request.headers.forEach((value, name) => {
      headers[name] = value;
    });
    try {
      const serviceRequest: ServiceRequest = {
        method: request.method,
        path,
        headers,
        signal: request.signal,
      };
      const body = await readWebBody(request, maxBodySize);
      if (body !== undefined) serviceRequest.body = body;
      if (headers['content-encoding'] !== undefined) {
        await decodeRequestBody(serviceRequest, maxBodySize);
      }
      const handled = await service.handle(serviceRequest);
      try {
        return toResponse(handled);
      } catch (error) {
        // The service counted this request already: only the answer failed here.
        return toResponse(errorResponse(error));
      }
    } catch (error) {
      // Counted and logged as the service's own answers, where it can.
      const failed = { method: request.method, path, headers };
      const answer = service.answerFailure?.(failed, error, startedAt) ?? errorResponse(error);
      return toResponse(answer);
    }
  };
  return { GET: handle, POST: handle };
}

function toResponse(response: ServiceResponse): Response {
  const { body } = response;
  return new Response(typeof body === 'string' ? body : (body as Uint8Array<ArrayBuffer>), {
    status: response.status,
    headers: response.headers,
  });
}
