import type { PredictResult } from '@infer/core';
import { describe, expect, it } from 'vitest';
import { httpStatusOf, ModelNotReadyError, WorkerCrashedError } from '../../src/errors';
import type { WorkerPool } from '../../src/pool';
import { fixturePool, requestOf, sharedCounter } from './pool-fixture';

/** Runs pairs of requests until one is served by a thread not in `known` (bounded). */
async function untilNewThread(pool: WorkerPool, known: Set<unknown>): Promise<PredictResult> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const results = await Promise.all([pool.run(requestOf([1])), pool.run(requestOf([2]))]);
    const fresh = results.find((result) => !known.has(result.parameters?.threadId));
    if (fresh !== undefined) return fresh;
  }
  throw new Error('no request reached a replacement thread within 10 s');
}

async function threadsOf(pool: WorkerPool): Promise<Set<unknown>> {
  const results = await Promise.all(Array.from({ length: 8 }, () => pool.run(requestOf([0]))));
  return new Set(results.map((result) => result.parameters?.threadId));
}

describe.each([
  ['calls process.exit()', 666],
  ['throws an uncaught error', 777],
])('a worker that %s', (_, magic) => {
  it('fails only its task, is replaced by a thread that loads the model, and the pool keeps serving', async () => {
    const restarts: number[] = [];
    const pool = fixturePool('crash', { onRestart: (event) => restarts.push(event.restarts) });
    await pool.start();
    const before = await threadsOf(pool);
    expect(before.size).toBe(2);

    const crashing = pool.run(requestOf([magic]));
    const others = Array.from({ length: 10 }, (_, i) => pool.run(requestOf([i])));
    const error = await crashing.catch((e: unknown) => e);
    expect(WorkerCrashedError.isInstance(error)).toBe(true);
    expect(httpStatusOf(error)).toBe(500);
    // Tasks queued behind it went to the other worker (or the replacement): all answered.
    const results = await Promise.all(others);
    results.forEach((result, i) => {
      expect((result.outputs[0]!.data as Float32Array)[0]).toBe(i);
    });

    expect(pool.restarts).toBe(1);
    expect(restarts).toEqual([1]);
    const fresh = await untilNewThread(pool, before);
    expect(fresh.parameters?.loads).toBe(1); // the replacement built and loaded its own model
    expect(pool.alive).toBe(2);
    expect(pool.pending).toBe(0);
    await pool.close();
  });
});

describe('a one-worker pool', () => {
  it('serves queued tasks on the replacement after its only worker dies', async () => {
    const pool = fixturePool('crash', { workers: 1 });
    await pool.start();
    const [before] = await threadsOf(pool);
    const crashing = pool.run(requestOf([666]));
    const queued = Array.from({ length: 3 }, (_, i) => pool.run(requestOf([i + 10])));
    await expect(crashing).rejects.toMatchObject({ code: 'INFER_ERR_WORKER_CRASHED' });
    const results = await Promise.all(queued);
    expect(results.map((r) => (r.outputs[0]!.data as Float32Array)[0])).toEqual([10, 11, 12]);
    expect(results[0]?.parameters?.threadId).not.toBe(before);
    expect(pool.restarts).toBe(1);
    await pool.close();
  });

  it('survives repeated crashes', async () => {
    const pool = fixturePool('crash', { workers: 1 });
    await pool.start();
    for (let i = 0; i < 3; i += 1) {
      await expect(pool.run(requestOf([777]))).rejects.toMatchObject({
        code: 'INFER_ERR_WORKER_CRASHED',
      });
      const result = await pool.run(requestOf([i]));
      expect((result.outputs[0]!.data as Float32Array)[0]).toBe(i);
    }
    expect(pool.restarts).toBe(3);
    await pool.close();
  });
});

describe('a replacement thread whose model load fails', () => {
  it('is replaced in turn, and the task it got runs on the next one', async () => {
    const failLoads = sharedCounter(0);
    const pool = fixturePool('crash', { workers: 1, parameters: { failLoads } });
    await pool.start();
    failLoads[0] = 1; // the first replacement's load fails (weights briefly unreadable)
    await expect(pool.run(requestOf([666]))).rejects.toMatchObject({
      code: 'INFER_ERR_WORKER_CRASHED',
    });
    const results = await Promise.all([pool.run(requestOf([1])), pool.run(requestOf([2]))]);
    expect(results.map((r) => (r.outputs[0]!.data as Float32Array)[0])).toEqual([1, 2]);
    expect(results[0]?.parameters?.calls).toBe(1); // the first task this model ran
    expect(pool.restarts).toBe(2); // the crash, and the thread that could not load
    expect(pool.failed).toBe(false);
    await pool.close();
  });

  it('fails the pool for good after three load failures in a row', async () => {
    const failLoads = sharedCounter(0);
    const pool = fixturePool('crash', { workers: 1, parameters: { failLoads } });
    await pool.start();
    failLoads[0] = 100;
    await expect(pool.run(requestOf([666]))).rejects.toMatchObject({
      code: 'INFER_ERR_WORKER_CRASHED',
    });
    const outcomes = await Promise.all(
      [pool.run(requestOf([1])), pool.run(requestOf([2]))].map((task) =>
        task.catch((e: unknown) => e),
      ),
    );
    for (const error of outcomes) {
      expect(ModelNotReadyError.isInstance(error)).toBe(true);
      expect((error as Error).message).toContain('fixture transient load failure');
    }
    expect(pool.failed).toBe(true);
    expect(failLoads[0]).toBe(97); // three loads tried, no more
    await expect(pool.run(requestOf([3]))).rejects.toMatchObject({
      code: 'INFER_ERR_MODEL_NOT_READY',
    });
    await pool.close();
  });
});
