import { batchabilityOf, InferError } from '@infer/core';
import { OnnxModel } from '@infer/runtime-onnx';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { argmax, finchPixels, MOBILENET, ROOT } from './__fixtures__/inputs';

describe('MobileNetV2 (real ONNX Model Zoo model) on the finch photo', () => {
  const model = new OnnxModel({
    name: 'mobilenet',
    version: '12',
    path: MOBILENET,
    intraOpThreads: 1,
  });
  let pixels: Float32Array;

  beforeAll(async () => {
    [pixels] = await Promise.all([finchPixels(), model.load()]);
  });
  afterAll(() => model.unload());

  it('gives class 12 (house finch) with a logit of about 17.1', async () => {
    const { outputs } = await model.predict({
      inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 3, 224, 224], data: pixels }],
    });
    expect(outputs).toHaveLength(1);
    const output = outputs[0]!;
    expect(output).toMatchObject({ name: 'output', datatype: 'FP32', shape: [1, 1000] });
    const top = argmax(output.data as Float32Array);
    expect(top.index).toBe(12);
    expect(top.value).toBeGreaterThan(16.9);
    expect(top.value).toBeLessThan(17.4);
  });

  it('answers a batch of zero rows with a 400 that leaks no ORT internals', async () => {
    const error = await model
      .predict({
        inputs: [
          { name: 'input', datatype: 'FP32', shape: [0, 3, 224, 224], data: new Float32Array(0) },
        ],
      })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'INFER_ERR_INVALID_INPUT' });
    const message = (error as Error).message;
    expect(message).toMatch(/cannot be reshaped/);
    expect(message).not.toMatch(/onnxruntime_src|onnxruntime::/);
  });

  it('answers each row of a batch of two identical images alike', async () => {
    const batch = new Float32Array(pixels.length * 2);
    batch.set(pixels, 0);
    batch.set(pixels, pixels.length);
    const { outputs } = await model.predict({
      inputs: [{ name: 'input', datatype: 'FP32', shape: [2, 3, 224, 224], data: batch }],
    });
    const logits = outputs[0]!.data as Float32Array;
    expect(outputs[0]!.shape).toEqual([2, 1000]);
    const first = logits.subarray(0, 1000);
    const second = logits.subarray(1000, 2000);
    expect(argmax(first).index).toBe(12);
    expect(argmax(second).index).toBe(12);
    for (let i = 0; i < 1000; i++) expect(second[i]).toBeCloseTo(first[i]!, 4);
  });

  it('reads its metadata from the session: dynamic batch dims as -1, the provider, the threads', () => {
    expect(model.metadata()).toEqual({
      name: 'mobilenet',
      versions: ['12'],
      platform: 'onnxruntime_onnx',
      inputs: [{ name: 'input', datatype: 'FP32', shape: [-1, 3, 224, 224] }],
      outputs: [{ name: 'output', datatype: 'FP32', shape: [-1, 1000] }],
      parameters: {
        execution_provider: 'cpu',
        intra_op_threads: 1,
        inter_op_threads: 1,
        intra_op_spinning: false,
        onnxruntime_version: '1.30.0',
      },
    });
    expect(batchabilityOf(model, model.metadata())).toEqual({ batchable: true });
    expect(model.executionProvider).toBe('cpu');
  });

  it('rejects an image of the wrong size with a 400 that names the input and the expectation', async () => {
    const error = await model
      .predict({
        inputs: [
          {
            name: 'input',
            datatype: 'FP32',
            shape: [1, 3, 100, 100],
            data: new Float32Array(30000),
          },
        ],
      })
      .catch((e: unknown) => e);
    expect(InferError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ code: 'INFER_ERR_INVALID_INPUT', status: 400, input: 'input' });
    expect((error as Error).message).toContain('FP32 [-1,3,224,224]');
  });

  it('loads from a model folder holding model.onnx (as settings uri point to)', async () => {
    const fromFolder = new OnnxModel({
      name: 'folder',
      path: `${ROOT}/models/mobilenet`,
      intraOpThreads: 1,
    });
    await fromFolder.load();
    try {
      expect(fromFolder.metadata().inputs[0]!.shape).toEqual([-1, 3, 224, 224]);
    } finally {
      await fromFolder.unload();
    }
  });

  it('predicts only after load and not after unload (503 not ready)', async () => {
    const cold = new OnnxModel({ name: 'cold', path: MOBILENET, intraOpThreads: 1 });
    const request = {
      inputs: [{ name: 'input', datatype: 'FP32' as const, shape: [1, 3, 224, 224], data: pixels }],
    };
    await expect(cold.predict(request)).rejects.toMatchObject({
      code: 'INFER_ERR_MODEL_NOT_READY',
    });
    expect(() => cold.metadata()).toThrow(/not ready/);
    await cold.load();
    expect(cold.ready).toBe(true);
    await cold.unload();
    expect(cold.ready).toBe(false);
    expect(cold.session).toBeUndefined();
    await expect(cold.predict(request)).rejects.toMatchObject({
      code: 'INFER_ERR_MODEL_NOT_READY',
    });
  });

  it('fails to load a missing file with INFER_ERR_MODEL_LOAD_FAILED', async () => {
    const missing = new OnnxModel({ name: 'missing', path: `${ROOT}/models/nope.onnx` });
    await expect(missing.load()).rejects.toMatchObject({ code: 'INFER_ERR_MODEL_LOAD_FAILED' });
    expect(missing.ready).toBe(false);
  });
});
