export type {
  GRPCInferenceServiceClient,
  GRPCInferenceServiceHandlers,
} from './generated/inference/GRPCInferenceService';
export type { InferParameter } from './generated/inference/InferParameter';
export type { InferTensorContents } from './generated/inference/InferTensorContents';
export type {
  ModelInferRequest,
  ModelInferRequest__Output,
} from './generated/inference/ModelInferRequest';
export type {
  ModelInferResponse,
  ModelInferResponse__Output,
} from './generated/inference/ModelInferResponse';
export type { ProtoGrpcType } from './generated/open_inference_grpc';
export { createGrpcHandlers } from './grpc-handlers';
export { inferenceProtoPath } from './grpc-modules';
export { addInferenceService, createGrpcServer, GRPC_LOADER_OPTIONS } from './grpc-server';
export {
  DEFAULT_GRPC_OPTIONS,
  type GrpcServerOptions,
  type GrpcTransport,
  type ServeGrpcOptions,
} from './grpc-server-options';
export {
  GRPC_STATUS,
  type GrpcErrorStatus,
  type GrpcStatusName,
  toGrpcStatus,
} from './grpc-status';
export { type GrpcInferServer, type GrpcServerHandle, serveGrpc } from './serve-grpc';
