import type { Datatype, Tensor, TensorData } from '@infer/codecs';
import { float16ToFloat32, float32ToFloat16 } from '@infer/codecs';
import { batchabilityOf } from '@infer/core';
import { fromOrtTensor, OnnxModel, toOrtTensor } from '@infer/runtime-onnx';
import { afterAll, describe, expect, it } from 'vitest';
import { buildModel, type Dim, ELEM, identityModel } from './__fixtures__/onnx-builder';

const utf8 = (text: string) => new TextEncoder().encode(text);

/** One sample tensor of each OIP datatype, with its extreme values, shape [2, 2]. */
const SAMPLES: { datatype: Datatype; elem: number; data: TensorData }[] = [
  { datatype: 'BOOL', elem: ELEM.BOOL, data: new Uint8Array([1, 0, 0, 1]) },
  { datatype: 'UINT8', elem: ELEM.UINT8, data: new Uint8Array([0, 1, 128, 255]) },
  { datatype: 'UINT16', elem: ELEM.UINT16, data: new Uint16Array([0, 1, 32768, 65535]) },
  { datatype: 'UINT32', elem: ELEM.UINT32, data: new Uint32Array([0, 1, 2 ** 31, 2 ** 32 - 1]) },
  {
    datatype: 'UINT64',
    elem: ELEM.UINT64,
    data: new BigUint64Array([0n, 1n, 2n ** 63n, 2n ** 64n - 1n]),
  },
  { datatype: 'INT8', elem: ELEM.INT8, data: new Int8Array([-128, -1, 0, 127]) },
  { datatype: 'INT16', elem: ELEM.INT16, data: new Int16Array([-32768, -1, 0, 32767]) },
  { datatype: 'INT32', elem: ELEM.INT32, data: new Int32Array([-(2 ** 31), -1, 0, 2 ** 31 - 1]) },
  {
    datatype: 'INT64',
    elem: ELEM.INT64,
    data: new BigInt64Array([-(2n ** 63n), -1n, 0n, 2n ** 63n - 1n]),
  },
  // Raw IEEE-754 halves: 1, -2, 65504 (largest), smallest subnormal.
  { datatype: 'FP16', elem: ELEM.FLOAT16, data: new Uint16Array([0x3c00, 0xc000, 0x7bff, 0x0001]) },
  { datatype: 'FP32', elem: ELEM.FLOAT, data: new Float32Array([-1.5, 0, 3.25, 3.4e38]) },
  { datatype: 'FP64', elem: ELEM.DOUBLE, data: new Float64Array([-1.5, 0, Math.PI, 1.7e308]) },
  {
    datatype: 'BYTES',
    elem: ELEM.STRING,
    data: [utf8('finch'), utf8(''), utf8('héllo wörld'), utf8('日本語 🐦')],
  },
];

const models: OnnxModel[] = [];
async function loaded(name: string, bytes: Uint8Array): Promise<OnnxModel> {
  const model = new OnnxModel({ name, bytes, intraOpThreads: 1 });
  models.push(model);
  await model.load();
  return model;
}
afterAll(async () => {
  await Promise.all(models.map((model) => model.unload()));
});

describe('every OIP datatype round-trips through ONNX Runtime (generated Identity models)', () => {
  it.each(SAMPLES)('$datatype', async ({ datatype, elem, data }) => {
    const model = await loaded(
      `identity-${datatype.toLowerCase()}`,
      identityModel(elem, ['batch', 2]),
    );
    expect(model.metadata().inputs).toEqual([{ name: 'x', datatype, shape: [-1, 2] }]);
    expect(model.metadata().outputs).toEqual([{ name: 'y', datatype, shape: [-1, 2] }]);
    const { outputs } = await model.predict({
      inputs: [{ name: 'x', datatype, shape: [2, 2], data } as Tensor],
    });
    expect(outputs).toHaveLength(1);
    const output = outputs[0]!;
    expect(output.name).toBe('y');
    expect(output.datatype).toBe(datatype);
    expect(output.shape).toEqual([2, 2]);
    expect(output.data.constructor).toBe(data.constructor);
    expect(output.data).toEqual(data);
  });

  it('feeds a view into a larger buffer (as the binary extension decodes) without copying it first', async () => {
    const model = await loaded('identity-view', identityModel(ELEM.FLOAT, ['n']));
    const body = new Float32Array([9, 9, 1, 2, 3, 9]);
    const view = body.subarray(2, 5);
    const { outputs } = await model.predict({
      inputs: [{ name: 'x', datatype: 'FP32', shape: [3], data: view }],
    });
    expect(Array.from(outputs[0]!.data as Float32Array)).toEqual([1, 2, 3]);
  });
});

describe('no copies on our side', () => {
  it.each(SAMPLES.filter((sample) => sample.datatype !== 'BYTES'))(
    "$datatype input: the ORT tensor wraps the caller's typed array",
    ({ datatype, data }) => {
      const value = toOrtTensor({ name: 'x', datatype, shape: [2, 2], data } as Tensor);
      expect(value.data).toBe(data);
      expect(value.dims).toEqual([2, 2]);
    },
  );

  it('an ORT float16 output held in another 16-bit array (Float16Array on newer Node) becomes a Uint16Array view of the same bytes', () => {
    const halves = new Int16Array([0x3c00, 0x4000]);
    const value = { type: 'float16', dims: [2], data: halves } as unknown as Parameters<
      typeof fromOrtTensor
    >[1];
    const tensor = fromOrtTensor('y', value)!;
    expect(tensor.data).toBeInstanceOf(Uint16Array);
    expect((tensor.data as Uint16Array).buffer).toBe(halves.buffer);
    expect(Array.from(tensor.data as Uint16Array)).toEqual([0x3c00, 0x4000]);
  });

  it('an ORT type OIP cannot carry gives no tensor', () => {
    const value = { type: 'int4', dims: [2], data: new Uint8Array(1) } as unknown as Parameters<
      typeof fromOrtTensor
    >[1];
    expect(fromOrtTensor('y', value)).toBeUndefined();
  });
});

