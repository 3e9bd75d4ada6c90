/**
 * A pool that failed for good (every thread died and none could be replaced): the pool and
 * the `ServedModel` over it say so, instead of reporting ready and answering 503s.
 */
import { describe, expect, it } from 'vitest';
import { ModelNotReadyError } from '../../src/errors';
import { InferenceService } from '../../src/inference-service';
import { ModelRepository } from '../../src/model-repository';
import { ServedModel } from '../../src/served-model';
import type { ModelV1 } from '../../src/spec';
// @ts-expect-error: a plain .mjs fixture without type declarations
import plugin from '../fixtures/pool-runtime.mjs';
import { FIXTURE, fixturePool, requestOf, sharedCounter } from './pool-fixture';

describe('a pool whose only thread dies and whose replacement dies loading', () => {
  it('is failed, with the cause', async () => {
    const exitLoads = sharedCounter(0);
    const pool = fixturePool('crash', { workers: 1, parameters: { exitLoads } });
    await pool.start();
    expect(pool.failed).toBe(false);
    exitLoads[0] = 1; // the replacement's load exits (e.g. out of memory while reloading)
    await expect(pool.run(requestOf([666]))).rejects.toMatchObject({
      code: 'INFER_ERR_WORKER_CRASHED',
    });
    await expect.poll(() => pool.failed, { timeout: 3000 }).toBe(true);
    expect(pool.failure?.message).toContain('none could be replaced');
    await pool.close();
  });

  it('makes its ServedModel not ready, with the reason', async () => {
    const exitLoads = sharedCounter(0);
    const settings = { name: 'doomed', parameters: { behaviour: 'crash', exitLoads } };
    const model = Object.assign(plugin.create(settings) as ModelV1, {
      workerSource: () => ({ module: FIXTURE, settings }),
    });
    const served = await new ServedModel(model, { workers: 1, batching: false }).start();
    expect(served.ready).toBe(true);
    exitLoads[0] = 1;
    await expect(served.predict(requestOf([666]))).rejects.toMatchObject({
      code: 'INFER_ERR_WORKER_CRASHED',
    });
    await expect.poll(() => served.ready, { timeout: 3000 }).toBe(false);
    expect(served.state).toBe('failed');
    expect(served.loadError?.message).toContain('none could be replaced');
    const error = await served.predict(requestOf([1])).catch((e: unknown) => e);
    expect(ModelNotReadyError.isInstance(error)).toBe(true);
    expect((error as Error).message).toContain('none could be replaced');
    await served.close();
    expect(served.state).toBe('closed');
  });

  it('makes the repository and the readiness routes report it, with the reason', async () => {
    const exitLoads = sharedCounter(0);
    const settings = { name: 'doomed', parameters: { behaviour: 'crash', exitLoads } };
    const model = Object.assign(plugin.create(settings) as ModelV1, {
      workerSource: () => ({ module: FIXTURE, settings }),
    });
    const repository = new ModelRepository();
    repository.add(model, { workers: 1, batching: false });
    await repository.loadAll();
    const service = new InferenceService({ repository });
    expect((await service.request('/v2/health/ready')).status).toBe(200);
    exitLoads[0] = 1;
    await repository
      .get('doomed')
      .predict(requestOf([666]))
      .catch(() => {});
    await expect.poll(() => repository.ready, { timeout: 3000 }).toBe(false);
    expect(repository.status('doomed')).toMatchObject({
      state: 'UNAVAILABLE',
      reason: expect.stringContaining('none could be replaced'),
    });
    expect((await service.request('/v2/health/ready')).status).toBe(503);
    expect((await service.request('/v2/models/doomed/ready')).status).toBe(503);
    const infer = await service.request('/v2/models/doomed/infer', {
      body: JSON.stringify({ inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 1], data: [1] }] }),
    });
    expect(infer.status).toBe(503);
    expect((infer.json() as { error: string }).error).toContain('none could be replaced');
    await repository.close();
  });
});
