import { GRPC_STATUS, type GrpcStatusName } from '@infer/codecs';
import { ERROR_CODES, errorCodeOf, httpStatusOf, publicMessageOf } from '../errors';
import { limitStatusMessage } from './status-message';

// The status table is @infer/codecs' (shared with the client); re-exported for core's users.
export { GRPC_STATUS, type GrpcStatusName };

/** What a gRPC handler sends for a failed call: status code, details, HTTP twin. */
export interface GrpcErrorStatus {
  /** Numeric gRPC status code. */
  code: number;
  /**
   * The public message: the error's own for known codes, a generic one otherwise (no stack),
   * cut to 2 KiB percent-encoded (it may echo a long model name) and ended with `...`.
   */
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
    details: limitStatusMessage(publicMessageOf(error)),
    httpStatus: httpStatusOf(error),
  };
  if (code === 'INFER_ERR_OVERLOADED') {
    const seconds = (error as { retryAfterSeconds?: unknown }).retryAfterSeconds;
    status.retryAfterSeconds = typeof seconds === 'number' && seconds > 0 ? Math.ceil(seconds) : 1;
  }
  return status;
}
