import {
  BINARY_HEADER,
  type Datatype,
  decodeInferenceResponse,
  encodeInferenceRequest,
  type Tensor,
} from '@infer/codecs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, plain, rawBytes, rawStrings, responseTensors, statusOf } from './grpc-client';
import { type GrpcFixture, startGrpcFixture } from './grpc-fixture';

let fixture: GrpcFixture;
beforeAll(async () => {
  fixture = await startGrpcFixture();
});
afterAll(() => fixture?.close());

const text = (value: string) => new TextEncoder().encode(value);

/** Three elements per datatype, edge values included; typed contents where the proto has them. */
const SAMPLES: Record<Datatype, { data: Tensor['data']; contents?: Record<string, unknown[]> }> = {
  BOOL: { data: new Uint8Array([1, 0, 1]), contents: { bool_contents: [true, false, true] } },
  UINT8: { data: new Uint8Array([0, 255, 7]), contents: { uint_contents: [0, 255, 7] } },
  UINT16: { data: new Uint16Array([0, 65535, 9]), contents: { uint_contents: [0, 65535, 9] } },
  UINT32: {
    data: new Uint32Array([0, 4294967295, 3]),
    contents: { uint_contents: [0, 4294967295, 3] },
  },
  UINT64: {
    data: new BigUint64Array([0n, 18446744073709551615n, 5n]),
    contents: { uint64_contents: ['0', '18446744073709551615', '5'] },
  },
  INT8: { data: new Int8Array([-128, 127, 0]), contents: { int_contents: [-128, 127, 0] } },
  INT16: {
    data: new Int16Array([-32768, 32767, 1]),
    contents: { int_contents: [-32768, 32767, 1] },
  },
  INT32: {
    data: new Int32Array([-2147483648, 2147483647, 2]),
    contents: { int_contents: [-2147483648, 2147483647, 2] },
  },
  INT64: {
    data: new BigInt64Array([-(2n ** 63n), 2n ** 63n - 1n, 3n]),
    contents: { int64_contents: ['-9223372036854775808', '9223372036854775807', '3'] },
  },
  // FP16 has no typed field: raw only (1.0, -2.0, 65504 as IEEE halves).
  FP16: { data: new Uint16Array([0x3c00, 0xc000, 0x7bff]) },
  // BF16 neither: raw only (1.0, -2.0, the largest finite bfloat16).
  BF16: { data: new Uint16Array([0x3f80, 0xc000, 0x7f7f]) },
  FP32: {
    data: new Float32Array([1.5, -2.25, 3.4028234663852886e38]),
    contents: { fp32_contents: [1.5, -2.25, 3.4028234663852886e38] },
  },
  FP64: {
    data: new Float64Array([Math.PI, -1e300, 0]),
    contents: { fp64_contents: [Math.PI, -1e300, 0] },
  },
  BYTES: {
    data: [text(''), text('héllo'), new Uint8Array([0, 255])],
    contents: { bytes_contents: [Buffer.alloc(0), Buffer.from('héllo'), Buffer.from([0, 255])] },
  },
};

const DATATYPES = Object.keys(SAMPLES) as Datatype[];

function rawOf(datatype: Datatype): Buffer {
  const { data } = SAMPLES[datatype];
  return datatype === 'BYTES'
    ? rawStrings(data as Uint8Array[])
    : rawBytes(data as ArrayBufferView);
}

function expected(datatype: Datatype) {
  return plain({ name: 'y', datatype, shape: [3], data: SAMPLES[datatype].data } as Tensor);
}

const model = (datatype: Datatype) => `identity_${datatype.toLowerCase()}`;

