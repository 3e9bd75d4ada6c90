import { describe, expect, it } from 'vitest';
import { checkInferenceRequest, type InferenceRequest } from '../src';

describe('checkInferenceRequest', () => {
  it('passes a well-formed request of every storage kind', () => {
    const request: InferenceRequest = {
      id: 'r1',
      inputs: [
        { name: 'x', datatype: 'FP32', shape: [1, 2], data: new Float32Array(2) },
        { name: 'n', datatype: 'INT64', shape: [2], data: new BigInt64Array(2) },
        { name: 'b', datatype: 'BOOL', shape: [], data: new Uint8Array(1) },
        { name: 's', datatype: 'BYTES', shape: [1], data: [new Uint8Array([104, 105])] },
        { name: 'e', datatype: 'FP16', shape: [0, 3], data: new Uint16Array(0) },
      ],
      // An unset option left undefined is no error (JSON would drop the key).
      outputs: [{ name: 'y', parameters: { classification: 3, binary_data: undefined as never } }],
      parameters: { content_type: 'np' },
    };
    expect(() => checkInferenceRequest(request)).not.toThrow();
  });

  it.each([
    [null, 'an inference request must be an object with inputs, got null'],
    [[], 'an inference request must be an object with inputs, got an array'],
    [{ inputs: {} }, 'inputs must be an array of tensors, got an object'],
    [{ inputs: [{ name: 1 }] }, 'inputs[0].name must be a string, got 1'],
    [
      { inputs: [{ name: 's', datatype: 'BYTES', shape: [1], data: ['hi'] }] },
      'inputs[0] "s": data of a BYTES tensor must be an array of Uint8Array, got an array',
    ],
    [
      { inputs: [{ name: 'x', datatype: 'FP32', shape: [2], data: new Float32Array(3) }] },
      'inputs[0] "x": data has 3 elements but shape [2] needs 2',
    ],
    [
      {
        inputs: [
          { name: 'x', datatype: 'FP32', shape: [1], data: new Float32Array(1), parameters: 3 },
        ],
      },
      'inputs[0].parameters must be an object, got 3',
    ],
    [{ inputs: [], outputs: {} }, 'outputs must be an array, got an object'],
    [{ inputs: [], parameters: [] }, 'parameters must be an object, got an array'],
    [{ id: 7, inputs: [] }, 'id must be a string, got 7'],
  ])('refuses %j with a CodecError naming the place', (request, message) => {
    expect(() => checkInferenceRequest(request)).toThrow(message);
    expect(() => checkInferenceRequest(request)).toThrow(
      expect.objectContaining({ code: 'INFER_ERR_CODEC' }),
    );
  });
});
