/**
 * Question (issue 10): which gRPC library should serve OIP over gRPC, `@grpc/grpc-js` (with
 * `@grpc/proto-loader`, what `@infer/core/grpc` uses) or Connect (`@connectrpc/connect-node`)?
 *
 * The same `inference.GRPCInferenceService/ModelInfer` RPC with identity behaviour (FP32
 * tensor sent as `raw_input_contents`, the same bytes answered as `raw_output_contents`), so
 * the model costs nothing and only the library is measured. Servers, each in its own child
 * process (`grpc-library-server.mjs`): `grpc-js` (proto-loader, core's loader options),
 * `connect` (`connectNodeAdapter` on `http2.createServer`, h2c, gRPC protocol only, response
 * compression off like grpc-js), `connect-gzip` (the same with Connect's default, which
 * gzips every answer of 1 KiB or more for clients that accept gzip, as grpc-js clients do)
 * and `grpc-js+win` (grpc-js with 16 MiB HTTP/2 windows forced through private fields; its
 * client sets `grpc-node.flow_control_window` to 16 MiB), to tell whether a window fix to
 * grpc-js would be enough. Clients in this process: a grpc-js client (against every server:
 * the server comparison) and a Connect gRPC client (`createGrpcTransport`, always HTTP/2) against
 * `grpc-js` and `connect`. Every client decodes the whole answer and the first answer of
 * each pair is checked to carry the request's bytes.
 *
 * Cells: 2 KiB (FP32 [1, 512]) and 1 MiB (FP32 [1, 262144]) tensors, 1 and 32 requests in
 * flight on one HTTP/2 connection per client, a fixed request count per cell. After a
 * warm-up, ROUNDS rounds; in each round the pairs run one after another inside each cell
 * (their order rotating), and the median round is reported with the server process's CPU
 * time per request (`process.cpuUsage()` in the child: less sensitive to the shared box
 * than req/s).
 *
 * Run: `pnpm bench grpc-library` (builds first; ~60-90 s on the shared 2-core box).
 */
import { createClient } from '@connectrpc/connect';
import { createGrpcTransport } from '@connectrpc/connect-node';
import { GRPCInferenceService } from './generated/open_inference_grpc_pb.js';
import { type ChildServer, startChild } from './lib/child-process';
import { oipGrpcClient } from './lib/grpc-js-client';
import { describeMachine, machineInfo, watchLoad } from './lib/machine';
import { writeResults } from './lib/results';

const WINDOW = 16 * 1024 * 1024;
const MAX_MESSAGE = 64 * 1024 * 1024;
const ROUNDS = Number(process.env.GRPC_LIBRARY_ROUNDS ?? 3);
/** Requests per cell and round, by tensor size and requests in flight. */
const SIZES = [
  { label: '2 KiB', elements: 512, counts: { 1: 300, 32: 600 } },
  { label: '1 MiB', elements: 262_144, counts: { 1: 24, 32: 64 } },
] as const;
const IN_FLIGHT = [1, 32] as const;

interface Sender {
  /** Sends one request of `size` and resolves with the returned raw bytes. */
  send(size: number): Promise<Uint8Array>;
  close(): void;
}

const tensors = SIZES.map(({ elements }) =>
  Float32Array.from({ length: elements }, (_, i) => (i % 251) / 251),
);

// ---------------------------------------------------------------- clients
function grpcJsClient(port: number, window: boolean): Sender {
  const client = oipGrpcClient(`127.0.0.1:${port}`, {
    'grpc.max_receive_message_length': MAX_MESSAGE,
    'grpc.max_send_message_length': MAX_MESSAGE,
    ...(window ? { 'grpc-node.flow_control_window': WINDOW } : {}),
  });
  const requests = tensors.map((data) => ({
    model_name: 'identity',
    inputs: [{ name: 'x', datatype: 'FP32', shape: [1, data.length] }],
    raw_input_contents: [Buffer.from(data.buffer, data.byteOffset, data.byteLength)],
  }));
  return {
    send: (size) =>
      new Promise((resolve, reject) =>
        client.ModelInfer(requests[size]!, (error, value) =>
          error ? reject(error) : resolve(value.raw_output_contents[0]!),
        ),
      ),
    close: () => client.close(),
  };
}

