import type { Tensor } from '@infer/codecs';
import { describe, expect, it } from 'vitest';
import { packTensors } from '../../src/pool/tensor-transfer';

interface WasmGlobal {
  WebAssembly: { Memory: new (descriptor: { initial: number }) => { buffer: ArrayBuffer } };
}

const fp32 = (data: Float32Array): Tensor => ({
  name: 'x',
  datatype: 'FP32',
  shape: [data.length],
  data,
});

const u8 = (data: Uint8Array): Tensor => ({
  name: 'b',
  datatype: 'UINT8',
  shape: [data.length],
  data,
});

describe('packTensors', () => {
  it('moves an owned buffer without copying and lists it once', () => {
    const data = new Float32Array([1, 2]);
    const { tensors, transferList } = packTensors([fp32(data), fp32(data)], true);
    expect(data.length).toBe(0); // detached by the move
    expect(transferList).toHaveLength(1);
    expect(tensors.map((t) => Array.from(t.data as Float32Array))).toEqual([
      [1, 2],
      [1, 2],
    ]);
  });

  it('copies a view into a buffer of its own size', () => {
    const body = new Float32Array(100);
    const { tensors, transferList } = packTensors([fp32(body.subarray(5, 9))], true);
    expect(body.length).toBe(100);
    expect((tensors[0]!.data as Float32Array).buffer.byteLength).toBe(16);
    expect(transferList).toHaveLength(1);
  });

  it('copies owned buffers too when move is false', () => {
    const data = new Float32Array([1]);
    const { tensors, transferList } = packTensors([fp32(data)], false);
    expect(data.length).toBe(1);
    expect(tensors[0]?.data).not.toBe(data);
    expect(transferList).toHaveLength(1);
  });

  it('packs BYTES elements into one buffer', () => {
    const body = new Uint8Array([9, 1, 2, 9, 3, 9]);
    const { tensors, transferList } = packTensors(
      [
        {
          name: 's',
          datatype: 'BYTES',
          shape: [2],
          data: [body.subarray(1, 3), body.subarray(4, 5)],
        },
      ],
      true,
    );
    const out = tensors[0]?.data as Uint8Array[];
    expect(out.map((b) => Array.from(b))).toEqual([[1, 2], [3]]);
    expect(out[0]?.buffer).toBe(out[1]?.buffer);
    expect(transferList).toEqual([out[0]?.buffer]);
    expect(body.length).toBe(6);
  });

  it('shares a SharedArrayBuffer instead of transferring it', () => {
    const data = new Float32Array(new SharedArrayBuffer(8));
    const { tensors, transferList } = packTensors([fp32(data)], true);
    expect(tensors[0]?.data).toBe(data);
    expect(transferList).toHaveLength(0);
  });

  it('copies a buffer that cannot be detached (WebAssembly memory)', () => {
    // The ES2023 lib has no WebAssembly types; the global exists in Node.
    const { Memory } = (globalThis as unknown as WasmGlobal).WebAssembly;
    const memory = new Memory({ initial: 1 });
    const data = new Float32Array(memory.buffer);
    const { tensors, transferList } = packTensors([fp32(data)], true);
    expect(memory.buffer.byteLength).toBe(65536);
    expect((tensors[0]!.data as Float32Array).length).toBe(16384);
    expect(transferList).toHaveLength(1);
  });

  it('keeps the offset and length of a view over a buffer moved in the same message', () => {
    const whole = new Float32Array([1, 2, 3, 4]);
    const { tensors, transferList } = packTensors(
      [fp32(whole), fp32(whole.subarray(2, 4)), fp32(whole.subarray(1, 1))],
      true,
    );
    expect(transferList).toHaveLength(1);
    expect(tensors.map((t) => Array.from(t.data as Float32Array))).toEqual([
      [1, 2, 3, 4],
      [3, 4],
      [],
    ]);
    expect((tensors[1]!.data as Float32Array).buffer).toBe(transferList[0]);
  });

  it('copies a Node Buffer view into a Uint8Array of its own, never listing the caller buffer', () => {
    const body = Buffer.alloc(64 * 1024, 1);
    const { tensors, transferList } = packTensors([u8(body.subarray(100, 200))], true);
    const copy = tensors[0]!.data as Uint8Array;
    expect(Object.getPrototypeOf(copy)).toBe(Uint8Array.prototype);
    expect(copy.buffer.byteLength).toBe(100);
    expect(transferList).toEqual([copy.buffer]);
  });

  it('copies an owned Node Buffer with move false, and two views of one Buffer apart', () => {
    const owned = Buffer.alloc(16 * 1024, 7);
    const body = Buffer.alloc(64 * 1024, 2);
    const { tensors, transferList } = packTensors(
      [u8(owned), u8(body.subarray(0, 10)), u8(body.subarray(10, 20))],
      false,
    );
    expect(transferList).toHaveLength(3);
    expect(new Set(transferList).size).toBe(3);
    expect(transferList).not.toContain(owned.buffer);
    expect(transferList).not.toContain(body.buffer);
    expect(tensors.map((t) => (t.data as Uint8Array).length)).toEqual([16 * 1024, 10, 10]);
  });

  it('keeps only the fields of a Tensor', () => {
    const tensor = { ...fp32(new Float32Array([1])), parameters: { a: 1 }, extra: () => 1 };
    const { tensors } = packTensors([tensor], true);
    expect(Object.keys(tensors[0]!).sort()).toEqual([
      'data',
      'datatype',
      'name',
      'parameters',
      'shape',
    ]);
  });
});
