import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { loadModel, type ServedModel } from '@infer/core';
import { OnnxModel } from '@infer/runtime-onnx';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { argmax, finchPixels, MOBILENET } from './__fixtures__/inputs';

// Worker threads import the BUILT packages (`pnpm build` first; `pnpm test` does it).
describe('OnnxModel in core worker threads (rebuilt from workerSource())', () => {
  let served: ServedModel;
  let pixels: Float32Array;

  beforeAll(async () => {
    pixels = await finchPixels();
    served = await loadModel(new OnnxModel({ name: 'mobilenet', path: MOBILENET, workers: 2 }));
  });
  afterAll(() => served?.close());

  it('each worker runs one intra-op thread per core share and answers class 12', async () => {
    expect(served.pool?.size).toBe(2);
    expect(served.metadata().parameters?.intra_op_threads).toBe(
      Math.max(1, Math.floor(availableParallelism() / 2)),
    );
    const results = await Promise.all(
      Array.from({ length: 4 }, () =>
        served.predict({
          inputs: [
            { name: 'input', datatype: 'FP32', shape: [1, 3, 224, 224], data: pixels.slice() },
          ],
        }),
      ),
    );
    for (const { outputs } of results) {
      expect(argmax(outputs[0]!.data as Float32Array).index).toBe(12);
    }
  });
});

describe('workers set where the model is served', () => {
  // 4 cores whatever the machine (the counts are worked out on the main thread), so both
  // checks fail on code that keeps the count the model was made with.
  beforeEach(() => {
    vi.stubEnv('INFER_CORES', '4');
  });
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('split the cores among the pool loadModel() builds, and in-process the session takes them all', async () => {
    const model = new OnnxModel({ name: 'mobilenet', path: MOBILENET });
    const pooled = await loadModel(model, { workers: 2 });
    try {
      expect(pooled.pool?.size).toBe(2);
      expect(pooled.metadata().parameters?.intra_op_threads).toBe(2);
    } finally {
      await pooled.close();
    }
    const inProcess = await loadModel(
      new OnnxModel({ name: 'mobilenet', path: MOBILENET, workers: 2 }),
      { workers: 0 },
    );
    try {
      expect(inProcess.pool).toBeUndefined();
      expect(inProcess.metadata().parameters?.intra_op_threads).toBe(4);
    } finally {
      await inProcess.close();
    }
  });

  it("takes ORT's intraOpNumThreads: 0 (ORT chooses) as not given: the worker gets its share", async () => {
    const model = new OnnxModel({
      name: 'mobilenet',
      path: MOBILENET,
      sessionOptions: { intraOpNumThreads: 0 },
    });
    const pooled = await loadModel(model, { workers: 2 });
    try {
      expect(pooled.metadata().parameters?.intra_op_threads).toBe(2);
    } finally {
      await pooled.close();
    }
  });
});

describe('the default: one worker thread for a model from a path', () => {
  it('serves a plain OnnxModel from a path in one worker with every core as intra-op threads', async () => {
    const model = new OnnxModel({ name: 'mobilenet', path: MOBILENET });
    expect(model.serving?.workers).toBe(1);
    const served = await loadModel(model);
    try {
      expect(served.pool?.size).toBe(1);
      expect(served.metadata().parameters?.intra_op_threads).toBe(availableParallelism());
      const { outputs } = await served.predict({
        inputs: [
          {
            name: 'input',
            datatype: 'FP32',
            shape: [1, 3, 224, 224],
            data: (await finchPixels()).slice(),
          },
        ],
      });
      expect(argmax(outputs[0]!.data as Float32Array).index).toBe(12);
    } finally {
      await served.close();
    }
  });

  it('runs in-process when asked (workers: 0), from bytes, or as a subclass a worker could not rebuild', async () => {
    class Custom extends OnnxModel {}
    const models = [
      new OnnxModel({ name: 'asked', path: MOBILENET, workers: 0 }),
      new OnnxModel({ name: 'bytes', bytes: new Uint8Array(readFileSync(MOBILENET)) }),
      new Custom({ name: 'custom', path: MOBILENET }),
    ];
    for (const model of models) {
      expect(model.serving?.workers, model.name).toBe(0);
      const served = await loadModel(model);
      try {
        expect(served.pool, model.name).toBeUndefined();
      } finally {
        await served.close();
      }
    }
  });
});
