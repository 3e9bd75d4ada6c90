/**
 * The server of `grpc.bench.ts`, in a child process on the built packages: `serve()` with
 * REST and gRPC over one identity model on FP32 [-1, 224, 224, 3] (batching off, so the
 * figures compare transports, not batch assembly). Replies `{ type: 'grpc', port }` to the
 * parent's `grpc` command.
 *
 * Run: `node benchmarks/grpc-server.mjs` as a child of the bench (IPC, see `lib/server-child.mjs`).
 */
import { defineModel, serve } from '@infer/core';
import { reportReady } from './lib/server-child.mjs';

const identity = defineModel({
  name: 'identity',
  inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, 224, 224, 3] }],
  outputs: [{ name: 'y', datatype: 'FP32', shape: [-1, 224, 224, 3] }],
  serving: { batching: false },
  predict: (request) => [{ ...request.inputs[0], name: 'y' }],
});

const server = await serve({ models: [identity], port: 0, grpc: { port: 0 } });
reportReady(server.server, { grpc: async () => ({ port: server.grpc.port }) });
