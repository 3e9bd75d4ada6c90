/**
 * gRPC protocol constants shared by `@infer/core/grpc` and `@infer/client/grpc`, so neither
 * needs `@grpc/grpc-js` loaded to name a status, and both load the proto the same way.
 */

/**
 * The canonical gRPC status codes by name (`google.rpc.Code`).
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

/** A gRPC status name of {@link GRPC_STATUS}, e.g. `'UNAVAILABLE'`. */
export type GrpcStatusName = keyof typeof GRPC_STATUS;

const NAMES = new Map<number, GrpcStatusName>(
  Object.entries(GRPC_STATUS).map(([name, code]) => [code, name as GrpcStatusName]),
);

/**
 * The name of a gRPC status code (`'UNKNOWN'` for a code outside the table).
 *
 * @example
 * grpcStatusName(14); // 'UNAVAILABLE'
 */
export function grpcStatusName(code: number): GrpcStatusName {
  return NAMES.get(code) ?? 'UNKNOWN';
}

/**
 * The `@grpc/proto-loader` options the server, the client and their generated types
 * (`proto-loader-gen-types --keepCase --longs=String --arrays --oneofs`) agree on: field
 * names as in the proto, 64-bit integers as decimal strings (no precision loss), enums as
 * names, empty repeated fields as `[]`, and oneof names (`parameter_choice`) set.
 *
 * @example
 * protoLoader.loadSync('open_inference_grpc.proto', GRPC_PROTO_OPTIONS);
 */
export const GRPC_PROTO_OPTIONS = Object.freeze({
  keepCase: true,
  longs: String,
  enums: String,
  arrays: true,
  oneofs: true,
});
