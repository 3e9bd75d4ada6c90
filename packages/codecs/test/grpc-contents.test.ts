import { describe, expect, it } from 'vitest';
import {
  CodecError,
  decodeGrpcTensor,
  decodeInferParameters,
  encodeInferParameters,
  GRPC_PROTO_OPTIONS,
  GRPC_STATUS,
  grpcStatusName,
  hasContentsField,
  hasTensorContents,
  type Tensor,
  tensorContentsToData,
  tensorDataToContents,
} from '../src/index';

describe('gRPC typed contents', () => {
  const tensors: Tensor[] = [
    { name: 'b', datatype: 'BOOL', shape: [2], data: new Uint8Array([1, 0]) },
    { name: 'i', datatype: 'INT8', shape: [2], data: new Int8Array([-128, 127]) },
    { name: 'l', datatype: 'INT64', shape: [1], data: new BigInt64Array([-(2n ** 63n)]) },
    { name: 'u', datatype: 'UINT64', shape: [1], data: new BigUint64Array([2n ** 64n - 1n]) },
    { name: 'f', datatype: 'FP32', shape: [2], data: new Float32Array([1.5, -2]) },
    { name: 's', datatype: 'BYTES', shape: [1], data: [new Uint8Array([104, 105])] },
  ];

  it.each(tensors)('$datatype round-trips through its contents field', (tensor) => {
    const contents = tensorDataToContents(tensor)!;
    expect(hasTensorContents(contents)).toBe(true);
    const count = tensor.shape[0]!;
    expect(tensorContentsToData(tensor.datatype, contents, count, 'x')).toEqual(tensor.data);
  });

  it('has no field for FP16 and BF16: they travel raw', () => {
    for (const datatype of ['FP16', 'BF16'] as const) {
      expect(hasContentsField(datatype)).toBe(false);
      const tensor = { name: 'h', datatype, shape: [1], data: new Uint16Array([0x3c00]) };
      expect(tensorDataToContents(tensor)).toBeUndefined();
      expect(() => tensorContentsToData(datatype, {}, 1, 'inputs[0]')).toThrow(
        /has no typed contents field; send it as raw contents/,
      );
    }
  });

  it('refuses the wrong field, the wrong count and out-of-range narrow integers', () => {
    expect(() => tensorContentsToData('FP32', { int_contents: [1] }, 1, 'x')).toThrow(
      'x: a FP32 tensor carries its data in contents.fp32_contents, not contents.int_contents',
    );
    expect(() => tensorContentsToData('FP32', { fp32_contents: [1] }, 2, 'x')).toThrow(
      'x: contents.fp32_contents has 1 elements but the shape needs 2',
    );
    expect(() => tensorContentsToData('UINT8', { uint_contents: [256] }, 1, 'x', 'in')).toThrow(
      new CodecError('x: contents.uint_contents[0] is 256, outside the UINT8 range 0..255', {
        input: 'in',
        index: 0,
      }),
    );
  });

  it('wraps BYTES elements with the given function and reads them back as plain views', () => {
    const wrapped: Uint8Array[] = [];
    const tensor: Tensor = {
      name: 's',
      datatype: 'BYTES',
      shape: [1],
      data: [new Uint8Array([1])],
    };
    tensorDataToContents(tensor, (element) => {
      wrapped.push(element);
      return element;
    });
    expect(wrapped).toHaveLength(1);
    const [back] = tensorContentsToData(
      'BYTES',
      { bytes_contents: [Buffer.from([7])] },
      1,
      'x',
    ) as Uint8Array[];
    expect(back!.constructor).toBe(Uint8Array);
  });
});

describe('gRPC InferParameter', () => {
  it('encodes every REST parameter kind, and bigints without precision loss', () => {
    expect(
      encodeInferParameters({ b: true, s: 'x', n: 3, d: 0.5, big: 2n ** 63n } as never),
    ).toEqual({
      b: { bool_param: true },
      s: { string_param: 'x' },
      n: { int64_param: '3' },
      d: { double_param: 0.5 },
      big: { uint64_param: '9223372036854775808' },
    });
    expect(encodeInferParameters(undefined)).toBeUndefined();
  });

  it('decodes 64-bit integers to numbers when safe and to strings beyond 2^53', () => {
    expect(
      decodeInferParameters(
        {
          n: { int64_param: '42', parameter_choice: 'int64_param' },
          big: { uint64_param: '9007199254740993', parameter_choice: 'uint64_param' },
          b: { bool_param: true, parameter_choice: 'bool_param' },
        },
        'parameters',
      ),
    ).toEqual({ n: 42, big: '9007199254740993', b: true });
    expect(decodeInferParameters({}, 'parameters')).toBeUndefined();
  });

  it('refuses a parameter with no value, naming it', () => {
    expect(() => decodeInferParameters({ x: {} }, 'inputs[0].parameters')).toThrow(
      'inputs[0].parameters["x"] has no value (set one of its *_param fields)',
    );
  });
});

describe('gRPC constants', () => {
  it('names status codes both ways, UNKNOWN outside the table', () => {
    expect(GRPC_STATUS.UNAVAILABLE).toBe(14);
    expect(grpcStatusName(5)).toBe('NOT_FOUND');
    expect(grpcStatusName(99)).toBe('UNKNOWN');
  });

  it('loads the proto with 64-bit integers as strings and oneof names set', () => {
    expect(GRPC_PROTO_OPTIONS).toMatchObject({ keepCase: true, longs: String, oneofs: true });
    expect(Object.isFrozen(GRPC_PROTO_OPTIONS)).toBe(true);
  });
});

describe('decodeGrpcTensor', () => {
  it('reads a tensor from its raw bytes, BYTES elements as plain views', () => {
    const raw = Buffer.from([2, 0, 0, 0, 104, 105]);
    const tensor = decodeGrpcTensor(
      { name: 's', datatype: 'BYTES', shape: ['1'] },
      'outputs',
      0,
      raw,
    );
    expect(tensor).toMatchObject({ name: 's', datatype: 'BYTES', shape: [1] });
    expect((tensor.data as Uint8Array[])[0]!.constructor).toBe(Uint8Array);
  });

  it('reads typed contents and parameters when no raw bytes come', () => {
    const tensor = decodeGrpcTensor(
      {
        name: 'x',
        datatype: 'FP32',
        shape: ['2'],
        contents: { fp32_contents: [1, 2] },
        parameters: { n: { int64_param: '3', parameter_choice: 'int64_param' } },
      },
      'inputs',
      0,
      undefined,
    );
    expect(tensor).toEqual({
      name: 'x',
      datatype: 'FP32',
      shape: [2],
      data: new Float32Array([1, 2]),
      parameters: { n: 3 },
    });
  });

  it('refuses a missing name, an unknown datatype and contents beside raw bytes', () => {
    expect(() => decodeGrpcTensor({ datatype: 'FP32' }, 'inputs', 1, undefined)).toThrow(
      'inputs[1].name is required',
    );
    expect(() => decodeGrpcTensor({ name: 'x', datatype: 'FP8' }, 'inputs', 0, undefined)).toThrow(
      'inputs[0] ("x"): unknown datatype "FP8"',
    );
    expect(() =>
      decodeGrpcTensor(
        { name: 'x', datatype: 'FP32', shape: ['1'], contents: { fp32_contents: [1] } },
        'inputs',
        0,
        new Uint8Array(4),
      ),
    ).toThrow('has contents while raw_input_contents is used');
  });
});
