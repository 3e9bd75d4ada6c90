/**
 * Question: what does OIP over gRPC buy over REST for an image-sized tensor?
 *
 * One identity model on FP32 [1, 224, 224, 3] (588 KiB of data), served by `serve()` with
 * REST and gRPC in a child process (built packages, batching off). The parent sends the same
 * tensor as REST JSON, REST binary extension (binary output asked), gRPC raw contents and
 * gRPC typed `fp32_contents`; each client reads the whole answer (JSON.parse for JSON, the
 * protobuf decode for gRPC). A fixed count of requests, first one at a time (sequential),
 * then 8 in flight (concurrent), after a warm-up (REST JSON and gRPC typed, which handle the
 * 150k numbers one by one, an eighth of the count); transports interleaved round by round
 * and the best round kept. Prints req/s and the ratio to REST binary.
 *
 * Run: `pnpm bench grpc` (builds first).
 */
import { Agent, request as httpRequest } from 'node:http';
import { createRequire } from 'node:module';
import { encodeInferenceRequest, type Tensor } from '@infer/codecs';
import { GRPC_LOADER_OPTIONS, inferenceProtoPath } from '@infer/core/grpc';
import { startChild } from './lib/child-process';
import { describeMachine, machineInfo } from './lib/machine';

// The gRPC packages are (optional) dependencies of @infer/core, not of the repo root.
const fromCore = createRequire(createRequire(import.meta.url).resolve('@infer/core/package.json'));
type Callback = (error: Error | null, value: unknown) => void;
interface InferenceClient {
  ModelInfer(request: object, callback: Callback): void;
  close(): void;
}
const grpc = fromCore('@grpc/grpc-js') as {
  loadPackageDefinition(definition: unknown): {
    inference: {
      GRPCInferenceService: new (
        address: string,
        credentials: unknown,
        options: object,
      ) => InferenceClient;
    };
  };
  credentials: { createInsecure(): unknown };
};
const protoLoader = fromCore('@grpc/proto-loader') as {
  loadSync(file: string, options: object): unknown;
};

const SHAPE = [1, 224, 224, 3];
const COUNT = 224 * 224 * 3;
const SEQUENTIAL = 40;
const CONCURRENT = 160;
const IN_FLIGHT = 8;
const ROUNDS = 2;
const MAX = 64 * 1024 * 1024;

const data = Float32Array.from({ length: COUNT }, (_, i) => (i % 255) / 255);
const tensor: Tensor = { name: 'x', datatype: 'FP32', shape: SHAPE, data };

console.log(describeMachine(machineInfo()));
const server = await startChild('grpc-server', new URL('./grpc-server.mjs', import.meta.url));
const { port: grpcPort } = await server.request<{ port: number }>({ type: 'grpc' });

// ---------------------------------------------------------------- REST clients
const agent = new Agent({ keepAlive: true, maxSockets: IN_FLIGHT });
function post(body: Uint8Array, headers: Record<string, string>): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port: server.port,
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
const json = encodeInferenceRequest({ inputs: [tensor] });
const binary = encodeInferenceRequest(
  { inputs: [tensor], parameters: { binary_data_output: true } },
  { binary: true },
);

// ---------------------------------------------------------------- gRPC client
const definition = protoLoader.loadSync(inferenceProtoPath(), GRPC_LOADER_OPTIONS);
const proto = grpc.loadPackageDefinition(definition);
const client = new proto.inference.GRPCInferenceService(
  `127.0.0.1:${grpcPort}`,
  grpc.credentials.createInsecure(),
  { 'grpc.max_receive_message_length': MAX, 'grpc.max_send_message_length': MAX },
);
const modelInfer = (request: object) =>
  new Promise<unknown>((resolve, reject) =>
    client.ModelInfer(request, (error, value) => (error ? reject(error) : resolve(value))),
  );
const rawRequest = {
  model_name: 'identity',
  inputs: [{ name: 'x', datatype: 'FP32', shape: SHAPE }],
  raw_input_contents: [Buffer.from(data.buffer, data.byteOffset, data.byteLength)],
};
const typedRequest = {
  model_name: 'identity',
  inputs: [
    { name: 'x', datatype: 'FP32', shape: SHAPE, contents: { fp32_contents: Array.from(data) } },
  ],
};

const transports: Record<string, () => Promise<unknown>> = {
  'REST JSON': async () => JSON.parse((await post(json.body, json.headers)).toString()),
  'REST binary': () => post(binary.body, binary.headers),
  'gRPC raw': () => modelInfer(rawRequest),
  'gRPC typed': () => modelInfer(typedRequest),
};

async function sequential(send: () => Promise<unknown>, count: number): Promise<number> {
  const started = performance.now();
  for (let i = 0; i < count; i++) await send();
  return count / ((performance.now() - started) / 1000);
}

async function concurrent(send: () => Promise<unknown>, count: number): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (next++ < count) await send();
    }),
  );
  return count / ((performance.now() - started) / 1000);
}

const SLOW = new Set(['REST JSON', 'gRPC typed']);
const best: Record<string, { sequential: number; concurrent: number }> = {};
try {
  for (const send of Object.values(transports)) await concurrent(send, IN_FLIGHT); // warm-up
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, send] of Object.entries(transports)) {
      // JSON and typed contents handle 150k numbers one by one: an eighth of the count.
      const scale = SLOW.has(name) ? 8 : 1;
      const seq = await sequential(send, Math.ceil(SEQUENTIAL / scale));
      const conc = await concurrent(send, Math.ceil(CONCURRENT / scale));
      const previous = best[name];
      best[name] = {
        sequential: Math.max(previous?.sequential ?? 0, seq),
        concurrent: Math.max(previous?.concurrent ?? 0, conc),
      };
    }
  }
} finally {
  client.close();
  agent.destroy();
  await server.stop();
}

const base = best['REST binary']!;
console.log(
  `\nFP32 ${JSON.stringify(SHAPE)} identity, ${SEQUENTIAL} sequential + ${CONCURRENT} at ${IN_FLIGHT} in flight (JSON and typed: an eighth), best of ${ROUNDS} rounds`,
);
console.log(
  `${'transport'.padEnd(12)} ${'seq req/s'.padStart(10)} ${'vs binary'.padStart(10)} ${'conc req/s'.padStart(11)} ${'vs binary'.padStart(10)}`,
);
for (const [name, figures] of Object.entries(best)) {
  console.log(
    `${name.padEnd(12)} ${figures.sequential.toFixed(1).padStart(10)} ${(figures.sequential / base.sequential).toFixed(2).padStart(9)}x ${figures.concurrent.toFixed(1).padStart(11)} ${(figures.concurrent / base.concurrent).toFixed(2).padStart(9)}x`,
  );
}
const raw = best['gRPC raw']!;
const restJson = best['REST JSON']!;
console.log(
  `\ngRPC raw vs REST JSON: ${(raw.sequential / restJson.sequential).toFixed(2)}x sequential, ${(raw.concurrent / restJson.concurrent).toFixed(2)}x concurrent`,
);
