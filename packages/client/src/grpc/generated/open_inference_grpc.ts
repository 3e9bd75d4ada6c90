import type * as grpc from '@grpc/grpc-js';
import type { MessageTypeDefinition } from '@grpc/proto-loader';

import type {
  GRPCInferenceServiceClient as _inference_GRPCInferenceServiceClient,
  GRPCInferenceServiceDefinition as _inference_GRPCInferenceServiceDefinition,
} from './inference/GRPCInferenceService';
import type {
  InferParameter as _inference_InferParameter,
  InferParameter__Output as _inference_InferParameter__Output,
} from './inference/InferParameter';
import type {
  InferTensorContents as _inference_InferTensorContents,
  InferTensorContents__Output as _inference_InferTensorContents__Output,
} from './inference/InferTensorContents';
import type {
  ModelInferRequest as _inference_ModelInferRequest,
  ModelInferRequest__Output as _inference_ModelInferRequest__Output,
} from './inference/ModelInferRequest';
import type {
  ModelInferResponse as _inference_ModelInferResponse,
  ModelInferResponse__Output as _inference_ModelInferResponse__Output,
} from './inference/ModelInferResponse';
import type {
  ModelMetadataRequest as _inference_ModelMetadataRequest,
  ModelMetadataRequest__Output as _inference_ModelMetadataRequest__Output,
} from './inference/ModelMetadataRequest';
import type {
  ModelMetadataResponse as _inference_ModelMetadataResponse,
  ModelMetadataResponse__Output as _inference_ModelMetadataResponse__Output,
} from './inference/ModelMetadataResponse';
import type {
  ModelReadyRequest as _inference_ModelReadyRequest,
  ModelReadyRequest__Output as _inference_ModelReadyRequest__Output,
} from './inference/ModelReadyRequest';
import type {
  ModelReadyResponse as _inference_ModelReadyResponse,
  ModelReadyResponse__Output as _inference_ModelReadyResponse__Output,
} from './inference/ModelReadyResponse';
import type {
  ServerLiveRequest as _inference_ServerLiveRequest,
  ServerLiveRequest__Output as _inference_ServerLiveRequest__Output,
} from './inference/ServerLiveRequest';
import type {
  ServerLiveResponse as _inference_ServerLiveResponse,
  ServerLiveResponse__Output as _inference_ServerLiveResponse__Output,
} from './inference/ServerLiveResponse';
import type {
  ServerMetadataRequest as _inference_ServerMetadataRequest,
  ServerMetadataRequest__Output as _inference_ServerMetadataRequest__Output,
} from './inference/ServerMetadataRequest';
import type {
  ServerMetadataResponse as _inference_ServerMetadataResponse,
  ServerMetadataResponse__Output as _inference_ServerMetadataResponse__Output,
} from './inference/ServerMetadataResponse';
import type {
  ServerReadyRequest as _inference_ServerReadyRequest,
  ServerReadyRequest__Output as _inference_ServerReadyRequest__Output,
} from './inference/ServerReadyRequest';
import type {
  ServerReadyResponse as _inference_ServerReadyResponse,
  ServerReadyResponse__Output as _inference_ServerReadyResponse__Output,
} from './inference/ServerReadyResponse';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new (...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  inference: {
    GRPCInferenceService: SubtypeConstructor<
      typeof grpc.Client,
      _inference_GRPCInferenceServiceClient
    > & { service: _inference_GRPCInferenceServiceDefinition };
    InferParameter: MessageTypeDefinition<
      _inference_InferParameter,
      _inference_InferParameter__Output
    >;
    InferTensorContents: MessageTypeDefinition<
      _inference_InferTensorContents,
      _inference_InferTensorContents__Output
    >;
    ModelInferRequest: MessageTypeDefinition<
      _inference_ModelInferRequest,
      _inference_ModelInferRequest__Output
    >;
    ModelInferResponse: MessageTypeDefinition<
      _inference_ModelInferResponse,
      _inference_ModelInferResponse__Output
    >;
    ModelMetadataRequest: MessageTypeDefinition<
      _inference_ModelMetadataRequest,
      _inference_ModelMetadataRequest__Output
    >;
    ModelMetadataResponse: MessageTypeDefinition<
      _inference_ModelMetadataResponse,
      _inference_ModelMetadataResponse__Output
    >;
    ModelReadyRequest: MessageTypeDefinition<
      _inference_ModelReadyRequest,
      _inference_ModelReadyRequest__Output
    >;
    ModelReadyResponse: MessageTypeDefinition<
      _inference_ModelReadyResponse,
      _inference_ModelReadyResponse__Output
    >;
    ServerLiveRequest: MessageTypeDefinition<
      _inference_ServerLiveRequest,
      _inference_ServerLiveRequest__Output
    >;
    ServerLiveResponse: MessageTypeDefinition<
      _inference_ServerLiveResponse,
      _inference_ServerLiveResponse__Output
    >;
    ServerMetadataRequest: MessageTypeDefinition<
      _inference_ServerMetadataRequest,
      _inference_ServerMetadataRequest__Output
    >;
    ServerMetadataResponse: MessageTypeDefinition<
      _inference_ServerMetadataResponse,
      _inference_ServerMetadataResponse__Output
    >;
    ServerReadyRequest: MessageTypeDefinition<
      _inference_ServerReadyRequest,
      _inference_ServerReadyRequest__Output
    >;
    ServerReadyResponse: MessageTypeDefinition<
      _inference_ServerReadyResponse,
      _inference_ServerReadyResponse__Output
    >;
  };
}
