import { InvalidInputError } from '@infer/core';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { dtypeOfTensorflowEnum, fromTfjsTensor, oipDatatypeOf, toTfjsTensor } from '../src/index';

describe('OIP <-> TF.js datatypes', () => {
  it('maps float32, int32, bool and string both ways', () => {
    expect(['float32', 'int32', 'bool', 'string', 'complex64'].map(oipDatatypeOf)).toEqual([
      'FP32',
      'INT32',
      'BOOL',
      'BYTES',
      undefined,
    ]);
    expect(
      ['DT_FLOAT', 'DT_INT64', 'DT_BOOL', 'DT_STRING', 'DT_COMPLEX64'].map(dtypeOfTensorflowEnum),
    ).toEqual(['float32', 'int32', 'bool', 'string', undefined]);
  });

  it('round-trips every served datatype through a TF.js tensor', async () => {
    const cases = [
      { name: 'f', datatype: 'FP32' as const, shape: [2], data: new Float32Array([1.5, -2]) },
      { name: 'i', datatype: 'INT32' as const, shape: [1, 2], data: new Int32Array([7, -9]) },
      { name: 'b', datatype: 'BOOL' as const, shape: [3], data: new Uint8Array([1, 0, 1]) },
      {
        name: 's',
        datatype: 'BYTES' as const,
        shape: [2],
        data: [new TextEncoder().encode('héllo'), new Uint8Array([0, 255])],
      },
    ];
    for (const tensor of cases) {
      const t = toTfjsTensor(tensor);
      const back = await fromTfjsTensor(tensor.name, t);
      t.dispose();
      expect(back).toEqual(tensor);
    }
  });

  it('refuses datatypes TF.js cannot hold, naming the input', () => {
    const error = (() => {
      try {
        toTfjsTensor({ name: 'x', datatype: 'INT64', shape: [1], data: new BigInt64Array(1) });
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(InvalidInputError);
    expect((error as InvalidInputError).input).toBe('x');
    expect((error as Error).message).toMatch(
      /input "x" is INT64; TF.js models take FP32, INT32, BOOL, BYTES/,
    );
  });

  it('refuses to encode a complex64 output', async () => {
    const t = tf.complex([1], [2]);
    await expect(fromTfjsTensor('c', t)).rejects.toThrow(/complex64/);
    t.dispose();
  });
});
