// Original file: proto/open_inference_grpc.proto

export interface ServerReadyResponse {
  ready?: boolean;
}

export interface ServerReadyResponse__Output {
  ready?: boolean;
}