function connectClient(port: number): Sender {
  const client = createClient(
    GRPCInferenceService,
    createGrpcTransport({
      baseUrl: `http://127.0.0.1:${port}`,
      // As grpc-js does on both sides: with Node's default (10 MB) session memory, 32 x 1 MiB
      // answers from grpc-js reset streams with NGHTTP2_ENHANCE_YOUR_CALM.
      nodeOptions: { maxSessionMemory: Number.MAX_SAFE_INTEGER },
    }),
  );
  const requests = tensors.map((data) => ({
    modelName: 'identity',
    inputs: [{ name: 'x', datatype: 'FP32', shape: [1n, BigInt(data.length)] }],
    rawInputContents: [new Uint8Array(data.buffer, data.byteOffset, data.byteLength)],
  }));
  return {
    send: async (size) => (await client.modelInfer(requests[size]!)).rawOutputContents[0]!,
    close: () => {},
  };
}

// ---------------------------------------------------------------- servers and pairs
console.log(describeMachine(machineInfo()));
const load = watchLoad();
const script = new URL('./grpc-library-server.mjs', import.meta.url);
const variants = ['grpc-js', 'connect', 'grpc-js-window', 'connect-gzip'] as const;
type Variant = (typeof variants)[number];
const servers = {} as Record<Variant, ChildServer>;
for (const variant of variants) servers[variant] = await startChild(variant, script, [variant]);

interface Pair {
  key: string;
  client: 'grpc-js' | 'connect';
  server: Variant;
  sender: Sender;
}
const pairs: Pair[] = [
  { key: 'grpc-js <- grpc-js', client: 'grpc-js', server: 'grpc-js' },
  { key: 'connect <- grpc-js', client: 'grpc-js', server: 'connect' },
  { key: 'grpc-js+win <- grpc-js+win', client: 'grpc-js', server: 'grpc-js-window' },
  { key: 'connect-gzip <- grpc-js', client: 'grpc-js', server: 'connect-gzip' },
  { key: 'grpc-js <- connect', client: 'connect', server: 'grpc-js' },
  { key: 'connect <- connect', client: 'connect', server: 'connect' },
].map((pair) => {
  const port = servers[pair.server as Variant].port;
  const sender =
    pair.client === 'connect'
      ? connectClient(port)
      : grpcJsClient(port, pair.server === 'grpc-js-window');
  return { ...pair, sender } as Pair;
});

interface Usage {
  cpuMicros: number;
  requests: number;
  windows: Record<string, unknown> | null;
}
const usage = (server: Variant) => servers[server].request<Usage>({ type: 'usage' });

async function run(sender: Sender, size: number, inFlight: number, count: number) {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next++ < count) await sender.send(size);
    }),
  );
  return count / ((performance.now() - started) / 1000);
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength === b.byteLength && Buffer.from(a).equals(Buffer.from(b));
}

