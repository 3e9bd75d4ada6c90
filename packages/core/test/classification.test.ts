/**
 * The classification extension (Triton's, as tritonclient's `class_count` asks for it): the
 * ranking itself, the checks before a model runs, and the same answer over REST and gRPC.
 */
import { decodeInferenceResponse, float32ToHalves, type Tensor } from '@infer/codecs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkClassifications, classify } from '../src/classification';
import { defineModel } from '../src/define-model';
import type { ModelMetadataV1 } from '../src/spec';
import { call, responseTensors } from './grpc/grpc-client';
import { type GrpcFixture, startGrpcFixture } from './grpc/grpc-fixture';

const text = (tensor: Tensor) =>
  (tensor.data as Uint8Array[]).map((bytes) => new TextDecoder().decode(bytes));

const fp32 = (shape: number[], values: number[]): Tensor => ({
  name: 'p',
  datatype: 'FP32',
  shape,
  data: new Float32Array(values),
});

describe('classify', () => {
  it('ranks a whole output, as the Triton example: [1.1, 3.3, 0.5, 2.4], 2 classes', () => {
    const result = classify(fp32([4], [1.1, 3.3, 0.5, 2.4]), 2, { model: 'm', batched: false });
    expect(result).toMatchObject({ name: 'p', datatype: 'BYTES', shape: [2] });
    expect(text(result)).toEqual([`${Math.fround(3.3)}:1`, `${Math.fround(2.4)}:3`]);
  });

  it('ranks each row of a batched output', () => {
    const result = classify(fp32([2, 3], [0.1, 0.7, 0.2, 0.9, 0.05, 0.05]), 2, {
      model: 'm',
      batched: true,
    });
    expect(result.shape).toEqual([2, 2]);
    expect(text(result).map((entry) => entry.split(':')[1])).toEqual(['1', '2', '0', '1']);
  });

  it('caps the count at the values classified; ties go to the lower index; NaN last', () => {
    expect(
      text(classify(fp32([1, 3], [5, Number.NaN, 5]), 10, { model: 'm', batched: true })),
    ).toEqual(['5:0', '5:2', 'NaN:1']);
    expect(classify(fp32([1, 3], [1, 2, 3]), 10, { model: 'm', batched: true }).shape).toEqual([
      1, 3,
    ]);
  });

  it('ranks integers, 64-bit integers and halves by value', () => {
    const int8: Tensor = {
      name: 'q',
      datatype: 'INT8',
      shape: [3],
      data: new Int8Array([-5, 7, 0]),
    };
    expect(text(classify(int8, 2, { model: 'm', batched: false }))).toEqual(['7:1', '0:2']);
    const int64: Tensor = {
      name: 'q',
      datatype: 'INT64',
      shape: [3],
      data: new BigInt64Array([9007199254740993n, -1n, 9007199254740992n]),
    };
    expect(text(classify(int64, 2, { model: 'm', batched: false }))).toEqual([
      '9007199254740993:0',
      '9007199254740992:2',
    ]);
    const fp16: Tensor = {
      name: 'q',
      datatype: 'FP16',
      shape: [3],
      data: float32ToHalves([-2, 0.5, 0.25]),
    };
    expect(text(classify(fp16, 1, { model: 'm', batched: false }))).toEqual(['0.5:1']);
  });

  it('blames a malformed output on the model (500), never the client', () => {
    const short = fp32([2, 4], [1, 2, 3, 4, 5, 6]);
    expect(() => classify(short, 2, { model: 'm', batched: true })).toThrow(
      expect.objectContaining({ status: 500, message: expect.stringMatching(/does not hold/) }),
    );
    const bytes: Tensor = { name: 'p', datatype: 'BYTES', shape: [1], data: [new Uint8Array(1)] };
    expect(() => classify(bytes, 1, { model: 'm', batched: false })).toThrow(
      expect.objectContaining({ status: 500, code: 'INFER_ERR_OUTPUT_ENCODING' }),
    );
  });

  it('answers zero rows with zero rows of k', () => {
    const empty = classify(fp32([0, 4], []), 2, { model: 'm', batched: true });
    expect(empty.shape).toEqual([0, 2]);
    expect(empty.data).toEqual([]);
  });

  it('gives the same top k with a short list (k <= 64) as with a full sort', () => {
    let seed = 7;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return Math.round((seed / 2 ** 31) * 50); // many ties
    };
    const values = Array.from({ length: 1000 }, random);
    const expected = values
      .map((value, index) => ({ value, index }))
      .sort((a, b) => b.value - a.value || a.index - b.index)
      .map(({ index }) => String(index));
    for (const k of [1, 5, 64, 65, 300]) {
      const indices = text(classify(fp32([1000], values), k, { model: 'm', batched: false })).map(
        (s) => s.split(':')[1],
      );
      expect(indices, `k = ${k}`).toEqual(expected.slice(0, k));
    }
  });
});

