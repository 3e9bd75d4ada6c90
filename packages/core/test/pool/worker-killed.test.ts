import { describe, expect, it } from 'vitest';
import { ServedModel } from '../../src/served-model';
import type { ModelV1 } from '../../src/spec';
// @ts-expect-error: a plain .mjs fixture without type declarations
import plugin from '../fixtures/pool-runtime.mjs';
import { FIXTURE, requestOf } from './pool-fixture';

/** The crash fixture as a main-thread model that rebuilds itself in worker threads. */
function crashModel(): ModelV1 {
  const settings = { name: 'crashy', parameters: { behaviour: 'crash' } };
  const model = plugin.create(settings) as ModelV1;
  return Object.assign(model, { workerSource: () => ({ module: FIXTURE, settings }) });
}

describe('a worker killed mid-batch behind the batcher', () => {
  it('fails only the requests of that batch; the service keeps answering', async () => {
    let restarts = 0;
    const served = new ServedModel(crashModel(), {
      workers: 2,
      batching: { maxBatchSize: 8, maxBatchDelayMs: 5 },
      metrics: {
        observeBatch: () => {},
        setQueueLength: () => {},
        setWorkers: () => {},
        observeModelLoad: () => {},
        incWorkerRestarts: () => {
          restarts += 1;
        },
      },
    });
    await served.start();
    const outcomes = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        served.predict(requestOf([i === 17 ? 666 : i])).then(
          (result) => ({ i, ok: (result.outputs[0]!.data as Float32Array)[0] === i }),
          (error: { code?: string }) => ({ i, code: error.code }),
        ),
      ),
    );
    const failed = outcomes.filter((o) => !('ok' in o));
    expect(failed.find((o) => o.i === 17)).toMatchObject({ code: 'INFER_ERR_WORKER_CRASHED' });
    // Only the crashing batch (at most maxBatchSize requests) failed, all with the crash code.
    expect(failed.length).toBeGreaterThanOrEqual(1);
    expect(failed.length).toBeLessThanOrEqual(8);
    expect(failed.every((o) => 'code' in o && o.code === 'INFER_ERR_WORKER_CRASHED')).toBe(true);
    expect(outcomes.filter((o) => 'ok' in o).every((o) => 'ok' in o && o.ok)).toBe(true);
    expect(restarts).toBe(1);
    // The service goes on serving, on the replacement too.
    const after = await Promise.all(
      Array.from({ length: 8 }, (_, i) => served.predict(requestOf([i]))),
    );
    expect(after.map((r) => (r.outputs[0]!.data as Float32Array)[0])).toEqual([
      0, 1, 2, 3, 4, 5, 6, 7,
    ]);
    expect(served.pool?.restarts).toBe(1);
    await served.close();
  });
});
