// Original file: proto/open_inference_grpc.proto

export interface ServerLiveResponse {
  live?: boolean;
}

export interface ServerLiveResponse__Output {
  live?: boolean;
}
