import { InvalidInputError } from '@infer/core';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { TfjsModel } from '../src/index';
import { CENTERNET, ESRGAN_X2 } from './model-files';

describe('predict is leak-free', () => {
  it('keeps tf.memory().numTensors flat across 3,000 layers-model requests, failures included', async () => {
    const before = tf.memory().numTensors;
    const model = new TfjsModel({ name: 'esrgan', path: ESRGAN_X2 });
    await model.load();
    const loaded = tf.memory().numTensors;
    expect(loaded).toBeGreaterThan(before); // the weights
    const good = {
      inputs: [
        {
          name: 'LR',
          datatype: 'FP32' as const,
          shape: [1, 4, 4, 3],
          data: new Float32Array(48).fill(0.5),
        },
      ],
    };
    const bad = {
      inputs: [
        { name: 'LR', datatype: 'FP32' as const, shape: [1, 4, 4, 2], data: new Float32Array(32) },
      ],
    };
    for (let i = 0; i < 3000; i++) {
      if (i % 100 === 99) {
        await expect(model.predict(bad)).rejects.toBeInstanceOf(InvalidInputError);
      } else {
        const { outputs } = await model.predict(good);
        expect(outputs[0]?.shape).toEqual([1, 8, 8, 3]);
      }
      if (i % 500 === 0) expect(tf.memory().numTensors).toBe(loaded);
    }
    expect(tf.memory().numTensors).toBe(loaded);
    await model.unload();
    expect(tf.memory().numTensors).toBe(before);
  }, 120_000);

  it('disposes the inputs when TF.js itself fails mid-run', async () => {
    // A signature override lets a 4-channel image past validation; the conv layers then throw.
    const model = new TfjsModel({
      name: 'esrgan-any',
      path: ESRGAN_X2,
      warmup: false,
      signature: { inputs: [{ name: 'LR', datatype: 'FP32', shape: [-1, -1, -1, -1] }] },
    });
    await model.load();
    const loaded = tf.memory().numTensors;
    const input = {
      name: 'LR',
      datatype: 'FP32' as const,
      shape: [1, 4, 4, 4],
      data: new Float32Array(64),
    };
    for (let i = 0; i < 20; i++) {
      const error = await model.predict({ inputs: [input] }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(Error);
      expect(error).not.toBeInstanceOf(InvalidInputError);
    }
    expect(tf.memory().numTensors).toBe(loaded);
    await model.unload();
  });

  it('keeps numTensors flat for a graph model run with only some outputs', async () => {
    const before = tf.memory().numTensors;
    const model = new TfjsModel({ name: 'centernet', path: CENTERNET, warmup: false });
    await model.load();
    const loaded = tf.memory().numTensors;
    const request = {
      inputs: [
        {
          name: 'tower_0/images',
          datatype: 'FP32' as const,
          shape: [1, 512, 512, 3],
          data: new Float32Array(512 * 512 * 3),
        },
      ],
      outputs: [{ name: 'tower_0/detections' }],
    };
    for (let i = 0; i < 5; i++) await model.predict(request);
    expect(tf.memory().numTensors).toBe(loaded);
    await model.unload();
    expect(tf.memory().numTensors).toBe(before);
  }, 120_000);
});
