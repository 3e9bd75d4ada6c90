import { describe, expect, it } from 'vitest';
import { httpStatusOf, ShuttingDownError } from '../../src/errors';
import { fixturePool, requestOf } from './pool-fixture';

describe('close()', () => {
  it('refuses new work, finishes queued and running tasks, then stops every thread', async () => {
    const pool = fixturePool('slow', { parameters: { delayMs: 150 } });
    await pool.start();
    const inFlight = Array.from({ length: 4 }, (_, i) => pool.run(requestOf([i])));
    const closing = pool.close();
    const refused = await pool.run(requestOf([9])).catch((e: unknown) => e);
    expect(ShuttingDownError.isInstance(refused)).toBe(true);
    expect(httpStatusOf(refused)).toBe(503);
    // 4 tasks on 2 workers: two rounds, all answered although close() was called first.
    const results = await Promise.all(inFlight);
    expect(results.map((r) => (r.outputs[0]!.data as Float32Array)[0])).toEqual([0, 1, 2, 3]);
    await closing;
    expect(pool.alive).toBe(0);
    expect(pool.pending).toBe(0);
    expect(pool.restarts).toBe(0);
  });

  it('is idempotent, and start() after close() rejects', async () => {
    const pool = fixturePool('identity', { workers: 1 });
    await pool.start();
    expect(pool.close()).toBe(pool.close());
    await pool.close();
    await expect(pool.start()).rejects.toMatchObject({ code: 'INFER_ERR_SHUTTING_DOWN' });
  });

  it('stops waiting after closeTimeoutMs and rejects what is left with ShuttingDownError', async () => {
    const pool = fixturePool('slow', {
      workers: 1,
      closeTimeoutMs: 50,
      parameters: { delayMs: 5000 },
    });
    await pool.start();
    const stuck = pool.run(requestOf([1])).catch((e: unknown) => e);
    const started = Date.now();
    await pool.close();
    expect(Date.now() - started).toBeLessThan(2000);
    expect(await stuck).toMatchObject({ code: 'INFER_ERR_SHUTTING_DOWN' });
    expect(pool.alive).toBe(0);
  });

  it('during start() waits for it and leaves nothing running', async () => {
    const pool = fixturePool('identity', { workers: 1 });
    const starting = pool.start();
    await pool.close();
    await expect(starting).rejects.toMatchObject({ code: 'INFER_ERR_SHUTTING_DOWN' });
    expect(pool.alive).toBe(0);
  });

  it('of a pool never started resolves', async () => {
    await expect(fixturePool('identity').close()).resolves.toBeUndefined();
  });
});