describe('checkClassifications', () => {
  const metadata: ModelMetadataV1 = {
    name: 'm',
    platform: 'test',
    inputs: [],
    outputs: [
      { name: 'scores', datatype: 'FP32', shape: [-1, 10] },
      { name: 'names', datatype: 'BYTES', shape: [-1] },
    ],
  };
  const asking = (output: string, classification: unknown) => ({
    inputs: [],
    outputs: [{ name: output, parameters: { classification } as never }],
  });

  it('accepts a positive integer, or its decimal string (gRPC int64)', () => {
    expect(checkClassifications(asking('scores', 3), metadata)).toBe(true);
    expect(checkClassifications(asking('scores', '3'), metadata)).toBe(true);
    expect(checkClassifications({ inputs: [], outputs: [{ name: 'scores' }] }, metadata)).toBe(
      false,
    );
  });

  it.each([0, -1, 1.5, 'three', true, ''])('refuses classification %j with a 400', (value) => {
    expect(() => checkClassifications(asking('scores', value), metadata)).toThrow(
      expect.objectContaining({ status: 400, message: expect.stringMatching(/positive integer/) }),
    );
  });

  it('refuses an output of text with a 400', () => {
    expect(() => checkClassifications(asking('names', 2), metadata)).toThrow(
      expect.objectContaining({ status: 400, message: expect.stringMatching(/BYTES/) }),
    );
  });
});

