const MARKER = Symbol.for('infer.error');

/**
 * Every code an {@link InferClientError} can carry, with what it means. Codes are stable:
 * branch on them, not on messages.
 */
export const CLIENT_ERROR_CODES = {
  /** The server answered with an HTTP error status; `status` and the server's message are set. */
  INFER_CLIENT_ERR_HTTP: 'the server answered with an HTTP error status',
  /**
   * The gRPC server answered with a status other than OK (`@infer/client/grpc`); `grpcCode`,
   * `grpcStatus` and the server's message are set.
   */
  INFER_CLIENT_ERR_GRPC: 'the gRPC server answered with an error status',
  /** No answer: connection refused or reset, DNS failure, body cut off. */
  INFER_CLIENT_ERR_NETWORK: 'the request did not reach the server or its answer was cut off',
  /** `timeoutMs` passed before an answer (retries included). */
  INFER_CLIENT_ERR_TIMEOUT: 'the call took longer than timeoutMs',
  /** The caller's `AbortSignal` fired; the reason is the `cause`. */
  INFER_CLIENT_ERR_ABORTED: "the caller's AbortSignal aborted the call",
  /** The answer was not a valid OIP response (bad JSON, bad binary data). */
  INFER_CLIENT_ERR_DECODE: 'the server answered something that is not a valid OIP response',
  /** An input could not be turned into a tensor (bad shape, unknown datatype...) before sending. */
  INFER_CLIENT_ERR_INVALID_INPUT: 'an input could not be encoded as an OIP tensor',
  /** `createClient()` or `model()` got an invalid option. */
  INFER_CLIENT_ERR_INVALID_OPTION: 'an option is invalid',
  /** A call on a gRPC client after its `close()`. */
  INFER_CLIENT_ERR_CLOSED: 'the client was closed',
} as const;

/** A stable code of an {@link InferClientError}, e.g. `'INFER_CLIENT_ERR_HTTP'`. */
export type ClientErrorCode = keyof typeof CLIENT_ERROR_CODES;

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
  /** The server's OIP error message (`{"error": "..."}`), when it sent one. */
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
  /** The server's OIP error message, when it sent one. */
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
    for (const key of [
      'status',
      'retryAfter',
      'grpcCode',
      'grpcStatus',
      'serverMessage',
      'method',
      'url',
      'attempts',
    ] as const) {
      const value = options[key];
      if (value !== undefined) Object.defineProperty(this, key, { value, enumerable: true });
    }
  }

  /**
   * True for an `InferClientError` from any copy of `@infer/client` (checks the shared
   * marker and the code prefix rather than `instanceof`).
   *
   * @example
   * InferClientError.isInstance(new InferClientError('INFER_CLIENT_ERR_TIMEOUT', 'late')); // true
   */
  static isInstance(error: unknown): error is InferClientError {
    if (typeof error !== 'object' || error === null) return false;
    const code = (error as { code?: unknown }).code;
    return (
      (error as Record<symbol, unknown>)[MARKER] === true &&
      typeof code === 'string' &&
      code.startsWith('INFER_CLIENT_ERR_')
    );
  }
}
