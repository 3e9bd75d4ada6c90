import { InferenceService, ModelRepository, type ServiceResponse } from '@infer/core';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { fromTfjsTensor, TfjsModel } from '../src/index';
import { ESRGAN_X2, HANDTRACK } from './model-files';

const text = (response: ServiceResponse) =>
  typeof response.body === 'string' ? response.body : new TextDecoder().decode(response.body);

describe('cpu backend on request', () => {
  it('runs on cpu when asked, and says so in metadata', async () => {
    const model = new TfjsModel({ name: 'esrgan', path: ESRGAN_X2, backend: 'cpu' });
    await model.load();
    expect(tf.getBackend()).toBe('cpu');
    expect(model.metadata().parameters).toMatchObject({
      backend: 'cpu',
      backend_provider: '@tensorflow/tfjs',
    });
    const { outputs } = await model.predict({
      inputs: [
        {
          name: 'LR',
          datatype: 'FP32',
          shape: [1, 6, 6, 3],
          data: new Float32Array(108).fill(0.5),
        },
      ],
    });
    expect(outputs[0]?.shape).toEqual([1, 12, 12, 3]);
    await model.unload();
  });

  it('reads a float32 tensor that the cpu backend keeps in an Int32Array as a Float32Array', async () => {
    await tf.setBackend('cpu');
    // The cpu backend casts int32 to float32 without copying: the data stays an Int32Array.
    const ints = tf.tensor1d([3, -4, 7], 'int32');
    const floats = tf.cast(ints, 'float32');
    expect(floats.dtype).toBe('float32');
    expect(await floats.data()).toBeInstanceOf(Int32Array);
    const output = await fromTfjsTensor('y', floats);
    tf.dispose([ints, floats]);
    expect(output.datatype).toBe('FP32');
    expect(output.data).toBeInstanceOf(Float32Array);
    expect(output).toEqual({
      name: 'y',
      datatype: 'FP32',
      shape: [3],
      data: new Float32Array([3, -4, 7]),
    });
  });

  it('serves handtrack over OIP on cpu: its float32 outputs made by Cast encode as FP32 (no 500)', async () => {
    const repository = new ModelRepository();
    const service = new InferenceService({ repository });
    repository.add(new TfjsModel({ name: 'handtrack', path: HANDTRACK, backend: 'cpu' }));
    expect(await repository.loadAll()).toEqual([]);
    try {
      const body = JSON.stringify({
        inputs: [
          {
            name: 'input_tensor:0',
            datatype: 'INT32',
            shape: [1, 320, 320, 3],
            data: new Array(320 * 320 * 3).fill(0),
          },
        ],
        // Identity_5:0 (num_detections) and Identity:0 (anchor indices) are Casts from int32.
        outputs: [{ name: 'Identity_5:0' }, { name: 'Identity:0' }],
      });
      const response = await service.handle({
        method: 'POST',
        path: '/v2/models/handtrack/infer',
        headers: { 'content-type': 'application/json' },
        body: new TextEncoder().encode(body),
      });
      expect(text(response)).not.toMatch(/error/);
      expect(response.status).toBe(200);
      const outputs = JSON.parse(text(response)).outputs;
      expect(outputs).toEqual([
        { name: 'Identity_5:0', datatype: 'FP32', shape: [1], data: [expect.any(Number)] },
        expect.objectContaining({ name: 'Identity:0', datatype: 'FP32', shape: [1, 100] }),
      ]);
    } finally {
      await service.shutdown({ closeRepository: true });
    }
  }, 60_000);
});
