/**
 * Question: does the worker pool scale a CPU-bound model across cores, and is the
 * structured-clone copy of tensors gone?
 *
 * Scaling: a CPU-bound single-threaded JS model (benchmarks/pool-cpu-model.mjs: fixed float
 * math per row) served by the built `WorkerPool` at 1 and 2 workers (POOL_BENCH_WORKERS, e.g.
 * `1,2,4,8,16`), a fixed number of tasks with 2 x workers in flight; throughput and the
 * ratio to 1 worker, and the in-process single-thread ceiling. Goal on this 2-core machine:
 * 2 workers >= 1.7x of 1 worker.
 * Transfer: a 4 MiB FP32 tensor round trip, structured clone vs transfer (raw worker_threads
 * and WorkerPool), and a 4 MiB view over a 64 MiB body cloned vs copied-then-transferred.
 *
 * Run: `pnpm bench pool`. The same code runs with a bare `node` (no tsx, no registry):
 * `node benchmarks/pool-scaling.mjs` after `pnpm build`, or a packed self-contained copy, see
 * the header of pool-scaling.mjs.
 */
import { WorkerPool } from '@infer/core';

interface PoolBenchModule {
  runPoolBench(pool: typeof WorkerPool): Promise<unknown>;
}

// A plain .mjs shared with the node-only runner; imported by URL, it has no type declarations.
const runner = new URL('./pool-scaling.mjs', import.meta.url).href;
const { runPoolBench } = (await import(runner)) as PoolBenchModule;
await runPoolBench(WorkerPool);
