/**
 * The server of `grpc.bench.ts`, in a child process on the built packages: `serve()` with
 * REST and gRPC over one identity model on FP32 [-1, -1] (batching off, so the figures
 * compare transports, not batch assembly). Replies `{ type: 'grpc', port }` to the parent's
 * `grpc` command and `{ type: 'cpuTotal', micros }` (the process's CPU time so far) to
 * `cpuTotal`, so the parent can charge server CPU to each measurement.
 *
 * Run: `node benchmarks/grpc-server.mjs` as a child of the bench (IPC, see `lib/server-child.mjs`).
 */
import { defineModel, serve } from '@infer/core';
import { serveGrpc } from '@infer/core/grpc';
import { reportReady } from './lib/server-child.mjs';

const identity = defineModel({
  name: 'identity',
  inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, -1] }],
  outputs: [{ name: 'y', datatype: 'FP32', shape: [-1, -1] }],
  serving: { batching: false },
  predict: (request) => [{ ...request.inputs[0], name: 'y' }],
});

const server = await serve({ models: [identity], port: 0, grpc: { port: 0 } });
// The same service over a second gRPC port with grpc-js's HTTP/2 windows (64 KiB), to show
// what the 8 MiB default window buys.
const narrow = await serveGrpc(server.service, { port: 0, flowControlWindowBytes: 0 });
reportReady(server.server, {
  grpc: async () => ({ port: server.grpc.port, narrowPort: narrow.port }),
  cpuTotal: async () => {
    const { user, system } = process.cpuUsage();
    return { micros: user + system };
  },
});
