/**
 * ServedModel with `workers > 0`: batches go to a WorkerPool (threads load the BUILT
 * `dist/pool/worker.js`: run `pnpm --filter @infer/core build` first; the root `pnpm test`
 * builds) running the fixture runtime `fixtures/pool-runtime.mjs`.
 */
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { defineModel } from '../src/define-model';
import { InferenceService } from '../src/inference-service';
import { ModelRepository } from '../src/model-repository';
import type { ServedModelMetrics } from '../src/served-model';

const FIXTURE = fileURLToPath(new URL('./fixtures/pool-runtime.mjs', import.meta.url));

function pooled(behaviour: string) {
  let mainThreadLoads = 0;
  const contexts: unknown[] = [];
  const model = defineModel({
    name: `pooled-${behaviour}`,
    inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, -1] }],
    outputs: [{ name: 'x', datatype: 'FP32', shape: [-1, -1] }],
    load: () => {
      mainThreadLoads++;
    },
    predict: () => {
      throw new Error('must run in a worker');
    },
    workerSource: (context) => {
      contexts.push(context);
      return {
        module: FIXTURE,
        settings: { name: `pooled-${behaviour}`, parameters: { behaviour } },
      };
    },
  });
  return { model, loads: () => mainThreadLoads, contexts };
}

const repository = new ModelRepository();
afterAll(() => repository.close());