describe('classification over REST and gRPC', () => {
  let fixture: GrpcFixture;
  let calls = 0;
  beforeAll(async () => {
    const scores = defineModel({
      name: 'scores',
      inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, 4] }],
      outputs: [{ name: 'p', datatype: 'FP32', shape: [-1, 4] }],
      predict: (request) => {
        calls++;
        return [{ ...request.input('x').tensor, name: 'p' }];
      },
    });
    // First dimension dynamic but not a batch (a sequence, say): classified as a whole.
    const sequence = defineModel({
      name: 'sequence',
      batchable: false,
      inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, 4] }],
      outputs: [{ name: 'p', datatype: 'FP32', shape: [-1, 4] }],
      predict: (request) => [{ ...request.input('x').tensor, name: 'p' }],
    });
    fixture = await startGrpcFixture([scores, sequence]);
  });
  afterAll(() => fixture?.close());

  const values = [1.1, 3.3, 0.5, 2.4, 9, 8, 7, 6];

  it('ranks each row of a batched model over REST, JSON and binary outputs alike', async () => {
    const body = (binary: boolean) => ({
      inputs: [{ name: 'x', datatype: 'FP32', shape: [2, 4], data: values }],
      outputs: [{ name: 'p', parameters: { classification: 2, binary_data: binary } }],
    });
    const json = await fixture.service.request('/v2/models/scores/infer', { body: body(false) });
    expect(json.status).toBe(200);
    const output = (json.json() as { outputs: { shape: number[]; data: string[] }[] }).outputs[0]!;
    expect(output).toMatchObject({ datatype: 'BYTES', shape: [2, 2] });
    expect(output.data.map((entry) => entry.split(':')[1])).toEqual(['1', '3', '0', '1']);
    const binary = await fixture.service.request('/v2/models/scores/infer', { body: body(true) });
    expect(binary.status).toBe(200);
    const decoded = decodeInferenceResponse(binary.body as Uint8Array, {
      headerLength: Number(binary.headers['inference-header-content-length']),
    });
    expect(decoded.outputs[0]).toMatchObject({ datatype: 'BYTES', shape: [2, 2] });
    expect(text(decoded.outputs[0]!)).toEqual(output.data);
  });

  it('ranks the whole output of a model that does not batch (batchable: false)', async () => {
    const reply = await fixture.service.request('/v2/models/sequence/infer', {
      body: {
        inputs: [{ name: 'x', datatype: 'FP32', shape: [2, 4], data: values }],
        outputs: [{ name: 'p', parameters: { classification: 2 } }],
      },
    });
    const output = (reply.json() as { outputs: { shape: number[]; data: string[] }[] }).outputs[0]!;
    expect(output.shape).toEqual([2]);
    expect(output.data).toEqual(['9:4', '8:5']);
  });

  it('gives the same strings over gRPC (int64_param) as over REST', async () => {
    const answer = await call(fixture.client, 'ModelInfer', {
      model_name: 'identity_fp32',
      inputs: [
        {
          name: 'x',
          datatype: 'FP32',
          shape: [4],
          contents: { fp32_contents: values.slice(0, 4) },
        },
      ],
      outputs: [
        {
          name: 'y',
          parameters: { classification: { int64_param: '2', parameter_choice: 'int64_param' } },
        },
      ],
    });
    const [output] = responseTensors(answer);
    expect(output).toMatchObject({ name: 'y', datatype: 'BYTES', shape: [2] });
    const rest = await fixture.service.request('/v2/models/identity_fp32/infer', {
      body: {
        inputs: [{ name: 'x', datatype: 'FP32', shape: [4], data: values.slice(0, 4) }],
        outputs: [{ name: 'y', parameters: { classification: 2 } }],
      },
    });
    const restData = (rest.json() as { outputs: { data: string[] }[] }).outputs[0]!.data;
    expect(text(output!)).toEqual(restData);
    expect(restData).toEqual([`${Math.fround(3.3)}:1`, `${Math.fround(2.4)}:3`]);
    // Raw contents in (as tritonclient sends them): the answer comes back in raw contents.
    const raw = await call(fixture.client, 'ModelInfer', {
      model_name: 'identity_fp32',
      inputs: [{ name: 'x', datatype: 'FP32', shape: [4] }],
      raw_input_contents: [Buffer.from(new Float32Array(values.slice(0, 4)).buffer)],
      outputs: [
        {
          name: 'y',
          parameters: { classification: { int64_param: '2', parameter_choice: 'int64_param' } },
        },
      ],
    });
    expect(raw.raw_output_contents?.length).toBe(1);
    expect(text(responseTensors(raw)[0]!)).toEqual(restData);
  });

  it('answers a bad count INVALID_ARGUMENT over gRPC and 400 over REST, before the model runs', async () => {
    const before = calls;
    const error = await call(fixture.client, 'ModelInfer', {
      model_name: 'scores',
      inputs: [
        { name: 'x', datatype: 'FP32', shape: [1, 4], contents: { fp32_contents: [1, 2, 3, 4] } },
      ],
      outputs: [
        {
          name: 'p',
          parameters: { classification: { int64_param: '0', parameter_choice: 'int64_param' } },
        },
      ],
    }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 3 }); // INVALID_ARGUMENT
    const rest = await fixture.service.request('/v2/models/scores/infer', {
      body: {
        inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 4], data: [1, 2, 3, 4] }],
        outputs: [{ name: 'p', parameters: { classification: 0 } }],
      },
    });
    expect(rest.status).toBe(400);
    expect((rest.json() as { error: string }).error).toMatch(/classification/);
    expect(calls).toBe(before);
  });

  it('is listed in the server metadata extensions', async () => {
    const metadata = (await fixture.service.request('/v2')).json() as { extensions: string[] };
    expect(metadata.extensions).toContain('classification');
  });
});
