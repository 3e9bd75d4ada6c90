// Original file: proto/open_inference_grpc.proto

export type ServerReadyRequest = {};

export type ServerReadyRequest__Output = {};