describe('datatypes through real computation (generated models)', () => {
  it('FP32 -> FP16 Cast gives the raw halves @infer/codecs computes', async () => {
    const model = await loaded(
      'cast-fp16',
      buildModel({
        inputs: [{ name: 'x', elemType: ELEM.FLOAT, shape: ['n'] }],
        outputs: [{ name: 'y', elemType: ELEM.FLOAT16, shape: ['n'] }],
        nodes: [{ op: 'Cast', inputs: ['x'], outputs: ['y'], attributes: { to: ELEM.FLOAT16 } }],
      }),
    );
    const values = [0, 1, -2.5, 0.1, 65504, 1e-7];
    const { outputs } = await model.predict({
      inputs: [
        { name: 'x', datatype: 'FP32', shape: [values.length], data: Float32Array.from(values) },
      ],
    });
    expect(outputs[0]).toMatchObject({ datatype: 'FP16', shape: [values.length] });
    const halves = outputs[0]!.data as Uint16Array;
    expect(halves).toBeInstanceOf(Uint16Array);
    expect(Array.from(halves)).toEqual(values.map((value) => float32ToFloat16(value)));
    expect(float16ToFloat32(halves[2]!)).toBe(-2.5);
  });

  it('INT64 Add keeps values beyond 2^53 exact', async () => {
    const model = await loaded(
      'add-int64',
      buildModel({
        inputs: [
          { name: 'a', elemType: ELEM.INT64, shape: ['n'] },
          { name: 'b', elemType: ELEM.INT64, shape: ['n'] },
        ],
        outputs: [{ name: 'sum', elemType: ELEM.INT64, shape: ['n'] }],
        nodes: [{ op: 'Add', inputs: ['a', 'b'], outputs: ['sum'] }],
      }),
    );
    const { outputs } = await model.predict({
      inputs: [
        { name: 'a', datatype: 'INT64', shape: [2], data: new BigInt64Array([2n ** 60n, -5n]) },
        { name: 'b', datatype: 'INT64', shape: [2], data: new BigInt64Array([1n, 3n]) },
      ],
    });
    expect(outputs[0]!.data).toEqual(new BigInt64Array([2n ** 60n + 1n, -2n]));
  });

  it('BOOL Not flips 0/1 bytes', async () => {
    const model = await loaded(
      'not-bool',
      buildModel({
        inputs: [{ name: 'x', elemType: ELEM.BOOL, shape: ['n'] }],
        outputs: [{ name: 'y', elemType: ELEM.BOOL, shape: ['n'] }],
        nodes: [{ op: 'Not', inputs: ['x'], outputs: ['y'] }],
      }),
    );
    const { outputs } = await model.predict({
      inputs: [{ name: 'x', datatype: 'BOOL', shape: [3], data: new Uint8Array([1, 0, 1]) }],
    });
    expect(outputs[0]).toMatchObject({ datatype: 'BOOL', data: new Uint8Array([0, 1, 0]) });
  });

  it('a scalar input (shape []) and two outputs, one of them asked for by name', async () => {
    const model = await loaded(
      'scalar',
      buildModel({
        inputs: [{ name: 's', elemType: ELEM.DOUBLE, shape: [] }],
        outputs: [
          { name: 'twice', elemType: ELEM.DOUBLE, shape: [] },
          { name: 'same', elemType: ELEM.DOUBLE, shape: [] },
        ],
        nodes: [
          { op: 'Add', inputs: ['s', 's'], outputs: ['twice'] },
          { op: 'Identity', inputs: ['s'], outputs: ['same'] },
        ],
      }),
    );
    expect(model.metadata().inputs).toEqual([{ name: 's', datatype: 'FP64', shape: [] }]);
    const request = {
      inputs: [{ name: 's', datatype: 'FP64' as const, shape: [], data: new Float64Array([21]) }],
    };
    const all = await model.predict(request);
    expect(
      all.outputs.map((output) => [
        output.name,
        output.shape,
        Array.from(output.data as Float64Array),
      ]),
    ).toEqual([
      ['twice', [], [42]],
      ['same', [], [21]],
    ]);
    const one = await model.predict({ ...request, outputs: [{ name: 'twice' }] });
    expect(one.outputs.map((output) => output.name)).toEqual(['twice']);
  });

  it.each<[string, Dim[], boolean]>([
    ['dynamic first dim', ['batch', 3], true],
    ['fixed first dim', [2, 3], false],
    ['scalar', [], false],
  ])('reports metadata for a %s', async (label, shape, batchable) => {
    const model = await loaded(
      `shape-${label.replace(/ /g, '-')}`,
      identityModel(ELEM.FLOAT, shape),
    );
    const expected = shape.map((dim) => (typeof dim === 'number' ? dim : -1));
    expect(model.metadata().inputs[0]!.shape).toEqual(expected);
    expect(batchabilityOf(model, model.metadata()).batchable).toBe(batchable);
  });
});
