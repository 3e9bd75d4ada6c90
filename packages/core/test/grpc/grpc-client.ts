/**
 * A grpc-js client built from the shipped proto, for the gRPC tests: every RPC as a promise,
 * plus helpers that turn a `ModelInferResponse` back into decoded tensors.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { decodeGrpcTensor, type Tensor } from '@infer/codecs';
import { GRPC_LOADER_OPTIONS, inferenceProtoPath, type ProtoGrpcType } from '@infer/core/grpc';
import type { GRPCInferenceServiceClient } from '../../src/grpc/generated/inference/GRPCInferenceService';
import type { ModelInferResponse__Output } from '../../src/grpc/generated/inference/ModelInferResponse';
import type { ModelMetadataResponse__Output } from '../../src/grpc/generated/inference/ModelMetadataResponse';
import type { ModelReadyResponse__Output } from '../../src/grpc/generated/inference/ModelReadyResponse';
import type { ServerLiveResponse__Output } from '../../src/grpc/generated/inference/ServerLiveResponse';
import type { ServerMetadataResponse__Output } from '../../src/grpc/generated/inference/ServerMetadataResponse';
import type { ServerReadyResponse__Output } from '../../src/grpc/generated/inference/ServerReadyResponse';

const MAX = 64 * 1024 * 1024;
const require = createRequire(import.meta.url);

export type Client = GRPCInferenceServiceClient;

/**
 * A client of `inference.GRPCInferenceService` on `address`; `options` are added to its
 * channel's (`'grpc.use_local_subchannel_pool': 1` gives it a connection of its own).
 */
export function createClient(address: string, options: grpc.ChannelOptions = {}): Client {
  const definition = protoLoader.loadSync(inferenceProtoPath(), GRPC_LOADER_OPTIONS);
  const proto = grpc.loadPackageDefinition(definition) as unknown as ProtoGrpcType;
  return new proto.inference.GRPCInferenceService(address, grpc.credentials.createInsecure(), {
    'grpc.max_receive_message_length': MAX,
    'grpc.max_send_message_length': MAX,
    ...options,
  });
}

/** The answer type of each RPC. */
interface Answers {
  ServerLive: ServerLiveResponse__Output;
  ServerReady: ServerReadyResponse__Output;
  ModelReady: ModelReadyResponse__Output;
  ServerMetadata: ServerMetadataResponse__Output;
  ModelMetadata: ModelMetadataResponse__Output;
  ModelInfer: ModelInferResponse__Output;
}

type UnaryMethod<R> = (
  request: object,
  metadata: grpc.Metadata,
  options: grpc.CallOptions,
  callback: (error: grpc.ServiceError | null, value: R) => void,
) => grpc.ClientUnaryCall;

/** Options of one call. */
export interface CallOptions {
  /** Deadline in ms from now. */
  timeoutMs?: number;
  metadata?: Record<string, string>;
  /** Receives the call, e.g. to cancel it. */
  onCall?: (call: grpc.ClientUnaryCall) => void;
}

/** One unary call as a promise; rejects with the `ServiceError`. */
export function call<K extends keyof Answers>(
  client: Client,
  rpc: K,
  request: object,
  options: CallOptions = {},
): Promise<Answers[K]> {
  const metadata = new grpc.Metadata();
  for (const [key, value] of Object.entries(options.metadata ?? {})) metadata.set(key, value);
  const callOptions: grpc.CallOptions =
    options.timeoutMs === undefined ? {} : { deadline: Date.now() + options.timeoutMs };
  return new Promise<Answers[K]>((resolve, reject) => {
    const method = (client as unknown as Record<string, UnaryMethod<Answers[K]>>)[rpc]!.bind(
      client,
    );
    const pending = method(request, metadata, callOptions, (error, value) =>
      error ? reject(error) : resolve(value),
    );
    options.onCall?.(pending);
  });
}

/** Resolves with the gRPC status code of a failing call (fails the test if it succeeds). */
export async function statusOf(promise: Promise<unknown>): Promise<grpc.ServiceError> {
  try {
    await promise;
  } catch (error) {
    return error as grpc.ServiceError;
  }
  throw new Error('the call succeeded but was expected to fail');
}

/** The outputs of a `ModelInferResponse` as decoded tensors (raw or typed contents). */
export function responseTensors(response: ModelInferResponse__Output): Tensor[] {
  const raw = response.raw_output_contents ?? [];
  return response.outputs.map((output, index) =>
    decodeGrpcTensor(output, 'outputs', index, raw.length > 0 ? raw[index] : undefined),
  );
}

/** Plain values of a tensor for deep equality (typed arrays as arrays, bytes as arrays). */
export function plain(tensor: Tensor): unknown {
  const data = Array.isArray(tensor.data)
    ? (tensor.data as Uint8Array[]).map((bytes) => Array.from(bytes))
    : Array.from(tensor.data as ArrayLike<number | bigint>);
  return { name: tensor.name, datatype: tensor.datatype, shape: tensor.shape, data };
}

/** The proto of a package that ships one (health, reflection). */
export function packageProto(name: string, relative: string): string {
  return join(dirname(require.resolve(`${name}/package.json`)), relative);
}

/** Little-endian bytes of a typed array, as `raw_input_contents` carries them. */
export function rawBytes(data: ArrayBufferView): Buffer {
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

/** BYTES elements as 4-byte little-endian lengths and bytes (Triton's raw form). */
export function rawStrings(elements: Uint8Array[]): Buffer {
  return Buffer.concat(
    elements.flatMap((element) => {
      const length = Buffer.alloc(4);
      length.writeUInt32LE(element.length);
      return [length, Buffer.from(element)];
    }),
  );
}
