/**
 * Question (issues 5 and 8): with a real model whose inference outweighs its transport,
 * does `serve()` reach >= 85% of the bare runtime's best-batch in-process throughput at 32+
 * connections? (For MobileNetV2 int8 with a 0.57 MiB request, `serving-floor.bench.ts`
 * shows this machine cannot: any HTTP server stops at 79-89% there.)
 *
 * Model: ESRGAN-slim x2 (TF.js layers, listed in the shared MODELS.md), a 1x32x32x3 FP32
 * tile (12 KiB) in, a 1x64x64x3 tile (48 KiB) out, on the wasm backend (`TFJS_SIDE=n` for
 * another tile size).
 *
 * - **ceiling** (`tfjs-ceiling.mjs`): bare TF.js, two worker threads with one model each,
 *   `predict` back to back on one constant batch of 1, 4, 8 and 16; the best, sampled at the
 *   start of every round, with the ceiling process's CPU.
 * - **esrgan-tuned** (`infer-server.mjs`): `serve()` with a `TfjsModel`, `workers: 2`,
 *   batching `auto`; binary request and answer. Its answer is checked against the ceiling
 *   process's own `predict` on the same input before the load.
 *
 * Load: wrk (`lib/wrk-load.ts`), after one unmeasured 12 s load on the server
 * (`TFJS_WARMUP_S`), 32 and 128 connections, 3 s warm-up, 6 s measured, rounds
 * interleaved with the ceiling samples (`lib/compute-serving.ts`). Needs `wrk`
 * (`apt-get install wrk`).
 *
 * Run: `pnpm bench serving-tfjs` (~2.5 min; `TFJS_ROUNDS=n`, default 3). Results:
 * `benchmarks/results/serving-tfjs.json`.
 */
import { runComputeServing } from './lib/compute-serving';
import { envInteger } from './lib/env';
import { esrganInput } from './lib/esrgan.mjs';

const SIDE = envInteger('TFJS_SIDE', 32);

await runComputeServing({
  bench: 'serving-tfjs',
  model: 'esrgan',
  serverKind: 'esrgan-tuned',
  ceiling: new URL('./tfjs-ceiling.mjs', import.meta.url),
  shape: { side: SIDE },
  batches: [1, 4, 8, 16],
  input: { name: 'LR', datatype: 'FP32', shape: [1, SIDE, SIDE, 3], data: esrganInput(SIDE) },
  outputShape: [1, 2 * SIDE, 2 * SIDE, 3],
  tolerance: 1e-4,
  rounds: envInteger('TFJS_ROUNDS', 3),
  warmupS: envInteger('TFJS_WARMUP_S', 12),
  extra: { side: SIDE },
});
