// Original file: proto/open_inference_grpc.proto

export interface ModelReadyResponse {
  ready?: boolean;
}

export interface ModelReadyResponse__Output {
  ready?: boolean;
}
