/**
 * A real `serve()` with REST and gRPC on 127.0.0.1 port 0, for the gRPC client tests: the
 * REST tests' models (test-server.ts) plus models that show what the server saw.
 */
import type { Tensor } from '@infer/codecs';
import { defineModel, type InferServer, serve } from '@infer/core';
import { testModels } from './test-server';

/** What the gRPC test models saw. */
export const grpcProbe = {
  /** Signals of `hold` calls, in call order (aborted when the client cancelled). */
  holdSignals: [] as AbortSignal[],
};

function grpcModels() {
  return [
    // Waits `ms` (parameter, default 5000) or until its signal aborts; records the signal.
    defineModel({
      name: 'hold',
      inputs: [{ name: 'x', datatype: 'FP32', shape: [-1] }],
      outputs: [{ name: 'y', datatype: 'FP32', shape: [-1] }],
      predict: async (request, { signal }) => {
        grpcProbe.holdSignals.push(signal!);
        const ms = Number(request.parameters?.['ms'] ?? 5000);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, ms);
          signal?.addEventListener('abort', () => {
            clearTimeout(timer);
            resolve();
          });
        });
        return [{ ...request.inputs[0]!, name: 'y' } as Tensor];
      },
      serving: { batching: false, timeoutMs: 10_000, warmup: false },
    }),
    // The server's own timeout (100 ms) is shorter than the model's run: DEADLINE_EXCEEDED.
    defineModel({
      name: 'late',
      inputs: [{ name: 'x', datatype: 'FP32', shape: [-1] }],
      outputs: [{ name: 'y', datatype: 'FP32', shape: [-1] }],
      predict: async (request, { signal }) => {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, 2000);
          signal?.addEventListener('abort', () => {
            clearTimeout(timer);
            resolve();
          });
        });
        return [{ ...request.inputs[0]!, name: 'y' } as Tensor];
      },
      serving: { batching: false, timeoutMs: 100, warmup: false },
    }),
    // Echoes x as y, the request parameters as response parameters, x's parameters on y.
    defineModel({
      name: 'params',
      version: '3',
      inputs: [{ name: 'x', datatype: 'FP32', shape: [-1] }],
      outputs: [{ name: 'y', datatype: 'FP32', shape: [-1] }],
      parameters: { author: 'tests', layers: 2 },
      predict: (request) => {
        const x = request.inputs[0]!;
        return {
          outputs: [{ ...x, name: 'y' } as Tensor],
          ...(request.parameters === undefined ? {} : { parameters: request.parameters }),
        };
      },
      serving: { batching: false },
    }),
  ];
}

/** Starts REST and gRPC over one service with the client test models. */
export async function startGrpcTestServer(): Promise<InferServer> {
  return serve({
    models: [...testModels(), ...grpcModels()],
    port: 0,
    host: '127.0.0.1',
    grpc: { port: 0 },
    shutdownGraceMs: 500,
  });
}

/** The gRPC address of a server from {@link startGrpcTestServer}. */
export function grpcAddress(server: InferServer): string {
  if (server.grpc === undefined) throw new Error('the server has no gRPC endpoint');
  return server.grpc.address;
}
