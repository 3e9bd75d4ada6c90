/**
 * Question (issue 10): is gRPC raw slower than REST binary because of our gRPC server, of
 * the grpc-js client that `grpc.bench.ts` drives it with, or of Node's HTTP/2 itself?
 *
 * One load generator for every cell: h2load (C), `--h1` for the HTTP/1.1 servers and h2c
 * (8 MiB windows) for the HTTP/2 ones, one request in flight per client. So no Node client
 * is in the figures, and REST and gRPC are driven by the same program.
 *
 * Servers, all in one child process (`grpc-server.mjs`, one under load at a time):
 *
 * - **REST binary**: `serve()`'s REST port, the binary tensor extension (binary output).
 * - **gRPC raw**: `serve()`'s gRPC port (the h2c server), ModelInfer with `raw_input_contents`.
 * - **gRPC raw grpc-js**: the same service on a grpc-js server (Node's `http2`, 8 MiB windows).
 * - **bare HTTP/1.1**: a `node:http` server echoing the REST binary body.
 * - **bare HTTP/2**: a `node:http2` server echoing the same bytes as one gRPC message with
 *   `grpc-status` trailers. No protobuf, no OIP.
 *
 * Identity model on FP32 [1, n], batching off; n = 512 (2 KiB) and 262,144 (1 MiB); 1 and
 * 32 clients; rounds interleaved with the order rotating. Every target is checked once
 * before the load (the gRPC ones for `grpc-status: 0` and the echoed tensor, which h2load
 * cannot see).
 *
 * Needs `h2load` (Debian: `apt-get install nghttp2-client`); without it the bench says so
 * and exits 1. Run: `pnpm bench grpc-floor` (~4 min; `GRPC_FLOOR_ROUNDS=n`, default 3). On
 * Linux with `taskset` the servers run on one physical core and h2load on another
 * (`GRPC_FLOOR_PIN=0` turns that off), as `adapters.bench.ts` does.
 * Results: `benchmarks/results/grpc-floor.json`.
 */
import { connect } from 'node:http2';
import { decodeInferenceResponse, encodeInferenceRequest } from '@infer/codecs';
import { startChild } from './lib/child-process';
import { canPin, serverAndLoadCpus } from './lib/cpu-pinning';
import { envInteger } from './lib/env';
import { grpcFrame, modelInferCodec } from './lib/grpc-js-client';
import { type H2loadResult, h2load, hasH2load } from './lib/h2load-load';
import { median, round } from './lib/latency';
import { describeMachine, machineInfo, watchLoad } from './lib/machine';
import { writeResults } from './lib/results';

const ROUNDS = envInteger('GRPC_FLOOR_ROUNDS', 3);
/** The servers on one physical core, h2load on another, where `taskset` allows it. */
const PIN = envInteger('GRPC_FLOOR_PIN', 1, 0) !== 0 && canPin();
const SIZES = [512, 262_144];
const CLIENTS = [1, 32];
const WARMUP_S = 1;
const DURATION_S = 3;
const TARGETS = [
  'REST binary',
  'gRPC raw',
  'gRPC raw grpc-js',
  'bare HTTP/1.1',
  'bare HTTP/2',
] as const;
type TargetName = (typeof TARGETS)[number];
const MODEL_INFER = '/inference.GRPCInferenceService/ModelInfer';

interface Target {
  http1: boolean;
  url: string;
  body: Uint8Array;
  headers: Record<string, string>;
}

interface Cell extends H2loadResult {
  round: number;
  elements: number;
  target: TargetName;
  /** Server CPU per request, microseconds. */
  serverUsPerRequest: number;
}

/** One POST over HTTP/2: body and `grpc-status` (h2load cannot see it); 10 s at most. */
function http2Post(url: string, target: Target) {
  return new Promise<{ body: Buffer; status: string | undefined }>((resolve, reject) => {
    const { origin, pathname } = new URL(url);
    const session = connect(origin);
    const fail = (error: Error) => {
      session.destroy();
      reject(error);
    };
    session.setTimeout(10_000, () => fail(new Error(`no answer from ${url} in 10 s`)));
    session.on('error', fail);
    const stream = session.request({ ':method': 'POST', ':path': pathname, ...target.headers });
    const chunks: Buffer[] = [];
    let status: string | undefined;
    stream.on('response', (headers) => {
      status ??= headers['grpc-status'] as string | undefined;
    });
    stream.on('trailers', (trailers) => {
      status = trailers['grpc-status'] as string | undefined;
    });
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('error', fail);
    stream.on('end', () => {
      session.close();
      resolve({ body: Buffer.concat(chunks), status });
    });
    stream.end(target.body);
  });
}