describe('tensor contents for every datatype', () => {
  it.each(DATATYPES.filter((d) => d !== 'FP16' && d !== 'BF16'))(
    '%s: typed contents in, typed contents out, same values',
    async (datatype) => {
      const answer = await call(fixture.client, 'ModelInfer', {
        model_name: model(datatype),
        inputs: [{ name: 'x', datatype, shape: [3], contents: SAMPLES[datatype].contents }],
      });
      expect(answer.raw_output_contents).toEqual([]);
      expect(answer.outputs[0]?.contents).toBeDefined();
      expect(responseTensors(answer).map(plain)).toEqual([expected(datatype)]);
    },
  );

  it.each(DATATYPES)('%s: raw contents in, raw contents out, same values', async (datatype) => {
    const answer = await call(fixture.client, 'ModelInfer', {
      model_name: model(datatype),
      inputs: [{ name: 'x', datatype, shape: [3] }],
      raw_input_contents: [rawOf(datatype)],
    });
    expect(answer.raw_output_contents).toHaveLength(1);
    expect(answer.raw_output_contents[0]).toEqual(rawOf(datatype));
    expect(responseTensors(answer).map(plain)).toEqual([expected(datatype)]);
  });

  it.each(DATATYPES)(
    '%s: the same request over REST (binary) and gRPC gives the same outputs',
    async (datatype) => {
      const tensor = { name: 'x', datatype, shape: [3], data: SAMPLES[datatype].data } as Tensor;
      const { body, headers } = encodeInferenceRequest(
        { inputs: [tensor], parameters: { binary_data_output: true } },
        { binary: true },
      );
      const rest = await fixture.service.request(`/v2/models/${model(datatype)}/infer`, {
        body,
        headers,
      });
      expect(rest.status).toBe(200);
      const restOutputs = decodeInferenceResponse(rest.body, {
        headerLength: rest.headers[BINARY_HEADER],
      }).outputs;
      const grpcAnswer = await call(fixture.client, 'ModelInfer', {
        model_name: model(datatype),
        inputs: [{ name: 'x', datatype, shape: [3] }],
        raw_input_contents: [rawOf(datatype)],
      });
      expect(responseTensors(grpcAnswer).map(plain)).toEqual(restOutputs.map(plain));
    },
  );

  it.each(['FP16', 'BF16'] as const)(
    '%s in typed contents is INVALID_ARGUMENT: the proto has no field for it',
    async (datatype) => {
      const error = await statusOf(
        call(fixture.client, 'ModelInfer', {
          model_name: model(datatype),
          inputs: [{ name: 'x', datatype, shape: [1], contents: { uint_contents: [0x3c00] } }],
        }),
      );
      expect(error.code).toBe(3);
      expect(error.details).toContain('raw_input_contents');
    },
  );

  it('binary_data_output: true asks typed inputs for raw outputs; false asks raw inputs for typed', async () => {
    const raw = await call(fixture.client, 'ModelInfer', {
      model_name: 'identity_fp32',
      inputs: [{ name: 'x', datatype: 'FP32', shape: [3], contents: SAMPLES.FP32.contents }],
      parameters: { binary_data_output: { bool_param: true } },
    });
    expect(raw.raw_output_contents).toHaveLength(1);
    const typed = await call(fixture.client, 'ModelInfer', {
      model_name: 'identity_fp32',
      inputs: [{ name: 'x', datatype: 'FP32', shape: [3] }],
      raw_input_contents: [rawOf('FP32')],
      parameters: { binary_data_output: { bool_param: false } },
    });
    expect(typed.raw_output_contents).toEqual([]);
    expect(typed.outputs[0]?.contents?.fp32_contents).toHaveLength(3);
    expect(responseTensors(raw).map(plain)).toEqual(responseTensors(typed).map(plain));
  });

  it('a requested output with binary_data: true is answered raw', async () => {
    const answer = await call(fixture.client, 'ModelInfer', {
      model_name: 'doubler',
      inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 2], contents: { fp32_contents: [1, 2] } }],
      outputs: [{ name: 'y', parameters: { binary_data: { bool_param: true } } }],
    });
    expect(answer.raw_output_contents).toHaveLength(1);
    expect(responseTensors(answer).map(plain)).toEqual([
      { name: 'y', datatype: 'FP32', shape: [1, 2], data: [2, 4] },
    ]);
  });

  it('a JSON REST request and a typed gRPC request give the same outputs', async () => {
    const values = [0.5, -1, 3.25, 7];
    const rest = await fixture.service.request('/v2/models/doubler/infer', {
      body: { inputs: [{ name: 'x', datatype: 'FP32', shape: [2, 2], data: values }] },
    });
    const restOutputs = decodeInferenceResponse(rest.body).outputs;
    const answer = await call(fixture.client, 'ModelInfer', {
      model_name: 'doubler',
      inputs: [{ name: 'x', datatype: 'FP32', shape: [2, 2], contents: { fp32_contents: values } }],
    });
    expect(responseTensors(answer).map(plain)).toEqual(restOutputs.map(plain));
  });

  it('raw inputs are read in place: an FP32 raw input at any byte offset decodes right', async () => {
    // Odd-length id and parameters shift the raw bytes' offset inside the message.
    for (const id of ['a', 'ab', 'abc', 'abcd']) {
      const answer = await call(fixture.client, 'ModelInfer', {
        model_name: 'identity_fp32',
        id,
        inputs: [{ name: 'x', datatype: 'FP32', shape: [3] }],
        raw_input_contents: [rawOf('FP32')],
      });
      expect(responseTensors(answer).map(plain)).toEqual([expected('FP32')]);
    }
  });
});