type CellKey = `${string}|${number}|${string}`;
const samples = new Map<CellKey, { rps: number; cpuPerRequest: number }[]>();
const windows: Record<string, unknown> = {};
const started = performance.now();
try {
  // Correctness, then warm-up: every pair, every size, 32 in flight.
  for (const pair of pairs) {
    for (const [size, data] of tensors.entries()) {
      const answer = await pair.sender.send(size);
      const sent = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
      if (!sameBytes(answer, sent)) throw new Error(`${pair.key}: answer differs from request`);
      await run(pair.sender, size, 32, size === 0 ? 200 : 32);
    }
    windows[pair.key] = (await usage(pair.server)).windows;
  }
  console.log(`warm-up done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  for (let round = 0; round < ROUNDS; round++) {
    for (const [size, { counts }] of SIZES.entries()) {
      for (const inFlight of IN_FLIGHT) {
        const count = counts[inFlight];
        for (let i = 0; i < pairs.length; i++) {
          const pair = pairs[(i + round) % pairs.length]!;
          const before = await usage(pair.server);
          const rps = await run(pair.sender, size, inFlight, count);
          const after = await usage(pair.server);
          const served = after.requests - before.requests;
          const key: CellKey = `${size}|${inFlight}|${pair.key}`;
          const list = samples.get(key) ?? [];
          list.push({ rps, cpuPerRequest: (after.cpuMicros - before.cpuMicros) / served });
          samples.set(key, list);
        }
      }
    }
    console.log(
      `round ${round + 1} done at ${((performance.now() - started) / 1000).toFixed(1)} s`,
    );
  }
} finally {
  for (const pair of pairs) pair.sender.close();
  await Promise.all(Object.values(servers).map((server) => server.stop()));
}
const seconds = (performance.now() - started) / 1000;
const loadSeen = load();

// ---------------------------------------------------------------- report
const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
};
interface Cell {
  size: string;
  inFlight: number;
  pair: string;
  rps: number;
  rpsMin: number;
  rpsMax: number;
  cpuMicrosPerRequest: number;
}
const cells: Cell[] = [];
for (const [size, { label }] of SIZES.entries()) {
  for (const inFlight of IN_FLIGHT) {
    for (const pair of pairs) {
      const list = samples.get(`${size}|${inFlight}|${pair.key}`) ?? [];
      const rates = list.map((sample) => sample.rps);
      cells.push({
        size: label,
        inFlight,
        pair: pair.key,
        rps: median(rates),
        rpsMin: Math.min(...rates),
        rpsMax: Math.max(...rates),
        cpuMicrosPerRequest: median(list.map((sample) => sample.cpuPerRequest)),
      });
    }
  }
}
const find = (size: string, inFlight: number, pair: string) =>
  cells.find((cell) => cell.size === size && cell.inFlight === inFlight && cell.pair === pair)!;

console.log(
  `\nidentity ModelInfer, raw contents; median of ${ROUNDS} rounds (req/s min-max), server CPU µs/request; ${seconds.toFixed(0)} s, load ${loadSeen.min}-${loadSeen.max}`,
);
console.log(
  `${'size'.padEnd(6)} ${'flight'.padStart(6)}  ${'server <- client'.padEnd(27)} ${'req/s'.padStart(8)} ${'(min-max)'.padStart(16)} ${'CPU µs/req'.padStart(11)}`,
);
for (const cell of cells) {
  console.log(
    `${cell.size.padEnd(6)} ${String(cell.inFlight).padStart(6)}  ${cell.pair.padEnd(27)} ${cell.rps.toFixed(1).padStart(8)} ${`(${cell.rpsMin.toFixed(0)}-${cell.rpsMax.toFixed(0)})`.padStart(16)} ${cell.cpuMicrosPerRequest.toFixed(0).padStart(11)}`,
  );
}

const ratios: Record<string, unknown>[] = [];
console.log(
  `\nratios (median req/s; CPU per request in brackets, < 1 = cheaper)\n${'size'.padEnd(6)} ${'flight'.padStart(6)} ${'connect/grpc-js (grpc-js client)'.padStart(34)} ${'connect/grpc-js (connect client)'.padStart(34)} ${'grpc-js+win/grpc-js'.padStart(22)} ${'connect-gzip/grpc-js'.padStart(26)}`,
);
const ratio = (a: Cell, b: Cell) => ({
  rps: a.rps / b.rps,
  cpu: a.cpuMicrosPerRequest / b.cpuMicrosPerRequest,
});
const show = (r: { rps: number; cpu: number }) => `${r.rps.toFixed(2)}x [${r.cpu.toFixed(2)}x]`;
for (const { label } of SIZES) {
  for (const inFlight of IN_FLIGHT) {
    const byGrpcJs = ratio(
      find(label, inFlight, 'connect <- grpc-js'),
      find(label, inFlight, 'grpc-js <- grpc-js'),
    );
    const byConnect = ratio(
      find(label, inFlight, 'connect <- connect'),
      find(label, inFlight, 'grpc-js <- connect'),
    );
    const window = ratio(
      find(label, inFlight, 'grpc-js+win <- grpc-js+win'),
      find(label, inFlight, 'grpc-js <- grpc-js'),
    );
    const gzip = ratio(
      find(label, inFlight, 'connect-gzip <- grpc-js'),
      find(label, inFlight, 'grpc-js <- grpc-js'),
    );
    ratios.push({ size: label, inFlight, byGrpcJs, byConnect, window, gzip });
    console.log(
      `${label.padEnd(6)} ${String(inFlight).padStart(6)} ${show(byGrpcJs).padStart(34)} ${show(byConnect).padStart(34)} ${show(window).padStart(22)} ${show(gzip).padStart(26)}`,
    );
  }
}
console.log('\nHTTP/2 settings seen by each server (last session):');
for (const [key, value] of Object.entries(windows))
  console.log(`  ${key}: ${JSON.stringify(value)}`);

writeResults('grpc-library', {
  machine: machineInfo(),
  load: loadSeen,
  seconds,
  rounds: ROUNDS,
  cells,
  ratios,
  windows,
});
