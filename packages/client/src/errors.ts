import { CodecError } from '@infer/codecs';

const MARKER = Symbol.for('infer.error');

/**
 * Every code an {@link InferClientError} can carry. Codes are stable: branch on them, not on
 * messages. What each means:
 *
 * - `INFER_CLIENT_ERR_HTTP`: the server answered with an HTTP error status; `status` and the
 *   server's message are set.
 * - `INFER_CLIENT_ERR_GRPC`: the gRPC server answered with a status other than OK
 *   (`@infer/client/grpc`); `grpcCode`, `grpcStatus` and the server's message are set.
 * - `INFER_CLIENT_ERR_NETWORK`: no answer: connection refused or reset, DNS failure, body cut off.
 * - `INFER_CLIENT_ERR_TIMEOUT`: `timeoutMs` passed before an answer (retries included).
 * - `INFER_CLIENT_ERR_ABORTED`: the caller's `AbortSignal` fired; the reason is the `cause`.
 * - `INFER_CLIENT_ERR_DECODE`: the answer was not a valid OIP response (bad JSON, bad binary data).
 * - `INFER_CLIENT_ERR_INVALID_INPUT`: an input could not be turned into a tensor (bad shape,
 *   unknown datatype, element out of range) before sending.
 * - `INFER_CLIENT_ERR_INVALID_OPTION`: `createClient()`, `model()` or `defineSchema()` got an
 *   invalid option.
 * - `INFER_CLIENT_ERR_CLOSED`: a call on a gRPC client after its `close()`.
 * - `INFER_CLIENT_ERR_HEADERS`: the call's headers (gRPC metadata) could not be made, so
 *   nothing was sent, and it is not retried: the `headers` (`metadata`) function threw, or a
 *   name or value is not valid in HTTP (gRPC metadata). The function's error is the `cause`.
 *
 * (A list rather than a table of descriptions: the descriptions would ship in every browser
 * bundle that keeps this export.)
 *
 * @example
 * CLIENT_ERROR_CODES.includes('INFER_CLIENT_ERR_HTTP'); // true
 */
export const CLIENT_ERROR_CODES = [
  'INFER_CLIENT_ERR_HTTP',
  'INFER_CLIENT_ERR_GRPC',
  'INFER_CLIENT_ERR_NETWORK',
  'INFER_CLIENT_ERR_TIMEOUT',
  'INFER_CLIENT_ERR_ABORTED',
  'INFER_CLIENT_ERR_DECODE',
  'INFER_CLIENT_ERR_INVALID_INPUT',
  'INFER_CLIENT_ERR_INVALID_OPTION',
  'INFER_CLIENT_ERR_CLOSED',
  'INFER_CLIENT_ERR_HEADERS',
] as const;

/** A stable code of an {@link InferClientError}, e.g. `'INFER_CLIENT_ERR_HTTP'` (see {@link CLIENT_ERROR_CODES}). */
export type ClientErrorCode = (typeof CLIENT_ERROR_CODES)[number];

/** The context fields an {@link InferClientError} copies from its options (read-only). */
const FIELDS = [
  'status',
  'retryAfter',
  'grpcCode',
  'grpcStatus',
  'serverMessage',
  'method',
  'url',
  'attempts',
] as const;

/** Context of an {@link InferClientError}. */
export interface InferClientErrorOptions {
  /** HTTP status of the server's answer (`INFER_CLIENT_ERR_HTTP`). */
  status?: number | undefined;
  /** The server's `Retry-After`, in seconds, when it sent one. */
  retryAfter?: number | undefined;
  /** gRPC status code of the answer (`INFER_CLIENT_ERR_GRPC`), e.g. `5`. */
  grpcCode?: number | undefined;
  /** gRPC status name of the answer (`INFER_CLIENT_ERR_GRPC`), e.g. `'NOT_FOUND'`. */
  grpcStatus?: string | undefined;
  /**
   * The server's error message: the OIP `{"error": "..."}`, else a `message` or `detail`
   * string of a JSON answer, else the first 200 characters of the answer's text.
   */
  serverMessage?: string | undefined;
  /** Method and URL of the call; over gRPC the RPC name (`ModelInfer`) and the address. */
  method?: string | undefined;
  url?: string | undefined;
  /** How many attempts were made (1 without retries). */
  attempts?: number | undefined;
  /** The underlying error: a fetch `TypeError`, a `CodecError`, the abort reason. */
  cause?: unknown;
}

