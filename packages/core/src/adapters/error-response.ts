import {
  BodyTooLargeError,
  errorHeadersOf,
  httpStatusOf,
  RouteNotFoundError,
  toErrorBody,
} from '../errors';
import type { ServiceResponse } from './service-contract';

/**
 * The JSON error response for a failure inside an adapter (body over the limit, a broken
 * stream, a service that rejected instead of answering), through core's one error table;
 * the stack is never sent.
 *
 * @internal
 * @example
 * errorResponse(new BodyTooLargeError({ limitBytes: 10 })).status; // 413
 */
export function errorResponse(error: unknown): ServiceResponse {
  const headers: Record<string, string> = {
    ...errorHeadersOf(error),
    'content-type': 'application/json',
  };
  if (BodyTooLargeError.isInstance(error)) headers.connection = 'close';
  return { status: httpStatusOf(error), headers, body: JSON.stringify(toErrorBody(error)) };
}

/**
 * The 404 for a URL outside the adapter's mount prefix.
 *
 * @internal
 * @example
 * notFoundResponse('GET', '/elsewhere').status; // 404
 */
export function notFoundResponse(method: string, path: string): ServiceResponse {
  return errorResponse(new RouteNotFoundError({ method, path }));
}
