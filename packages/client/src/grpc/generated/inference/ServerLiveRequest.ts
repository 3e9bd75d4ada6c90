// Original file: proto/open_inference_grpc.proto

export type ServerLiveRequest = {};

export type ServerLiveRequest__Output = {};
