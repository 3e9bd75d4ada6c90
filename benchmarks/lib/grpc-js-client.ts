/**
 * The grpc-js client of the OIP `GRPCInferenceService` that the gRPC benches drive. The gRPC
 * packages are (optional) dependencies of @infer/core, not of the repo root, so they are
 * resolved from there; the service is built from core's shipped proto with core's loader
 * options, as `@infer/client/grpc` builds it.
 */
import { createRequire } from 'node:module';
import { GRPC_LOADER_OPTIONS, inferenceProtoPath } from '@infer/core/grpc';

/** The part of a ModelInfer answer the benches read (raw contents: they send raw). */
export interface ModelInferReply {
  raw_output_contents: Buffer[];
}

/** The part of a grpc-js OIP client the benches use. */
export interface OipGrpcClient {
  ModelInfer(
    request: object,
    callback: (error: Error | null, value: ModelInferReply) => void,
  ): void;
  close(): void;
}

type ServiceClient = new (address: string, credentials: unknown, options: object) => OipGrpcClient;

const fromCore = createRequire(createRequire(import.meta.url).resolve('@infer/core/package.json'));
const grpc = fromCore('@grpc/grpc-js') as {
  loadPackageDefinition(definition: unknown): {
    inference: { GRPCInferenceService: ServiceClient };
  };
  credentials: { createInsecure(): unknown };
};
const protoLoader = fromCore('@grpc/proto-loader') as {
  loadSync(file: string, options: object): unknown;
};

let definition: Record<string, Record<string, MethodCodec>> | undefined;
let Service: ServiceClient | undefined;

/** proto-loader's serializers of one RPC. */
export interface MethodCodec {
  requestSerialize(request: object): Buffer;
  responseDeserialize(bytes: Buffer): object;
}

function loadDefinition() {
  definition ??= protoLoader.loadSync(inferenceProtoPath(), GRPC_LOADER_OPTIONS) as Record<
    string,
    Record<string, MethodCodec>
  >;
  return definition;
}

/**
 * ModelInfer's protobuf request encoder and response decoder, for load generators that send
 * prebuilt gRPC messages (h2load).
 *
 * @example
 * const bytes = modelInferCodec().requestSerialize({ model_name: 'identity', inputs, raw_input_contents });
 */
export function modelInferCodec(): MethodCodec {
  return loadDefinition()['inference.GRPCInferenceService']!.ModelInfer!;
}

/**
 * An insecure (h2c) grpc-js client of `address` with grpc-js channel `options`.
 *
 * @example
 * const client = oipGrpcClient('127.0.0.1:8081', { 'grpc.max_receive_message_length': 64 << 20 });
 */
export function oipGrpcClient(address: string, options: object): OipGrpcClient {
  Service ??= grpc.loadPackageDefinition(loadDefinition()).inference.GRPCInferenceService;
  return new Service(address, grpc.credentials.createInsecure(), options);
}

/**
 * One gRPC length-prefixed message: a zero compression flag, the big-endian length, the bytes.
 *
 * @example
 * const frame = grpcFrame(modelInferCodec().requestSerialize(request));
 */
export function grpcFrame(payload: Uint8Array): Buffer {
  const frame = Buffer.alloc(5 + payload.byteLength);
  frame.writeUInt32BE(payload.byteLength, 1);
  frame.set(payload, 5);
  return frame;
}
