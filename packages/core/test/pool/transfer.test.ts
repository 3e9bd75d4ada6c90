import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixturePool, requestOf } from './pool-fixture';

describe('tensors cross threads as transferables', () => {
  const pool = fixturePool('identity', { workers: 1 });
  beforeAll(() => pool.start());
  afterAll(() => pool.close());

  it('moves an input buffer the tensor owns whole: the caller array is detached, no copy', async () => {
    const data = new Float32Array(1024 * 1024).fill(7); // 4 MiB
    const buffer = data.buffer;
    const result = await pool.run(requestOf(data));
    expect(buffer.byteLength).toBe(0); // detached: it was transferred, not cloned
    expect(data.length).toBe(0);
    const out = result.outputs[0]?.data as Float32Array;
    expect(out.length).toBe(1024 * 1024);
    expect(out[1024 * 1024 - 1]).toBe(7);
  });

  it('moves outputs back: the worker-side output buffer is detached after the reply', async () => {
    await pool.run(requestOf([1, 2]));
    // The fixture keeps a reference to its last output and reports, on the next call,
    // whether that buffer was detached in the worker: proof it was transferred, not cloned.
    const next = await pool.run(requestOf([3]));
    expect(next.parameters?.previousOutputDetached).toBe(true);
  });

  it('copies a view over a larger buffer (only its bytes) and leaves the caller intact', async () => {
    const body = new Float32Array(1000).map((_, i) => i);
    const view = body.subarray(10, 20);
    const result = await pool.run(requestOf(view));
    expect(body.buffer.byteLength).toBe(4000);
    expect(view.length).toBe(10);
    const out = result.outputs[0]?.data as Float32Array;
    expect(Array.from(out)).toEqual([10, 11, 12, 13, 14, 15, 16, 17, 18, 19]);
    // Only the view's bytes travelled, not the 4000-byte body.
    expect(out.buffer.byteLength).toBe(40);
  });

  it('transfer: false copies and leaves the caller array intact', async () => {
    const data = new Float32Array([1, 2, 3]);
    const result = await pool.run(requestOf(data), { transfer: false });
    expect(Array.from(data)).toEqual([1, 2, 3]);
    expect(Array.from(result.outputs[0]!.data as Float32Array)).toEqual([1, 2, 3]);
  });

  it('two tensors on one owned buffer arrive with their data', async () => {
    const data = new Float32Array([4, 5]);
    const result = await pool.run({
      inputs: [
        { name: 'a', datatype: 'FP32', shape: [2], data },
        { name: 'b', datatype: 'FP32', shape: [2], data },
      ],
    });
    expect(result.outputs.map((t) => Array.from(t.data as Float32Array))).toEqual([
      [4, 5],
      [4, 5],
    ]);
  });

  it('transferOutputs: false copies outputs in the worker', async () => {
    const copying = fixturePool('identity', { workers: 1, transferOutputs: false });
    await copying.start();
    await copying.run(requestOf([1]));
    const next = await copying.run(requestOf([2]));
    expect(next.parameters?.previousOutputDetached).toBe(false);
    await copying.close();
  });

  it('a Node Buffer is copied (transfer: false, or a view): the caller buffer stays whole', async () => {
    const owned = Buffer.alloc(16 * 1024, 7);
    const body = Buffer.alloc(64 * 1024, 2);
    const u8 = (name: string, data: Uint8Array) => ({
      name,
      datatype: 'UINT8' as const,
      shape: [data.length],
      data,
    });
    await pool.run({ inputs: [u8('x', owned)] }, { transfer: false });
    expect(owned.length).toBe(16 * 1024);
    const result = await pool.run({
      inputs: [u8('x', body.subarray(0, 10)), u8('y', body.subarray(10, 20))],
    });
    expect(body.length).toBe(64 * 1024);
    expect(result.outputs.map((t) => Array.from(t.data as Uint8Array))).toEqual([
      Array(10).fill(2),
      Array(10).fill(2),
    ]);
  });
});

describe('outputs cross threads as transferables', () => {
  it('a view over an output moved in the same reply keeps its offset and length', async () => {
    const pool = fixturePool('views-out', { workers: 1 });
    await pool.start();
    const result = await pool.run(requestOf([0]));
    expect(result.outputs.map((t) => Array.from(t.data as Float32Array))).toEqual([
      [1, 2, 3, 4],
      [3, 4],
    ]);
    await pool.close();
  });

  it('Node Buffer views over one Buffer arrive, and the thread lives on', async () => {
    const pool = fixturePool('buffer-out', { workers: 1 });
    await pool.start();
    for (let i = 0; i < 2; i += 1) {
      const result = await pool.run(requestOf([0]));
      expect(result.outputs.map((t) => (t.data as Uint8Array).length)).toEqual([100, 100]);
      expect((result.outputs[1]!.data as Uint8Array)[99]).toBe(5);
    }
    expect(pool.restarts).toBe(0);
    await pool.close();
  });
});
