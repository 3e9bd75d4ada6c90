// Original file: proto/open_inference_grpc.proto

export interface ModelReadyRequest {
  name?: string;
  version?: string;
}

export interface ModelReadyRequest__Output {
  name?: string;
  version?: string;
}
