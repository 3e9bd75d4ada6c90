/**
 * Question (issue 10): what does OIP over gRPC buy over REST, for a small and a large tensor,
 * with one caller and with many?
 *
 * One identity model on FP32 [-1, -1], served by `serve()` with REST and gRPC in a child
 * process (built packages, batching off). The parent sends the same tensor as REST JSON, the
 * REST binary extension (binary output asked), gRPC `raw_input_contents` and gRPC typed
 * `fp32_contents`, and gRPC raw twice more: with HTTP/2's 64 KiB windows on both sides
 * (`gRPC raw 64K`, a second h2c port of the same service) and against the same service on a
 * grpc-js server, Node's `http2` (`gRPC raw grpc-js`). Each client reads the whole answer
 * (`JSON.parse` for JSON, the protobuf decode for gRPC). Tensors: 1x512 FP32 (2 KiB) and 1x262144 FP32 (1 MiB); callers: 1 (one
 * request at a time) and 32 in flight. REST uses a keep-alive `node:http` agent (one socket
 * per caller), gRPC one grpc-js channel (one HTTP/2 connection, as gRPC clients do). Fixed
 * request counts after a warm-up (JSON and typed contents at 1 MiB handle 262k numbers one by
 * one: an eighth of the count), transports interleaved round by round, best round kept.
 * Prints req/s, the ratio to REST binary, and the server's CPU time per request (the child's
 * `process.cpuUsage()`, steadier than req/s on a shared machine).
 *
 * The floor: the same child also runs two bare echo servers, and the same rounds send the REST
 * binary body to a bare `node:http` echo (`bare HTTP/1.1`, same agent) and the same bytes as one
 * gRPC-framed message over one `node:http2` connection with the same 8 MiB windows to a bare
 * HTTP/2 echo (`bare HTTP/2`). Their ratio is what the transports themselves cost, before
 * any gRPC or OIP work (docs/benchmarks.md, "The transport floor", turns it into an estimate
 * of what a gRPC server with no cost over bare HTTP/2 could reach).
 *
 * Run: `pnpm bench grpc.` (builds first; the dot keeps `grpc-library.bench.ts` out). `GRPC_BENCH_ROUNDS=n` sets the rounds (default 2).
 */
import { Agent, request as httpRequest } from 'node:http';
import { connect as connectHttp2 } from 'node:http2';
import { encodeInferenceRequest, type Tensor } from '@infer/codecs';
import { startChild } from './lib/child-process';
import { grpcFrame, type OipGrpcClient, oipGrpcClient } from './lib/grpc-js-client';
import { describeMachine, machineInfo, watchLoad } from './lib/machine';
import { writeResults } from './lib/results';

const ROUNDS = Number(process.env.GRPC_BENCH_ROUNDS ?? 2);
const MAX = 64 * 1024 * 1024;
const CALLERS = [1, 32] as const;
/** Requests per measurement, by tensor and callers (slow transports take an eighth at 1 MiB). */
const SIZES = [
  { label: '2 KiB', elements: 512, counts: { 1: 600, 32: 3000 }, slowScale: 1 },
  { label: '1 MiB', elements: 262_144, counts: { 1: 40, 32: 160 }, slowScale: 8 },
] as const;
const SLOW = new Set(['REST JSON', 'gRPC typed']);

const machine = machineInfo();
console.log(describeMachine(machine));
const load = watchLoad();
const server = await startChild('grpc-server', new URL('./grpc-server.mjs', import.meta.url));
const {
  port: grpcPort,
  narrowPort,
  grpcJsPort,
  bareHttp1Port,
  bareHttp2Port,
} = await server.request<{
  port: number;
  narrowPort: number;
  grpcJsPort: number;
  bareHttp1Port: number;
  bareHttp2Port: number;
}>({ type: 'grpc' });
const serverCpu = async () =>
  (await server.request<{ micros: number }>({ type: 'cpuTotal' })).micros;

