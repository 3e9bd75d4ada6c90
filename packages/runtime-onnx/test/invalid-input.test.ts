import type { InferenceRequest, Tensor } from '@infer/codecs';
import { httpStatusOf, InferError, toErrorBody } from '@infer/core';
import { OnnxModel } from '@infer/runtime-onnx';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildModel, ELEM } from './__fixtures__/onnx-builder';

/** A model with a fixed-size input `x` FP32 [2, 3] and a dynamic `ids` INT64 [-1]. */
const model = new OnnxModel({
  name: 'fixed',
  intraOpThreads: 1,
  bytes: buildModel({
    inputs: [
      { name: 'x', elemType: ELEM.FLOAT, shape: [2, 3] },
      { name: 'ids', elemType: ELEM.INT64, shape: ['n'] },
    ],
    outputs: [
      { name: 'y', elemType: ELEM.FLOAT, shape: [2, 3] },
      { name: 'ids_out', elemType: ELEM.INT64, shape: ['n'] },
    ],
    nodes: [
      { op: 'Identity', inputs: ['x'], outputs: ['y'] },
      { op: 'Identity', inputs: ['ids'], outputs: ['ids_out'] },
    ],
  }),
});
beforeAll(() => model.load());
afterAll(() => model.unload());

const x: Tensor = { name: 'x', datatype: 'FP32', shape: [2, 3], data: new Float32Array(6) };
const ids: Tensor = { name: 'ids', datatype: 'INT64', shape: [2], data: new BigInt64Array(2) };

async function failure(request: InferenceRequest): Promise<InferError & { input?: string }> {
  const error = await model.predict(request).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(InferError.isInstance(error)).toBe(true);
  return error as InferError & { input?: string };
}

describe('requests that do not fit the model are 400s naming the input and the expectation', () => {
  it('accepts the right request', async () => {
    const { outputs } = await model.predict({ inputs: [x, ids] });
    expect(outputs.map((output) => output.name)).toEqual(['y', 'ids_out']);
  });

  it('unknown input', async () => {
    const error = await failure({ inputs: [x, ids, { ...x, name: 'z' }] });
    expect(error).toMatchObject({ code: 'INFER_ERR_INVALID_INPUT', status: 400, input: 'z' });
    expect(error.message).toMatch(/unknown input "z".*"x".*"ids"/);
  });

  it('missing input', async () => {
    const error = await failure({ inputs: [x] });
    expect(error).toMatchObject({ code: 'INFER_ERR_INVALID_INPUT', input: 'ids' });
    expect(error.message).toContain('missing input "ids" (INT64 [-1])');
  });

  it('input given twice', async () => {
    const error = await failure({ inputs: [x, ids, ids] });
    expect(error.message).toContain('"ids" is given more than once');
  });

  it('wrong datatype', async () => {
    const error = await failure({
      inputs: [{ ...x, datatype: 'FP64', data: new Float64Array(6) }, ids],
    });
    expect(error).toMatchObject({
      code: 'INFER_ERR_INVALID_INPUT',
      input: 'x',
      expected: 'FP32 [2,3]',
    });
    expect(error.message).toContain('FP32 [2,3]');
    expect(error.message).toContain('FP64');
  });

  it('wrong rank', async () => {
    const error = await failure({ inputs: [{ ...x, shape: [6] }, ids] });
    expect(error).toMatchObject({ input: 'x', expected: 'FP32 [2,3]', received: 'FP32 [6]' });
  });

  it('fixed dim mismatch', async () => {
    const error = await failure({ inputs: [{ ...x, shape: [3, 2] }, ids] });
    expect(error).toMatchObject({ input: 'x', expected: 'FP32 [2,3]', received: 'FP32 [3,2]' });
  });

  it('data length that does not match the shape', async () => {
    const error = await failure({ inputs: [x, { ...ids, shape: [3] }] });
    expect(error).toMatchObject({ code: 'INFER_ERR_INVALID_INPUT', input: 'ids' });
    expect(error.message).toMatch(/2 elements.*needs 3/);
  });

  it('data in the wrong typed array (an in-process caller mistake)', async () => {
    const error = await failure({
      inputs: [x, { ...ids, data: new Float64Array(2) } as unknown as Tensor],
    });
    expect(error).toMatchObject({ code: 'INFER_ERR_INVALID_INPUT', input: 'ids' });
  });

  it('BYTES that are not UTF-8 for a string input', async () => {
    const strings = new OnnxModel({
      name: 'strings',
      bytes: buildModel({
        inputs: [{ name: 's', elemType: ELEM.STRING, shape: ['n'] }],
        outputs: [{ name: 't', elemType: ELEM.STRING, shape: ['n'] }],
        nodes: [{ op: 'Identity', inputs: ['s'], outputs: ['t'] }],
      }),
    });
    await strings.load();
    try {
      const error = await strings
        .predict({
          inputs: [
            { name: 's', datatype: 'BYTES', shape: [1], data: [new Uint8Array([0xff, 0xfe])] },
          ],
        })
        .catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'INFER_ERR_INVALID_INPUT', status: 400, input: 's' });
      expect((error as Error).message).toContain('not valid UTF-8');
    } finally {
      await strings.unload();
    }
  });

  it('an output the model does not produce is a 400 naming it', async () => {
    const error = await failure({ inputs: [x, ids], outputs: [{ name: 'probs' }] });
    expect(error).toMatchObject({ code: 'INFER_ERR_OUTPUT_NOT_FOUND', status: 400 });
    expect(error.message).toContain('"probs"');
  });

  it('never exposes ORT text: every error above maps to a public 400 body', async () => {
    const error = await failure({ inputs: [{ ...x, shape: [3, 2] }, ids] });
    expect(httpStatusOf(error)).toBe(400);
    expect(toErrorBody(error).error).not.toMatch(/onnxruntime|Please fix/i);
  });
});