describe('malformed tensor contents are INVALID_ARGUMENT, never a crash', () => {
  const cases: [string, object][] = [
    [
      'raw contents of the wrong length for the shape',
      {
        inputs: [{ name: 'x', datatype: 'FP32', shape: [4] }],
        raw_input_contents: [rawOf('FP32')],
      },
    ],
    [
      'fewer raw contents than inputs',
      {
        inputs: [
          { name: 'x', datatype: 'FP32', shape: [3] },
          { name: 'w', datatype: 'FP32', shape: [3] },
        ],
        raw_input_contents: [rawOf('FP32')],
      },
    ],
    [
      'typed contents with the wrong element count',
      { inputs: [{ name: 'x', datatype: 'FP32', shape: [2], contents: { fp32_contents: [1] } }] },
    ],
    [
      'typed contents in the field of another datatype',
      { inputs: [{ name: 'x', datatype: 'FP32', shape: [1], contents: { int_contents: [1] } }] },
    ],
    [
      'a negative dim',
      { inputs: [{ name: 'x', datatype: 'FP32', shape: [-3], contents: { fp32_contents: [] } }] },
    ],
    ['an unknown datatype', { inputs: [{ name: 'x', datatype: 'FP8', shape: [1] }] }],
    [
      'BF16 raw contents of the wrong length',
      {
        inputs: [{ name: 'x', datatype: 'BF16', shape: [2] }],
        raw_input_contents: [Buffer.alloc(3)],
      },
    ],
    [
      'a BYTES length prefix past the end',
      {
        inputs: [{ name: 'x', datatype: 'BYTES', shape: [1] }],
        raw_input_contents: [Buffer.from([9, 0, 0, 0, 1])],
      },
    ],
    [
      'an INT8 out of range',
      { inputs: [{ name: 'x', datatype: 'INT8', shape: [1], contents: { int_contents: [200] } }] },
    ],
    [
      'a BOOL raw byte other than 0 or 1',
      {
        inputs: [{ name: 'x', datatype: 'BOOL', shape: [1] }],
        raw_input_contents: [Buffer.from([2])],
      },
    ],
    ['an input with no name', { inputs: [{ datatype: 'FP32', shape: [0] }] }],
    [
      'an InferParameter with no value',
      {
        inputs: [{ name: 'x', datatype: 'FP32', shape: [1] }],
        raw_input_contents: [Buffer.alloc(4)],
        parameters: { p: {} },
      },
    ],
  ];

  it.each(cases)('%s', async (_label, request) => {
    const model =
      'identity_' +
      String((request as { inputs: { datatype: string }[] }).inputs[0]!.datatype).toLowerCase();
    const error = await statusOf(
      call(fixture.client, 'ModelInfer', {
        model_name: model.replace(/fp8|bf16/, 'fp32'),
        ...request,
      }),
    );
    expect(error.code).toBe(3);
    expect(error.details.length).toBeGreaterThan(0);
    // The server keeps serving.
    const ok = await call(fixture.client, 'ModelInfer', {
      model_name: 'identity_fp32',
      inputs: [{ name: 'x', datatype: 'FP32', shape: [3] }],
      raw_input_contents: [rawOf('FP32')],
    });
    expect(responseTensors(ok).map(plain)).toEqual([expected('FP32')]);
  });

  it('a request for a model that does not take the input is INVALID_ARGUMENT (validation)', async () => {
    const error = await statusOf(
      call(fixture.client, 'ModelInfer', {
        model_name: 'identity_fp32',
        inputs: [{ name: 'x', datatype: 'INT32', shape: [1], contents: { int_contents: [1] } }],
      }),
    );
    expect(error.code).toBe(3);
    expect(error.details).toContain('input "x" must be FP32');
  });
});