// ---------------------------------------------------------------- REST client
const agent = new Agent({ keepAlive: true, maxSockets: 32 });
function post(
  body: Uint8Array,
  headers: Record<string, string>,
  port = server.port,
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port,
        path: '/v2/models/identity/infer',
        method: 'POST',
        agent,
        headers: { ...headers, 'content-length': String(body.byteLength) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          res.statusCode === 200
            ? resolve(Buffer.concat(chunks))
            : reject(new Error(`HTTP ${res.statusCode}: ${Buffer.concat(chunks)}`)),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

// ---------------------------------------------------------------- gRPC client
const sizes = { 'grpc.max_receive_message_length': MAX, 'grpc.max_send_message_length': MAX };
// As @infer/client/grpc does: an 8 MiB window for the answers the client receives.
const client = oipGrpcClient(`127.0.0.1:${grpcPort}`, {
  ...sizes,
  'grpc-node.flow_control_window': 8 * 1024 * 1024,
});
// grpc-js defaults on both sides: 64 KiB HTTP/2 windows.
const narrowClient = oipGrpcClient(`127.0.0.1:${narrowPort}`, sizes);
// The same client against the grpc-js server (Node's http2) instead of the h2c one.
const grpcJsClient = oipGrpcClient(`127.0.0.1:${grpcJsPort}`, {
  ...sizes,
  'grpc-node.flow_control_window': 8 * 1024 * 1024,
});
// ---------------------------------------------------------------- the transport floor
// One HTTP/2 connection with the same 8 MiB windows as the gRPC channel above, carrying one
// gRPC-framed message (5-byte prefix) per stream to the bare echo server: HTTP/2's own cost.
const WINDOW = 8 * 1024 * 1024;
const bareSession = connectHttp2(`http://127.0.0.1:${bareHttp2Port}`, {
  maxSessionMemory: 256,
  settings: { initialWindowSize: WINDOW },
});
bareSession.on('connect', () => bareSession.setLocalWindowSize(WINDOW));
function postHttp2(body: Uint8Array): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const stream = bareSession.request({
      ':method': 'POST',
      ':path': '/inference.GRPCInferenceService/ModelInfer',
      'content-type': 'application/grpc',
      te: 'trailers',
    });
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => resolve(Buffer.concat(chunks)));
    stream.on('error', reject);
    stream.end(body);
  });
}
const infer = (target: OipGrpcClient, request: object) =>
  new Promise<unknown>((resolve, reject) =>
    target.ModelInfer(request, (error, value) => (error ? reject(error) : resolve(value))),
  );
const modelInfer = (request: object) => infer(client, request);

/** The four ways to send one tensor of `elements` FP32 values. */
function transportsFor(elements: number): Record<string, () => Promise<unknown>> {
  const shape = [1, elements];
  const data = Float32Array.from({ length: elements }, (_, i) => (i % 255) / 255);
  const tensor: Tensor = { name: 'x', datatype: 'FP32', shape, data };
  const json = encodeInferenceRequest({ inputs: [tensor] });
  const binary = encodeInferenceRequest(
    { inputs: [tensor], parameters: { binary_data_output: true } },
    { binary: true },
  );
  const rawRequest = {
    model_name: 'identity',
    inputs: [{ name: 'x', datatype: 'FP32', shape }],
    raw_input_contents: [Buffer.from(data.buffer, data.byteOffset, data.byteLength)],
  };
  const bareFrame = grpcFrame(binary.body);
  const typedRequest = {
    model_name: 'identity',
    inputs: [{ name: 'x', datatype: 'FP32', shape, contents: { fp32_contents: Array.from(data) } }],
  };
  return {
    'REST JSON': async () => JSON.parse((await post(json.body, json.headers)).toString()),
    'REST binary': () => post(binary.body, binary.headers),
    'gRPC raw': () => modelInfer(rawRequest),
    'gRPC raw 64K': () => infer(narrowClient, rawRequest),
    'gRPC raw grpc-js': () => infer(grpcJsClient, rawRequest),
    'gRPC typed': () => modelInfer(typedRequest),
    // The floor (no OIP, no protobuf): the REST binary body echoed over bare HTTP/1.1, and the
    // same bytes as one gRPC message echoed over bare HTTP/2.
    'bare HTTP/1.1': () => post(binary.body, binary.headers, bareHttp1Port),
    'bare HTTP/2': () => postHttp2(bareFrame),
  };
}

