/**
 * Whether core may concatenate requests along dim 0 of an ONNX model, from the names of its
 * dynamic dims: an output whose first dim has another given name than the inputs' (the
 * count of NonZero, detections after NMS) is not the requests' rows.
 */
import type { InferenceRequest } from '@infer/codecs';
import { loadModel } from '@infer/core';
import { OnnxModel } from '@infer/runtime-onnx';
import { afterEach, describe, expect, it } from 'vitest';
import { buildModel, type Dim, ELEM } from './__fixtures__/onnx-builder';

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

/** x [n] FP32 -> idx [k, 1] INT64: the indices of x's non-zero elements (NonZero, Transpose). */
const nonZero = (inputDim: Dim, outputDim: Dim) =>
  buildModel({
    inputs: [{ name: 'x', elemType: ELEM.FLOAT, shape: [inputDim] }],
    outputs: [{ name: 'idx', elemType: ELEM.INT64, shape: [outputDim, 1] }],
    nodes: [
      { op: 'NonZero', inputs: ['x'], outputs: ['nz'] },
      { op: 'Transpose', inputs: ['nz'], outputs: ['idx'] },
    ],
  });

const request = (values: number[]): InferenceRequest => ({
  inputs: [
    { name: 'x', datatype: 'FP32', shape: [values.length], data: Float32Array.from(values) },
  ],
});

describe('ONNX batchability from dim names', () => {
  it("an output whose first dim has another name than the inputs' is not batched: each request gets its own answer", async () => {
    const served = await loadModel(
      new OnnxModel({ name: 'nz', bytes: nonZero('n', 'k'), intraOpThreads: 1, warmup: false }),
      { batching: { maxBatchSize: 8 } },
    );
    closers.push(() => served.close());
    expect(served.batchable).toBe(false);
    expect(served.metadata().parameters).toMatchObject({
      batchable: false,
      batching_disabled_reason: 'output "idx" has first dim "k", not the inputs\' "n"',
    });
    const inputs = [[1], [0], [0, 0], [1, 1]];
    const answers = await Promise.all(inputs.map((values) => served.predict(request(values))));
    expect(answers.map((answer) => Array.from(answer.outputs[0]!.data as BigInt64Array))).toEqual([
      [0n],
      [],
      [],
      [0n, 1n],
    ]);
  });

  it('names an exporter made up (tf2onnx, paddle2onnx, torch) say nothing: batched as before', async () => {
    for (const [input, output] of [
      ['unk__1', 'unk__2'],
      ['p2o.DynamicDimension.0', 'p2o.DynamicDimension.3'],
      ['s0', 's1'],
      ['batch_size', 'Reluoutput_dim_0'],
      ['batch_size', 'output_dim_0'],
      ['batch', 'batch'],
    ] as const) {
      const model = new OnnxModel({
        name: 'nz',
        bytes: nonZero(input, output),
        intraOpThreads: 1,
      });
      await model.load();
      expect(model.metadata().parameters?.batchable).toBeUndefined();
      await model.unload();
    }
  });
});