/** Checks that a target answers correctly before it is loaded; returns the answer's size. */
async function check(name: TargetName, target: Target, data: Float32Array): Promise<number> {
  const fail = (why: string) => {
    throw new Error(`${name}: ${why}`);
  };
  const same = (bytes: Uint8Array) =>
    Buffer.from(bytes).equals(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
  if (target.http1) {
    const response = await fetch(target.url, {
      method: 'POST',
      headers: target.headers,
      body: Buffer.from(target.body),
    });
    const bytes = new Uint8Array(await response.arrayBuffer());
    if (!response.ok) fail(`HTTP ${response.status}`);
    if (name === 'bare HTTP/1.1') {
      if (!Buffer.from(bytes).equals(Buffer.from(target.body))) fail('echo differs');
      return bytes.byteLength;
    }
    const headerLength = Number(response.headers.get('inference-header-content-length'));
    const output = decodeInferenceResponse(bytes, { headerLength }).outputs[0]!;
    const out = output.data as Float32Array;
    if (!same(new Uint8Array(out.buffer, out.byteOffset, out.byteLength))) fail('output differs');
    return bytes.byteLength;
  }
  const { body, status } = await http2Post(target.url, target);
  if (status !== '0') fail(`grpc-status ${status}`);
  if (name === 'bare HTTP/2') {
    if (!body.subarray(5).equals(Buffer.from(target.body).subarray(5))) fail('echo differs');
    return body.byteLength;
  }
  const reply = modelInferCodec().responseDeserialize(body.subarray(5)) as {
    raw_output_contents: Buffer[];
  };
  if (!same(reply.raw_output_contents[0]!)) fail('output differs');
  return body.byteLength;
}

function targetsFor(
  elements: number,
  ports: { rest: number; grpc: number; grpcJs: number; bareHttp1: number; bareHttp2: number },
) {
  const shape = [1, elements];
  const data = Float32Array.from({ length: elements }, (_, i) => (i % 255) / 255);
  const binary = encodeInferenceRequest(
    {
      inputs: [{ name: 'x', datatype: 'FP32', shape, data }],
      parameters: { binary_data_output: true },
    },
    { binary: true },
  );
  const message = modelInferCodec().requestSerialize({
    model_name: 'identity',
    inputs: [{ name: 'x', datatype: 'FP32', shape }],
    raw_input_contents: [Buffer.from(data.buffer, data.byteOffset, data.byteLength)],
  });
  const grpcHeaders = { 'content-type': 'application/grpc', te: 'trailers' };
  const local = (port: number, path: string) => `http://127.0.0.1:${port}${path}`;
  const targets: Record<TargetName, Target> = {
    'REST binary': {
      http1: true,
      url: local(ports.rest, '/v2/models/identity/infer'),
      body: binary.body,
      headers: binary.headers,
    },
    'gRPC raw': {
      http1: false,
      url: local(ports.grpc, MODEL_INFER),
      body: grpcFrame(message),
      headers: grpcHeaders,
    },
    'gRPC raw grpc-js': {
      http1: false,
      url: local(ports.grpcJs, MODEL_INFER),
      body: grpcFrame(message),
      headers: grpcHeaders,
    },
    'bare HTTP/1.1': {
      http1: true,
      url: local(ports.bareHttp1, '/echo'),
      body: binary.body,
      headers: binary.headers,
    },
    'bare HTTP/2': {
      http1: false,
      url: local(ports.bareHttp2, MODEL_INFER),
      body: grpcFrame(binary.body),
      headers: grpcHeaders,
    },
  };
  return { data, targets };
}

async function main(): Promise<void> {
  if (!hasH2load()) {
    console.error(
      'grpc-floor needs h2load on the PATH (Debian/Ubuntu: apt-get install nghttp2-client)',
    );
    process.exit(1);
  }
  const machine = machineInfo();
  const stopLoad = watchLoad();
  const startedAt = performance.now();
  console.log(describeMachine(machine));
  const [serverCpu, loadCpu] = serverAndLoadCpus();
  console.log(
    PIN
      ? `pinned: servers on CPU ${serverCpu}, h2load on CPU ${loadCpu} (GRPC_FLOOR_PIN=0 turns it off)`
      : 'not pinned',
  );
  const server = await startChild(
    'grpc-server',
    new URL('./grpc-server.mjs', import.meta.url),
    [],
    {
      cpus: PIN ? String(serverCpu) : undefined,
    },
  );
  const cells: Cell[] = [];
  try {
    const reply = await server.request<{
      port: number;
      grpcJsPort: number;
      bareHttp1Port: number;
      bareHttp2Port: number;
    }>({ type: 'grpc' });
    const ports = {
      rest: server.port,
      grpc: reply.port,
      grpcJs: reply.grpcJsPort,
      bareHttp1: reply.bareHttp1Port,
      bareHttp2: reply.bareHttp2Port,
    };
    const bySize = new Map(SIZES.map((elements) => [elements, targetsFor(elements, ports)]));
    // Answer sizes, to check after each run that the counted requests got whole answers (h2load
    // counts a gRPC error, which has no message, as a success). 10% slack: requests that
    // straddle the warm-up's end count whole but bring only part of their bytes.
    const answerBytes = new Map<string, number>();
    for (const [elements, { data, targets }] of bySize) {
      for (const name of TARGETS) {
        answerBytes.set(`${elements} ${name}`, await check(name, targets[name], data));
      }
      console.log(`FP32 [1,${elements}]: every target answers correctly`);
    }
    for (let index = 0; index < ROUNDS; index++) {
      for (const [elements, { targets }] of bySize) {
        for (const clients of CLIENTS) {
          const order = TARGETS.map((_, i) => TARGETS[(i + index) % TARGETS.length]!);
          for (const name of order) {
            await server.settle();
            const target = targets[name];
            const result = await h2load({
              ...target,
              clients,
              durationS: DURATION_S,
              warmupS: WARMUP_S,
              serverPid: server.child.pid!,
              cpus: PIN ? String(loadCpu) : undefined,
            });
            if (result.non2xx > 0 || result.failed > 0) {
              throw new Error(
                `${name}: ${result.non2xx} non-2xx, ${result.failed} failed requests`,
              );
            }
            const expected = result.succeeded * answerBytes.get(`${elements} ${name}`)!;
            if (result.dataBytes < 0.9 * expected) {
              throw new Error(
                `${name}: ${result.dataBytes} answer bytes for ${result.succeeded} answers of ${expected / result.succeeded}`,
              );
            }
            const cell: Cell = {
              round: index,
              elements,
              target: name,
              ...result,
              serverUsPerRequest: round((1e6 * result.serverCores) / result.rps, 1),
            };
            cells.push(cell);
            console.log(
              `round ${index + 1} [1,${elements}] c=${clients} ${name}: ${result.rps} req/s, mean ${round(result.meanMs, 3)} ms, ` +
                `server ${cell.serverUsPerRequest} us/req (h2load ${round(result.h2loadCores, 2)} cores, box ${round(result.boxCores, 2)})`,
            );
          }
        }
      }
    }
  } finally {
    await server.stop();
  }

  // Ratios within each round, then the range over rounds.
  const ratio = (elements: number, clients: number, a: TargetName, b: TargetName) =>
    Array.from({ length: ROUNDS }, (_, index) => {
      const at = (name: TargetName) =>
        cells.find(
          (c) =>
            c.round === index &&
            c.elements === elements &&
            c.clients === clients &&
            c.target === name,
        )!;
      return round(at(a).rps / at(b).rps, 2);
    });
  const summary = SIZES.flatMap((elements) =>
    CLIENTS.map((clients) => {
      const of = (name: TargetName) =>
        cells.filter((c) => c.elements === elements && c.clients === clients && c.target === name);
      return {
        elements,
        clients,
        grpcVsRest: ratio(elements, clients, 'gRPC raw', 'REST binary'),
        grpcJsVsRest: ratio(elements, clients, 'gRPC raw grpc-js', 'REST binary'),
        bareHttp2VsHttp1: ratio(elements, clients, 'bare HTTP/2', 'bare HTTP/1.1'),
        medianRps: Object.fromEntries(
          TARGETS.map((name) => [name, round(median(of(name).map((c) => c.rps)), 1)]),
        ),
        medianServerUs: Object.fromEntries(
          TARGETS.map((name) => [
            name,
            round(median(of(name).map((c) => c.serverUsPerRequest)), 1),
          ]),
        ),
      };
    }),
  );
  console.log(
    '\n| tensor | clients | gRPC raw / REST binary (per round) | gRPC raw on grpc-js / REST binary | bare HTTP/2 / bare HTTP/1.1 (per round) | server us/req: REST, gRPC, gRPC grpc-js, bare h1, bare h2 (medians) |',
  );
  console.log('|---|---:|---|---|---|---|');
  for (const s of summary) {
    const us = TARGETS.map((name) => s.medianServerUs[name]).join(', ');
    console.log(
      `| FP32 [1,${s.elements}] | ${s.clients} | ${s.grpcVsRest.join(', ')} | ${s.grpcJsVsRest.join(', ')} | ${s.bareHttp2VsHttp1.join(', ')} | ${us} |`,
    );
  }
  const load = stopLoad();
  const seconds = round((performance.now() - startedAt) / 1000, 0);
  console.log(`\nload average during the run: min ${load.min}, mean ${load.mean}, max ${load.max}`);
  writeResults('grpc-floor', { machine, load, seconds, rounds: ROUNDS, cells, summary });
  console.log(`total ${seconds} s`);
}

await main();
