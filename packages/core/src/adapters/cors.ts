import type { IncomingMessage, ServerResponse } from 'node:http';

/** Allowed origins: `true` for any, one origin, or a list. */
export type CorsOrigin = boolean | string | readonly string[];

/**
 * What a preflight may ask for: the OIP routes use these methods and headers, plus the
 * request id and W3C trace context headers a browser app may forward.
 */
const ALLOW_METHODS = 'GET, HEAD, POST, OPTIONS';
const ALLOW_HEADERS =
  'content-type, content-encoding, authorization, inference-header-content-length, x-request-id, traceparent, tracestate';
const EXPOSE_HEADERS = 'inference-header-content-length, retry-after';

/**
 * Writes CORS headers for `origin` on a `node:http` response and answers preflight requests
 * (`OPTIONS` with `Access-Control-Request-Method`) itself with 204; returns true when it did,
 * so the caller stops there. Requests from origins that are not allowed get no CORS headers
 * (the browser then blocks them), never an error.
 *
 * @internal
 * @example
 * if (applyCors(request, response, ['https://app.example'])) return;
 */
export function applyCors(
  request: IncomingMessage,
  response: ServerResponse,
  origin: CorsOrigin,
): boolean {
  const from = request.headers.origin;
  // Allowed origins named: the answer depends on the request's Origin whether or not this one
  // is allowed, so a shared cache must not give one origin's answer to another.
  if (origin !== true && origin !== false) response.setHeader('vary', 'origin');
  const allowed = allowedOrigin(origin, from);
  if (allowed === undefined) return false;
  response.setHeader('access-control-allow-origin', allowed);
  response.setHeader('access-control-expose-headers', EXPOSE_HEADERS);
  if (
    request.method !== 'OPTIONS' ||
    request.headers['access-control-request-method'] === undefined
  ) {
    return false;
  }
  response.writeHead(204, {
    'access-control-allow-methods': ALLOW_METHODS,
    'access-control-allow-headers': ALLOW_HEADERS,
    'access-control-max-age': '600',
    'content-length': '0',
  });
  response.end();
  return true;
}

function allowedOrigin(origin: CorsOrigin, from: string | undefined): string | undefined {
  if (origin === false) return undefined;
  if (origin === true) return '*';
  if (from === undefined) return undefined;
  const list = typeof origin === 'string' ? [origin] : origin;
  return list.includes(from) ? from : undefined;
}
