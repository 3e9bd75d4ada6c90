export { createGrpcClient, type GrpcClient } from './create-grpc-client';
export {
  GRPC_CLIENT_DEFAULTS,
  type GrpcClientOptions,
  type GrpcContents,
} from './grpc-client-options';
export { inferenceProtoPath } from './grpc-modules';
export { GRPC_STATUS, type GrpcStatusName } from './grpc-status';
