/**
 * The server of `grpc.bench.ts`, in a child process on the built packages: `serve()` with
 * REST and gRPC over one identity model on FP32 [-1, -1] (batching off, so the figures
 * compare transports, not batch assembly), plus two bare echo servers (the transport floor,
 * below). Replies `{ type: 'grpc', port, narrowPort, grpcJsPort, bareHttp1Port, bareHttp2Port }` to the
 * parent's `grpc` command and `{ type: 'cpuTotal', micros }` (the process's CPU time so far) to
 * `cpuTotal`, so the parent can charge server CPU to each measurement.
 *
 * Run: `node benchmarks/grpc-server.mjs` as a child of the bench (IPC, see `lib/server-child.mjs`).
 */
import { createServer } from 'node:http';
import { createServer as createHttp2Server } from 'node:http2';
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
// The same service on grpc-js's server (Node's http2; what `serveGrpc` uses with TLS), with the
// same 8 MiB windows: what the h2c server buys.
const grpcJs = await serveGrpc(server.service, { port: 0, transport: 'grpc-js' });

// The floor: what any server pays for a transport before doing anything with the request.
// Two bare echo servers: HTTP/1.1 (node:http, the body back with a content-length, as REST
// binary answers) and HTTP/2 (node:http2 with the gRPC server's 8 MiB windows, the body back
// with gRPC's response headers and `grpc-status` trailers). No protobuf, no OIP, no service.
const WINDOW = 8 * 1024 * 1024;
const bareHttp1 = createServer((request, response) => {
  const chunks = [];
  request.on('data', (chunk) => chunks.push(chunk));
  request.on('end', () => {
    const body = Buffer.concat(chunks);
    response.writeHead(200, {
      'content-type': 'application/octet-stream',
      'content-length': body.byteLength,
    });
    response.end(body);
  });
});
bareHttp1.keepAliveTimeout = 60_000;
const bareHttp2 = createHttp2Server({
  maxSessionMemory: 256,
  settings: { initialWindowSize: WINDOW },
});
bareHttp2.on('session', (session) => session.setLocalWindowSize(WINDOW));
bareHttp2.on('stream', (stream) => {
  const chunks = [];
  stream.on('data', (chunk) => chunks.push(chunk));
  stream.on('end', () => {
    const body = Buffer.concat(chunks);
    stream.respond(
      { ':status': 200, 'content-type': 'application/grpc' },
      { waitForTrailers: true },
    );
    stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
    stream.end(body);
  });
});
const listen = (target) =>
  new Promise((resolve) => target.listen(0, '127.0.0.1', () => resolve(target.address().port)));
const bareHttp1Port = await listen(bareHttp1);
const bareHttp2Port = await listen(bareHttp2);

reportReady(server.server, {
  grpc: async () => ({
    port: server.grpc.port,
    narrowPort: narrow.port,
    grpcJsPort: grpcJs.port,
    bareHttp1Port,
    bareHttp2Port,
  }),
  cpuTotal: async () => {
    const { user, system } = process.cpuUsage();
    return { micros: user + system };
  },
});
