/**
 * gRPC status codes by name, from `@infer/codecs` (shared with the server): errors can name a
 * status without loading `@grpc/grpc-js`.
 */
export { GRPC_STATUS, type GrpcStatusName, grpcStatusName } from '@infer/codecs';
