/**
 * Shared helpers of the worker-pool tests: a pool over `../fixtures/pool-runtime.mjs` with a
 * chosen behaviour, and FP32 request builders. Threads load `dist/pool/worker.js`, so these
 * tests need `pnpm --filter @infer/core build` first (the root `pnpm test` builds).
 */
import { fileURLToPath } from 'node:url';
import type { InferenceRequest } from '@infer/codecs';
import { WorkerPool, type WorkerPoolOptions } from '../../src/pool';

export const FIXTURE = fileURLToPath(new URL('../fixtures/pool-runtime.mjs', import.meta.url));

export type Behaviour =
  | 'identity'
  | 'busy'
  | 'crash'
  | 'slow'
  | 'invalid'
  | 'fails'
  | 'load-fails'
  | 'load-exits'
  | 'views-out'
  | 'buffer-out'
  | 'no-data'
  | 'fn-param'
  | 'fn-tensor-param'
  | 'throw-object';

/** A pool of `workers` threads (default 2) running the fixture model `behaviour`. */
export function fixturePool(
  behaviour: Behaviour,
  options: Partial<WorkerPoolOptions> & { parameters?: Record<string, unknown> } = {},
): WorkerPool {
  const { parameters, ...rest } = options;
  return new WorkerPool({
    source: {
      module: FIXTURE,
      settings: { name: `fixture-${behaviour}`, parameters: { behaviour, ...parameters } },
    },
    workers: 2,
    ...rest,
  });
}

/** A one-input request; `x` holds `values` as FP32 [1, n]. */
export function requestOf(values: number[] | Float32Array): InferenceRequest {
  const data = values instanceof Float32Array ? values : Float32Array.from(values);
  return { inputs: [{ name: 'x', datatype: 'FP32', shape: [1, data.length], data }] };
}

/**
 * A counter shared by every thread of a pool (fixture `failLoads` / `exitLoads`): the next
 * `count` model loads, in any thread, fail.
 */
export function sharedCounter(count: number): Int32Array {
  const counter = new Int32Array(new SharedArrayBuffer(4));
  counter[0] = count;
  return counter;
}