describe('ServedModel with a worker pool', () => {
  it('serves HTTP and in-process predict from worker threads, not the main thread', async () => {
    const workers: number[] = [];
    const metrics: ServedModelMetrics = {
      observeBatch: () => {},
      setQueueLength: () => {},
      setWorkers: (_m, n) => workers.push(n),
      incWorkerRestarts: () => {},
      observeModelLoad: () => {},
    };
    const { model, loads, contexts } = pooled('identity');
    repository.add(model, { workers: 2, metrics });
    await repository.loadAll();
    const served = repository.get('pooled-identity');
    expect(served.pool?.size).toBe(2);
    // The model learns the pool's size (a runtime splits the cores by it).
    expect(contexts).toEqual([{ workers: 2 }]);
    expect(served.metadata()).toMatchObject({
      platform: 'pool-test',
      parameters: { workers: 2, batchable: true },
    });
    const results = await Promise.all(
      [1, 2, 3, 4].map((v) =>
        served.predict({
          inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 2], data: new Float32Array([v, -v]) }],
        }),
      ),
    );
    expect(results.map((r) => [...(r.outputs[0]!.data as Float32Array)])).toEqual([
      [1, -1],
      [2, -2],
      [3, -3],
      [4, -4],
    ]);
    // In-process callers keep their buffers unless they pass transfer: true.
    const kept = new Float32Array([5, 6]);
    await served.predict({ inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 2], data: kept }] });
    expect(kept.length).toBe(2);
    const moved = new Float32Array([5, 6]);
    const echoed = await served.predict(
      { inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 2], data: moved }] },
      { transfer: true },
    );
    expect(moved.length).toBe(0); // detached: moved to the worker, not copied
    expect([...(echoed.outputs[0]!.data as Float32Array)]).toEqual([5, 6]);
    const service = new InferenceService({ repository });
    const response = await service.request('/v2/models/pooled-identity/infer', {
      body: { inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 1], data: [7] }] },
    });
    expect(response.status).toBe(200);
    expect(response.json()).toMatchObject({ outputs: [{ data: [7] }] });
    expect(loads()).toBe(0);
    expect(workers).toEqual([2]);
    await repository.unload('pooled-identity');
    expect(workers).toEqual([2, 0]);
  });

  it('queues one batch more than threads, timed from when a thread takes it', async () => {
    const batches: { size: number; queueWaitMs: number; runMs: number }[] = [];
    const metrics: ServedModelMetrics = {
      observeBatch: (batch) => batches.push(batch),
      setQueueLength: () => {},
      setWorkers: () => {},
      incWorkerRestarts: () => {},
      observeModelLoad: () => {},
    };
    const model = defineModel({
      name: 'pooled-spare',
      inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, -1] }],
      outputs: [{ name: 'x', datatype: 'FP32', shape: [-1, -1] }],
      predict: () => {
        throw new Error('must run in a worker');
      },
      workerSource: () => ({
        module: FIXTURE,
        settings: { name: 'pooled-spare', parameters: { behaviour: 'slow', delayMs: 200 } },
      }),
    });
    repository.add(model, { workers: 1, metrics });
    await repository.load('pooled-spare');
    const served = repository.get('pooled-spare');
    const x = (v: number) => ({
      inputs: [{ name: 'x', datatype: 'FP32' as const, shape: [1, 1], data: Float32Array.of(v) }],
    });
    const first = served.predict(x(1));
    await new Promise((resolve) => setTimeout(resolve, 20));
    const second = served.predict(x(2));
    await new Promise((resolve) => setTimeout(resolve, 20));
    // The second batch left the batcher while the only thread runs the first: it waits in
    // the pool, to be handed over the moment the thread is free.
    expect(served.pool?.pending).toBe(2);
    await Promise.all([first, second]);
    expect(batches.map((batch) => batch.size)).toEqual([1, 1]);
    // Its run time starts when the thread took it (about 200 ms; counted from its dispatch it
    // would be 360 or more); the wait before counts as queue wait.
    expect(batches[1]!.runMs).toBeLessThan(330);
    expect(batches[1]!.queueWaitMs).toBeGreaterThanOrEqual(120);
    await repository.unload('pooled-spare');
  });

  it('reports a worker load failure as the model load error', async () => {
    const { model } = pooled('load-fails');
    repository.add(model, { workers: 1 });
    const failures = await repository.loadAll();
    expect(failures[0]?.error.message).toContain('fixture load failure');
    expect(repository.status('pooled-load-fails').state).toBe('UNAVAILABLE');
  });

  it('warns when a model its owner already loaded is served by workers (its copy stays loaded)', async () => {
    const warnings: string[] = [];
    const logger = {
      debug: () => {},
      info: () => {},
      warn: (_o: unknown, message?: string) => warnings.push(String(message)),
      error: () => {},
    };
    const { model, loads } = pooled('identity-preloaded');
    await model.load();
    const own = new ModelRepository();
    try {
      own.add(model, { workers: 1, logger });
      await own.loadAll();
      expect(own.get('pooled-identity-preloaded').pool?.size).toBe(1);
      expect(loads()).toBe(1); // the owner's load only
      expect(warnings).toEqual([
        'model "pooled-identity-preloaded" was already loaded in this thread; it is served by 1 worker thread(s), which load their own copies, and this one stays loaded until its owner unloads it (serve it unloaded, or with workers: 0)',
      ]);
      // Served unloaded: no warning.
      const fresh = pooled('identity-fresh');
      own.add(fresh.model, { workers: 1, logger });
      await own.loadAll();
      expect(warnings).toHaveLength(1);
    } finally {
      await own.close();
    }
  });

  it('makes that a process warning where no logger was given (the default)', async () => {
    const warnings: Error[] = [];
    const onWarning = (warning: Error) => {
      if ((warning as { code?: string }).code === 'INFER_MODEL_PRELOADED') warnings.push(warning);
    };
    process.on('warning', onWarning);
    const { model } = pooled('identity-preloaded-silent');
    await model.load();
    const own = new ModelRepository();
    try {
      own.add(model, { workers: 1 });
      await own.loadAll();
      await new Promise((resolve) => setImmediate(resolve));
      expect(warnings.map((w) => w.message)).toEqual([
        expect.stringMatching(/^model "pooled-identity-preloaded-silent" was already loaded/),
      ]);
    } finally {
      process.off('warning', onWarning);
      await own.close();
    }
  });
});
