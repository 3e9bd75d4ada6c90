import { describe, expect, it } from 'vitest';
import tfjsRuntime, { createTfjsModel, TfjsModel } from '../src/index';
import { ESRGAN_X2 } from './model-files';

describe('runtime plugin', () => {
  it('is a RuntimePluginV1 named after the package', () => {
    expect(tfjsRuntime.specificationVersion).toBe('v1');
    expect(tfjsRuntime.name).toBe('@infer/runtime-tfjs');
    expect(tfjsRuntime.create).toBe(createTfjsModel);
  });

  it('builds a model from settings: uri, runtime parameters and serving knobs', () => {
    const model = tfjsRuntime.create({
      name: 'esrgan',
      version: '2',
      uri: ESRGAN_X2,
      parameters: { backend: 'cpu', inputNames: ['image'] },
      batching: { maxBatchSize: 4 },
      timeoutMs: 1000,
    });
    expect(model).toBeInstanceOf(TfjsModel);
    expect(model.name).toBe('esrgan');
    expect(model.version).toBe('2');
    // On cpu (as on wasm) one worker thread unless the settings say otherwise.
    expect(model.serving).toEqual({ batching: { maxBatchSize: 4 }, timeoutMs: 1000, workers: 1 });
  });

  it('describes itself for workers, and those settings rebuild an equal model', async () => {
    const model = new TfjsModel({
      name: 'esrgan',
      path: ESRGAN_X2,
      inputNames: ['image'],
      outputNames: ['upscaled'],
      workers: 2,
      warmup: false,
    });
    const source = model.workerSource();
    expect(source).toEqual({
      module: '@infer/runtime-tfjs',
      resolveFrom: expect.any(String),
      settings: {
        name: 'esrgan',
        uri: ESRGAN_X2,
        warmup: false,
        parameters: { inputNames: ['image'], outputNames: ['upscaled'] },
      },
    });
    expect(structuredClone(source)).toEqual(source);
    const replica = await tfjsRuntime.create(
      source.settings as Parameters<typeof tfjsRuntime.create>[0],
    );
    await Promise.all([model.load(), replica.load()]);
    expect(replica.metadata()).toEqual(model.metadata());
    expect(model.metadata().inputs[0]?.name).toBe('image');
    expect(model.metadata().outputs[0]?.name).toBe('upscaled');
    const { outputs } = await replica.predict({
      inputs: [
        { name: 'image', datatype: 'FP32', shape: [1, 2, 2, 3], data: new Float32Array(12) },
      ],
    });
    expect(outputs[0]?.name).toBe('upscaled');
    await Promise.all([model.unload(), replica.unload()]);
  });
});
