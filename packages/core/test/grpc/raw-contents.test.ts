import { type Datatype, tensorDataFromBytes } from '@infer/codecs';
import { describe, expect, it } from 'vitest';
import { dataToRaw } from '../../src/grpc/raw-contents';

const rawToData = (datatype: Datatype, bytes: Uint8Array, count: number, where: string) =>
  tensorDataFromBytes(datatype, bytes, count, { where });

describe('raw tensor contents', () => {
  it('reads aligned fixed-size data as a view over the received bytes (no copy)', () => {
    const message = Buffer.alloc(64);
    const bytes = message.subarray(8, 8 + 16);
    new Float32Array(bytes.buffer, bytes.byteOffset, 4).set([1, 2, 3, 4]);
    const data = rawToData('FP32', bytes, 4, 'raw') as Float32Array;
    expect(Array.from(data)).toEqual([1, 2, 3, 4]);
    expect(data.buffer).toBe(message.buffer);
    expect(data.byteOffset).toBe(message.byteOffset + 8);
  });

  it('copies misaligned bytes once into an aligned buffer', () => {
    const message = Buffer.alloc(64);
    const bytes = message.subarray(1, 1 + 8);
    Buffer.from(new Float64Array([Math.E]).buffer).copy(bytes);
    const data = rawToData('FP64', bytes, 1, 'raw') as Float64Array;
    expect(data[0]).toBe(Math.E);
    expect(data.buffer).not.toBe(message.buffer);
  });

  it('reads BYTES elements as views after their 4-byte little-endian lengths', () => {
    const bytes = Buffer.from([2, 0, 0, 0, 104, 105, 0, 0, 0, 0]);
    const data = rawToData('BYTES', bytes, 2, 'raw') as Uint8Array[];
    expect(data.map((e) => Buffer.from(e).toString())).toEqual(['hi', '']);
    expect(data[0]!.buffer).toBe(bytes.buffer);
  });

  it('writes outputs as Buffer views over the output arrays (no copy)', () => {
    const data = new Int16Array([1, -1]);
    const raw = dataToRaw({ name: 'y', datatype: 'INT16', shape: [2], data });
    expect(Buffer.isBuffer(raw)).toBe(true);
    expect(raw.buffer).toBe(data.buffer);
    expect(Array.from(raw)).toEqual([1, 0, 255, 255]);
  });

  it('normalises BOOL outputs to 0/1 and length-prefixes BYTES', () => {
    const bools = dataToRaw({
      name: 'b',
      datatype: 'BOOL',
      shape: [2],
      data: new Uint8Array([0, 7]),
    });
    expect(Array.from(bools)).toEqual([0, 1]);
    const strings = dataToRaw({
      name: 's',
      datatype: 'BYTES',
      shape: [1],
      data: [new Uint8Array([65])],
    });
    expect(Array.from(strings)).toEqual([1, 0, 0, 0, 65]);
  });

  it.each([
    ['FP32', Buffer.alloc(6), 2, 'raw: its data is 6 bytes but 2 FP32 elements need 8'],
    ['BYTES', Buffer.alloc(3), 1, 'need at least 4 bytes'],
    ['BYTES', Buffer.from([0, 0, 0, 0, 9]), 1, '1 bytes are left after the last'],
  ] as const)('%s of the wrong size is a CodecError: %s', (datatype, bytes, count, message) => {
    expect(() => rawToData(datatype, bytes, count, 'raw')).toThrow(message);
  });
});
