/**
 * A bare grpc-js server of `inference.GRPCInferenceService` from the client's proto, for
 * what the real server cannot show: the exact request message and metadata the client
 * sent, and answers @infer never gives (UNAVAILABLE without retry-after, malformed
 * responses). Each RPC answers through a handler the test sets (at once, or later).
 */
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import type { ModelInferRequest__Output } from '../src/grpc/generated/inference/ModelInferRequest';
import type { ProtoGrpcType } from '../src/grpc/generated/open_inference_grpc';
import { GRPC_LOADER_OPTIONS, inferenceProtoPath } from '../src/grpc/grpc-modules';

/** What one RPC answers: a response object, or a gRPC error status. */
export type FakeAnswer =
  | { response: object }
  | { error: { code: number; details: string; metadata?: Record<string, string> } };

/** A call the fake server received. */
export interface FakeCall {
  rpc: string;
  request: unknown;
  metadata: Record<string, unknown>;
}

export interface FakeServer {
  address: string;
  calls: FakeCall[];
  /** Sets how an RPC answers (default: an UNIMPLEMENTED-like INTERNAL error). */
  answer(rpc: string, handler: (request: unknown) => FakeAnswer | Promise<FakeAnswer>): void;
  close(): Promise<void>;
}

const RPCS = [
  'ServerLive',
  'ServerReady',
  'ServerMetadata',
  'ModelMetadata',
  'ModelReady',
  'ModelInfer',
] as const;

/** Starts the fake server on 127.0.0.1, port 0. */
export async function startFakeServer(): Promise<FakeServer> {
  const definition = protoLoader.loadSync(inferenceProtoPath(), GRPC_LOADER_OPTIONS);
  const proto = grpc.loadPackageDefinition(definition) as unknown as ProtoGrpcType;
  const server = new grpc.Server();
  const calls: FakeCall[] = [];
  const handlers = new Map<string, (request: unknown) => FakeAnswer | Promise<FakeAnswer>>();
  const implementation: grpc.UntypedServiceImplementation = {};
  for (const rpc of RPCS) {
    implementation[rpc] = async (
      call: grpc.ServerUnaryCall<unknown, unknown>,
      callback: grpc.sendUnaryData<unknown>,
    ) => {
      calls.push({ rpc, request: call.request, metadata: call.metadata.getMap() });
      const handler = handlers.get(rpc);
      const answer: FakeAnswer = handler
        ? await handler(call.request)
        : { error: { code: grpc.status.INTERNAL, details: `no handler for ${rpc}` } };
      if ('response' in answer) {
        callback(null, answer.response);
        return;
      }
      const metadata = new grpc.Metadata();
      for (const [key, value] of Object.entries(answer.error.metadata ?? {})) {
        metadata.set(key, value);
      }
      callback({ code: answer.error.code, details: answer.error.details, metadata });
    };
  }
  server.addService(proto.inference.GRPCInferenceService.service, implementation);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, bound) =>
      error ? reject(error) : resolve(bound),
    ),
  );
  return {
    address: `127.0.0.1:${port}`,
    calls,
    answer: (rpc, handler) => handlers.set(rpc, handler),
    close: () =>
      new Promise<void>((resolve) => {
        const force = setTimeout(() => server.forceShutdown(), 500);
        server.tryShutdown(() => {
          clearTimeout(force);
          resolve();
        });
      }),
  };
}

/** The last ModelInfer request the fake server received. */
export function lastInfer(server: FakeServer): ModelInferRequest__Output {
  const call = server.calls.filter((each) => each.rpc === 'ModelInfer').at(-1);
  if (call === undefined) throw new Error('no ModelInfer call received');
  return call.request as ModelInferRequest__Output;
}
