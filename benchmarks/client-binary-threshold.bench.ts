/**
 * Question: from which tensor size is the binary tensor extension faster than JSON for one
 * `@infer/client` infer round trip, so `binaryThreshold` can default to it?
 *
 * `serve()` on 127.0.0.1 port 0 in this process with an FP32 echo model (`x` -> `y`,
 * batching off), called by `createClient().model('echo').infer()` with `binary: false`
 * (JSON request and response) and `binary: true` (binary request and outputs), sizes from
 * 16 to 262144 floats (64 B to 1 MiB). Client and server share one event loop, so a round
 * trip's time is the whole CPU cost of both sides plus loopback. For each size the two
 * modes alternate call by call (warm-up first), and the median of each is kept.
 * Run: `pnpm bench client`.
 */
import { createClient } from '@infer/client';
import { defineModel, serve, type Tensor } from '@infer/core';

const SIZES = [16, 64, 256, 512, 1024, 2048, 4096, 16_384, 65_536, 262_144];
const BUDGET_MS = 2500; // per size, both modes together

const echo = defineModel({
  name: 'echo',
  inputs: [{ name: 'x', datatype: 'FP32', shape: [-1] }],
  outputs: [{ name: 'y', datatype: 'FP32', shape: [-1] }],
  predict: (request) => [{ ...(request.inputs[0] as Tensor), name: 'y', parameters: {} }],
  serving: { batching: false },
});

const server = await serve({ models: [echo], port: 0, host: '127.0.0.1' });
const model = createClient({ baseUrl: server.url }).model('echo');

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

async function time(x: Float32Array, binary: boolean): Promise<number> {
  const started = performance.now();
  const result = await model.infer({ x }, { binary });
  const elapsed = performance.now() - started;
  if (result.outputs['y']?.data.length !== x.length) throw new Error('echo lost data');
  return elapsed;
}

console.log(`node ${process.version}, ${process.platform} ${process.arch}`);
console.log('floats  bytes    json p50 ms  binary p50 ms  json/binary  calls each');
const rows: Array<{ floats: number; ratio: number }> = [];
for (const floats of SIZES) {
  const x = Float32Array.from({ length: floats }, (_, i) => Math.sin(i) * 1000);
  for (let i = 0; i < 5; i++) {
    await time(x, false);
    await time(x, true);
  }
  const json: number[] = [];
  const binary: number[] = [];
  const started = performance.now();
  while ((performance.now() - started < BUDGET_MS && json.length < 400) || json.length < 7) {
    json.push(await time(x, false));
    binary.push(await time(x, true));
  }
  const ratio = median(json) / median(binary);
  rows.push({ floats, ratio });
  console.log(
    `${String(floats).padStart(6)}  ${String(floats * 4).padStart(7)}  ${median(json).toFixed(3).padStart(11)}  ${median(binary).toFixed(3).padStart(13)}  ${ratio.toFixed(2).padStart(11)}  ${String(json.length).padStart(10)}`,
  );
}
const first = rows.find((row, i) => row.ratio > 1.05 && rows.slice(i).every((r) => r.ratio > 1));
console.log(
  first === undefined
    ? 'binary never clearly faster'
    : `binary is >5% faster from ${first.floats} floats (${first.floats * 4} bytes) on, at every larger size`,
);
await server.close();
