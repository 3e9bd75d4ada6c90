import type {
  InferenceResponse,
  ModelMetadataJSON,
  ServerMetadataJSON,
  Tensor,
} from '@infer/codecs';
import type { CallOptions, InferOptions } from './infer-types';

/** A model a call is about: its name and, when given, its version. @internal */
export interface ModelRef {
  readonly name: string;
  readonly version: string | undefined;
}

/**
 * How the client reaches a server: one method per OIP call, on validated input, with the
 * deadline, signal, retries and error mapping of the transport. The REST transport
 * (`http-transport.ts`) is on `fetch`; the gRPC one (`@infer/client/grpc`) on grpc-js.
 * Everything above it (input forms, schemas, the result shape) is shared. Options left out
 * are `undefined` (each transport spreads them into its call).
 *
 * @internal
 */
export interface Transport {
  /** Server liveness: `true` when the server says so, `false` for any answer that is not a yes. */
  live(options: CallOptions | undefined): Promise<boolean>;
  /** Server readiness, as {@link Transport.live}. */
  ready(options: CallOptions | undefined): Promise<boolean>;
  serverMetadata(options: CallOptions | undefined): Promise<ServerMetadataJSON>;
  modelMetadata(model: ModelRef, options: CallOptions | undefined): Promise<ModelMetadataJSON>;
  /** Model readiness; rejects for an unknown model. */
  modelReady(model: ModelRef, options: CallOptions | undefined): Promise<boolean>;
  /** Runs the model on tensors already checked and converted by the client. */
  infer(model: ModelRef, inputs: Tensor[], options: InferOptions): Promise<InferenceResponse>;
}
