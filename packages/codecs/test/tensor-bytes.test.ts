import { describe, expect, it } from 'vitest';
import { CodecError, type Tensor, tensorBytes, tensorDataFromBytes } from '../src/index';

const tensors: Tensor[] = [
  { name: 'b', datatype: 'BOOL', shape: [3], data: new Uint8Array([1, 0, 1]) },
  { name: 'h', datatype: 'FP16', shape: [2], data: new Uint16Array([0x3c00, 0xc000]) },
  { name: 'f', datatype: 'FP32', shape: [2], data: new Float32Array([1.5, -2]) },
  { name: 'i', datatype: 'INT64', shape: [2], data: new BigInt64Array([-1n, 2n ** 62n]) },
  {
    name: 's',
    datatype: 'BYTES',
    shape: [2],
    data: [new Uint8Array([104, 105]), new Uint8Array(0)],
  },
];

describe('tensorBytes / tensorDataFromBytes', () => {
  it.each(tensors)('$datatype round-trips through its little-endian bytes', (tensor) => {
    const bytes = tensorBytes(tensor);
    const data = tensorDataFromBytes(tensor.datatype, bytes, tensor.shape[0]!);
    expect(data).toEqual(tensor.data);
  });

  it('gives a view over fixed-size data, not a copy', () => {
    const data = new Float32Array([1, 2, 3]);
    const bytes = tensorBytes({ name: 'x', datatype: 'FP32', shape: [3], data });
    expect(bytes.buffer).toBe(data.buffer);
    const back = tensorDataFromBytes('FP32', bytes, 3) as Float32Array;
    expect(back.buffer).toBe(data.buffer);
  });

  it('copies misaligned bytes once instead of failing', () => {
    const buffer = new Uint8Array(9);
    buffer.set(new Uint8Array(new Float32Array([7, 8]).buffer), 1);
    const back = tensorDataFromBytes('FP32', buffer.subarray(1), 2);
    expect(Array.from(back as Float32Array)).toEqual([7, 8]);
  });

  it('writes BYTES as 4-byte little-endian lengths and normalises BOOL to 0/1', () => {
    expect(
      Array.from(
        tensorBytes({ name: 's', datatype: 'BYTES', shape: [1], data: [new Uint8Array([65])] }),
      ),
    ).toEqual([1, 0, 0, 0, 65]);
    expect(
      Array.from(
        tensorBytes({ name: 'b', datatype: 'BOOL', shape: [2], data: new Uint8Array([7, 0]) }),
      ),
    ).toEqual([1, 0]);
  });

  it('names the place and the size in a CodecError when the bytes do not fit', () => {
    const place = { where: 'raw_input_contents[0]', input: 'x' };
    expect(() => tensorDataFromBytes('FP32', new Uint8Array(6), 2, place)).toThrow(
      new CodecError('raw_input_contents[0]: its data is 6 bytes but 2 FP32 elements need 8', {
        input: 'x',
      }),
    );
    expect(() =>
      tensorDataFromBytes('BOOL', new Uint8Array([0, 2]), 2, place, 'the raw bytes'),
    ).toThrow('data element 1 must be 0 or 1 (BOOL), got 2');
    expect(() => tensorDataFromBytes('BYTES', new Uint8Array([9, 0, 0, 0]), 1, place)).toThrow(
      'BYTES element 0 declares 9 bytes but only 0 are left',
    );
  });
});