/** `count` requests, `callers` at a time: req/s and the server's CPU µs per request. */
async function measure(send: () => Promise<unknown>, count: number, callers: number) {
  let next = 0;
  const cpuBefore = await serverCpu();
  const started = performance.now();
  await Promise.all(
    Array.from({ length: callers }, async () => {
      while (next++ < count) await send();
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const cpuMicros = (await serverCpu()) - cpuBefore;
  return { rps: count / seconds, cpuPerRequest: cpuMicros / count };
}

interface Cell {
  rps: number;
  cpuPerRequest: number;
}
const results = new Map<string, Cell>(); // `${size}|${callers}|${transport}`
try {
  for (const size of SIZES) {
    const transports = transportsFor(size.elements);
    for (const send of Object.values(transports)) await measure(send, 32, 32); // warm-up
    for (let round = 0; round < ROUNDS; round++) {
      for (const callers of CALLERS) {
        for (const [name, send] of Object.entries(transports)) {
          const scale = SLOW.has(name) ? size.slowScale : 1;
          const count = Math.max(callers, Math.ceil(size.counts[callers] / scale));
          const cell = await measure(send, count, callers);
          const key = `${size.label}|${callers}|${name}`;
          const previous = results.get(key);
          results.set(key, {
            rps: Math.max(previous?.rps ?? 0, cell.rps),
            cpuPerRequest: Math.min(
              previous?.cpuPerRequest ?? Number.POSITIVE_INFINITY,
              cell.cpuPerRequest,
            ),
          });
        }
      }
    }
  }
} finally {
  client.close();
  narrowClient.close();
  grpcJsClient.close();
  bareSession.close();
  agent.destroy();
  await server.stop();
}

console.log(
  `\nidentity FP32 model, batching off; best of ${ROUNDS} rounds; server CPU = child process CPU time per request`,
);
console.log(
  `${'tensor'.padEnd(7)} ${'callers'.padStart(7)} ${'transport'.padEnd(16)} ${'req/s'.padStart(9)} ${'vs binary'.padStart(10)} ${'server CPU µs/req'.padStart(18)} ${'vs binary'.padStart(10)}`,
);
for (const size of SIZES) {
  for (const callers of CALLERS) {
    const base = results.get(`${size.label}|${callers}|REST binary`)!;
    for (const name of [
      'REST JSON',
      'REST binary',
      'gRPC raw',
      'gRPC raw 64K',
      'gRPC raw grpc-js',
      'gRPC typed',
      'bare HTTP/1.1',
      'bare HTTP/2',
    ]) {
      const cell = results.get(`${size.label}|${callers}|${name}`)!;
      console.log(
        `${size.label.padEnd(7)} ${String(callers).padStart(7)} ${name.padEnd(16)} ${cell.rps.toFixed(1).padStart(9)} ${(cell.rps / base.rps).toFixed(2).padStart(9)}x ${cell.cpuPerRequest.toFixed(0).padStart(18)} ${(cell.cpuPerRequest / base.cpuPerRequest).toFixed(2).padStart(9)}x`,
      );
    }
  }
}
for (const size of SIZES) {
  for (const callers of CALLERS) {
    const cell = (name: string) => results.get(`${size.label}|${callers}|${name}`)!;
    const floor = cell('bare HTTP/2').rps / cell('bare HTTP/1.1').rps;
    const ours = cell('gRPC raw').rps / cell('REST binary').rps;
    console.log(
      `${size.label}, ${callers} caller(s): bare HTTP/2 is ${floor.toFixed(2)}x bare HTTP/1.1 in req/s; gRPC raw is ${ours.toFixed(2)}x REST binary`,
    );
  }
}
for (const callers of CALLERS) {
  const raw = results.get(`1 MiB|${callers}|gRPC raw`)!;
  const restJson = results.get(`1 MiB|${callers}|REST JSON`)!;
  console.log(
    `1 MiB, ${callers} caller(s): gRPC raw is ${(raw.rps / restJson.rps).toFixed(1)}x REST JSON in req/s`,
  );
}

const loadDuring = load();
console.log(
  `load average during the run: min ${loadDuring.min}, mean ${loadDuring.mean}, max ${loadDuring.max}`,
);
writeResults('grpc', {
  machine,
  load: loadDuring,
  rounds: ROUNDS,
  cells: [...results].map(([key, cell]) => {
    const [tensor, callers, transport] = key.split('|');
    return {
      tensor,
      callers: Number(callers),
      transport,
      reqPerS: Math.round(cell.rps * 10) / 10,
      serverCpuUsPerRequest: Math.round(cell.cpuPerRequest),
    };
  }),
});
