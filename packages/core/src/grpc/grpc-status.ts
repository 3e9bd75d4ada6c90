import { ERROR_CODES, errorCodeOf, httpStatusOf, publicMessageOf } from '../errors';

/**
 * The canonical gRPC status codes by name (`google.rpc.Code`), so the error table's gRPC
 * column maps to numbers without loading `@grpc/grpc-js`.
 *
 * @example
 * GRPC_STATUS.NOT_FOUND; // 5
 */
export const GRPC_STATUS = Object.freeze({
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  DATA_LOSS: 15,
  UNAUTHENTICATED: 16,
} as const);

/** A gRPC status name of {@link GRPC_STATUS}. */
export type GrpcStatusName = keyof typeof GRPC_STATUS;

/** What a gRPC handler sends for a failed call: status code, details, HTTP twin. */
export interface GrpcErrorStatus {
  /** Numeric gRPC status code. */
  code: number;
  /** The public message: the error's own for known codes, a generic one otherwise (no stack). */
  details: string;
  /** The HTTP status the same error gets over REST (for metrics). */
  httpStatus: number;
  /** Seconds to wait before retrying (overloaded), sent as `retry-after` trailing metadata. */
  retryAfterSeconds?: number;
}

/**
 * The gRPC status of any thrown value, read from the gRPC column of `ERROR_CODES` (the one
 * table that also gives HTTP statuses): INVALID_ARGUMENT for bad input, NOT_FOUND for an
 * unknown model, UNAVAILABLE, DEADLINE_EXCEEDED, CANCELLED; INTERNAL for anything unknown.
 *
 * @example
 * toGrpcStatus(new ModelNotFoundError({ model: 'm' })); // { code: 5, details: 'Model "m" not found', httpStatus: 404 }
 */
export function toGrpcStatus(error: unknown): GrpcErrorStatus {
  const code = errorCodeOf(error);
  const status: GrpcErrorStatus = {
    code: GRPC_STATUS[ERROR_CODES[code].grpc as GrpcStatusName] ?? GRPC_STATUS.INTERNAL,
    details: publicMessageOf(error),
    httpStatus: httpStatusOf(error),
  };
  if (code === 'INFER_ERR_OVERLOADED') {
    const seconds = (error as { retryAfterSeconds?: unknown }).retryAfterSeconds;
    status.retryAfterSeconds = typeof seconds === 'number' && seconds > 0 ? Math.ceil(seconds) : 1;
  }
  return status;
}
