/**
 * The plain request/response pair adapters exchange with `InferenceService.handle()`.
 * Declared structurally so an adapter accepts any object with a matching `handle()`.
 */

/** A framework-free HTTP request: path without the mount prefix, header names lower-case. */
export interface ServiceRequest {
  method: string;
  path: string;
  headers: Record<string, string | undefined>;
  body?: Uint8Array;
  signal?: AbortSignal;
  /**
   * The body is `JSON.stringify` of an object a body parser made before the adapter (Express
   * behind `express.json()`): its numbers past 2^53 were rounded there, so INT64 data past
   * 2^53 is refused (400) instead of taken as the client's.
   */
  rebuiltBody?: boolean;
}

/** A framework-free HTTP response. */
export interface ServiceResponse {
  status: number;
  headers: Record<string, string>;
  body: Uint8Array | string;
  /**
   * The body as consecutive parts, when the service built it from several buffers (a binary
   * tensor answer: the JSON header, then each output's bytes, which are the output tensors'
   * own memory). `body` is then their concatenation, made only when read. An adapter that can
   * write several buffers (node:http corks them into one `writev`) sends the parts and skips
   * copying a large answer. The service's responses keep this field non-enumerable and drop it
   * when `body` is assigned; code that builds or rewrites a response itself and sets `body`
   * must not leave stale parts behind, since adapters prefer the parts.
   */
  bodyParts?: readonly Uint8Array[] | undefined;
}

/**
 * The byte length of a response's body, without joining a binary answer's parts (reading
 * `body` would join them).
 *
 * @internal
 * @example
 * bodyLength({ status: 200, headers: {}, body: '{"live":true}' }); // 13
 */
export function bodyLength(response: ServiceResponse): number {
  const parts = response.bodyParts;
  if (parts !== undefined) return parts.reduce((sum, part) => sum + part.byteLength, 0);
  const { body } = response;
  return typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength;
}

/** What adapters need of an `InferenceService`: its `handle()`, and `draining` if it has one. */
export interface InferenceHandler {
  handle(request: ServiceRequest): Promise<ServiceResponse>;
  /**
   * True once the service began shutting down. The node:http and Express adapters then
   * answer with `Connection: close`, so no keep-alive connection outlives the drain.
   */
  readonly draining?: boolean;
  /**
   * The answer to a request its adapter could not read (a body over the limit, a content
   * coding it cannot decode), which never reached `handle()`: the same `{ error }` answer
   * `errorResponse(error)` gives, counted in the metrics and logged as `handle()`'s answers
   * are. Optional: adapters fall back to `errorResponse(error)` alone.
   */
  answerFailure?(request: FailedRequest, error: unknown, startedAt?: number): ServiceResponse;
}

/** What an adapter knows of a request it could not read: no body. */
export type FailedRequest = Pick<ServiceRequest, 'method' | 'path' | 'headers'>;