/**
 * The one error every `@infer/client` call rejects with, REST or gRPC: a stable `code`,
 * the HTTP `status` (or the gRPC `grpcCode` and `grpcStatus`) and the server's message
 * when the server answered, and `retryAfter` when it asked for a pause.
 *
 * @example
 * try {
 *   await client.model('resnet').infer({ x: new Float32Array(4) });
 * } catch (error) {
 *   if (InferClientError.isInstance(error) && error.status === 404) console.log(error.serverMessage);
 * }
 */
export class InferClientError extends Error {
  /** Stable machine-readable code. */
  readonly code: ClientErrorCode;
  /** HTTP status of the answer, when there was one. */
  declare readonly status?: number;
  /** `Retry-After` of the answer in seconds, when there was one. */
  declare readonly retryAfter?: number;
  /** gRPC status code of the answer (`@infer/client/grpc`), e.g. `5` for NOT_FOUND. */
  declare readonly grpcCode?: number;
  /** gRPC status name of the answer (`@infer/client/grpc`), e.g. `'NOT_FOUND'`. */
  declare readonly grpcStatus?: string;
  /** The server's error message (OIP `{"error": "..."}`), when it sent one. */
  declare readonly serverMessage?: string;
  declare readonly method?: string;
  declare readonly url?: string;
  /** Attempts made, retries included. */
  declare readonly attempts?: number;
  /** @internal marker shared by every @infer error, so checks work across package copies. */
  readonly [MARKER] = true;

  constructor(code: ClientErrorCode, message: string, options: InferClientErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'InferClientError';
    this.code = code;
    for (const key of FIELDS) {
      const value = options[key];
      if (value !== undefined) Object.defineProperty(this, key, { value, enumerable: true });
    }
  }

  /**
   * `error instanceof InferClientError` holds for an error from any copy of `@infer/client`
   * (its ESM and CommonJS builds, the main and `/grpc` entries of a CommonJS build, and an
   * older installed copy when this class is on the right of `instanceof`), as
   * {@link InferClientError.isInstance} does. A subclass keeps the ordinary prototype check.
   */
  static override [Symbol.hasInstance](value: unknown): boolean {
    // `this` is the class on the right of instanceof: this one, or a subclass. For a
    // subclass, `super`'s (Function.prototype's, the ordinary check) called on `this`.
    // biome-ignore lint/complexity/noThisInStatic: see above
    if (this !== InferClientError) return super[Symbol.hasInstance](value);
    return InferClientError.isInstance(value);
  }

  /**
   * True for an `InferClientError` from any copy of `@infer/client` (checks the shared
   * marker and the code prefix rather than `instanceof`).
   *
   * @example
   * InferClientError.isInstance(new InferClientError('INFER_CLIENT_ERR_TIMEOUT', 'late')); // true
   */
  static isInstance(error: unknown): error is InferClientError {
    const candidate = error as { [MARKER]?: unknown; code?: unknown } | null | undefined;
    return candidate?.[MARKER] === true && /^INFER_CLIENT_ERR_/.test(String(candidate.code));
  }
}

/**
 * A `CodecError` from encoding an input, as `INFER_CLIENT_ERR_INVALID_INPUT` with the codec's
 * message after `prefix` (e.g. `inputs.x: `) and the codec error as `cause`; any other error
 * as it is.
 *
 * @internal
 */
export function invalidInputFrom(error: unknown, prefix = ''): unknown {
  if (!CodecError.isInstance(error)) return error;
  return new InferClientError('INFER_CLIENT_ERR_INVALID_INPUT', `${prefix}${error.message}`, {
    cause: error,
  });
}
