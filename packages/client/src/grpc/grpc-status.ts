/**
 * The canonical gRPC status codes by name (`google.rpc.Code`), so errors can name a status
 * without loading `@grpc/grpc-js`.
 *
 * @example
 * if (error.grpcCode === GRPC_STATUS.NOT_FOUND) console.log('no such model');
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

/** A gRPC status name of {@link GRPC_STATUS}, e.g. `'UNAVAILABLE'`. */
export type GrpcStatusName = keyof typeof GRPC_STATUS;

const NAMES = new Map<number, GrpcStatusName>(
  Object.entries(GRPC_STATUS).map(([name, code]) => [code, name as GrpcStatusName]),
);

/**
 * The name of a gRPC status code (`'UNKNOWN'` for a code outside the table).
 *
 * @internal
 */
export function grpcStatusName(code: number): GrpcStatusName {
  return NAMES.get(code) ?? 'UNKNOWN';
}
