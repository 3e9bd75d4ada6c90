// Original file: proto/open_inference_grpc.proto

export type ServerMetadataRequest = {};

export type ServerMetadataRequest__Output = {};
