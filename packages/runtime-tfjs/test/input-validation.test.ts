import { InvalidInputError, OutputNotFoundError } from '@infer/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TfjsModel } from '../src/index';
import { ESRGAN_X2 } from './model-files';

describe('requests that do not fit the model are refused before TF.js runs', () => {
  const model = new TfjsModel({ name: 'esrgan', path: ESRGAN_X2 });
  beforeAll(() => model.load());
  afterAll(() => model.unload());
  const fp32 = (shape: number[]) => ({
    name: 'LR',
    datatype: 'FP32' as const,
    shape,
    data: new Float32Array(shape.reduce((a, b) => a * b, 1)),
  });

  it('refuses a datatype TF.js would not take, naming the input and the expectation', async () => {
    const error = await model
      .predict({
        inputs: [{ name: 'LR', datatype: 'UINT8', shape: [1, 2, 2, 3], data: new Uint8Array(12) }],
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidInputError);
    expect((error as InvalidInputError).input).toBe('LR');
    expect((error as Error).message).toContain('FP32 [-1,-1,-1,3]');
    expect((error as InvalidInputError).status).toBe(400);
  });

  it('refuses a wrong rank or a wrong fixed dim', async () => {
    await expect(model.predict({ inputs: [fp32([2, 2, 3])] })).rejects.toThrow(
      /input "LR" must be FP32 \[-1,-1,-1,3\]/,
    );
    await expect(model.predict({ inputs: [fp32([1, 2, 2, 4])] })).rejects.toBeInstanceOf(
      InvalidInputError,
    );
  });

  it('refuses data whose length does not match the shape', async () => {
    const input = {
      name: 'LR',
      datatype: 'FP32' as const,
      shape: [1, 2, 2, 3],
      data: new Float32Array(5),
    };
    await expect(model.predict({ inputs: [input] })).rejects.toThrow(/5 elements/);
  });

  it('refuses unknown and missing inputs', async () => {
    await expect(
      model.predict({ inputs: [{ ...fp32([1, 2, 2, 3]), name: 'image' }] }),
    ).rejects.toThrow(/unknown input "image"/);
    await expect(model.predict({ inputs: [] })).rejects.toThrow(/missing input "LR"/);
  });

  it('refuses an output the model does not have', async () => {
    await expect(
      model.predict({ inputs: [fp32([1, 2, 2, 3])], outputs: [{ name: 'HR' }] }),
    ).rejects.toBeInstanceOf(OutputNotFoundError);
  });
});
