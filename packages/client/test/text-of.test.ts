import type { Tensor } from '@infer/codecs';
import { describe, expect, it } from 'vitest';
import { InferClientError, textOf } from '../src/index';

describe('textOf', () => {
  it('reads any BYTES output as strings, typed by a schema or not', () => {
    const untyped: Record<string, Tensor> = {
      label: {
        name: 'label',
        datatype: 'BYTES',
        shape: [2],
        data: [new TextEncoder().encode('house finch'), new Uint8Array([0xff])],
      },
    };
    expect(textOf(untyped.label!)).toEqual(['house finch', '\uFFFD']);
  });

  it('refuses an output of another datatype with a typed error', () => {
    const probabilities: Tensor = {
      name: 'p',
      datatype: 'FP32',
      shape: [1],
      data: new Float32Array([0.5]),
    };
    expect(() => textOf(probabilities)).toThrow(/needs a BYTES tensor, got FP32/);
    try {
      textOf(probabilities);
    } catch (error) {
      expect(InferClientError.isInstance(error)).toBe(true);
    }
  });
});
