import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { TfjsModel } from '../src/index';
import { ESRGAN_X2 } from './model-files';

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
});
