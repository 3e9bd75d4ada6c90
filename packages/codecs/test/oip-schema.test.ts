import {
  CodecError,
  createTypedArray,
  DATATYPES,
  decodeInferenceRequest,
  decodeInferenceResponse,
  encodeInferenceRequest,
  encodeInferenceResponse,
  errorResponseSchema,
  inferenceRequestSchema,
  inferenceResponseSchema,
  modelMetadataSchema,
  serverMetadataSchema,
  type Tensor,
} from '@infer/codecs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { tensorArbitrary } from './arbitraries';
import { specExamples, specValidator } from './oip-spec';

const validateRequest = specValidator('inference_request');
const validateResponse = specValidator('inference_response');
const text = (body: Uint8Array) => new TextDecoder().decode(body);

describe('the OIP spec loads into a real JSON-schema validator', () => {
  it('rejects what the spec rejects, so validation below can fail', () => {
    expect(validateRequest({ inputs: 'x' })).toBe(false);
    expect(validateRequest({})).toBe(false);
    expect(validateResponse({ outputs: [] })).toBe(false);
    expect(
      specValidator('request_input')({ name: 'x', shape: [1.5], datatype: 'FP32', data: [] }),
    ).toBe(false);
  });
});

describe('encoded requests and responses are valid against open_inference_rest.yaml', () => {
  it('a JSON request for every datatype (property)', () => {
    fc.assert(
      fc.property(
        fc.array(tensorArbitrary({ json: true }), { minLength: 1, maxLength: 3 }),
        (tensors) => {
          const inputs = uniqueNames(tensors);
          const { body } = encodeInferenceRequest({
            id: 'r1',
            parameters: { priority: 1, trace: true, tag: 'a' },
            inputs,
            outputs: [{ name: 'out', parameters: { binary_data: false } }],
          });
          const json: unknown = JSON.parse(text(body));
          expect(validateRequest(json), JSON.stringify(validateRequest.errors)).toBe(true);
          expect(inferenceRequestSchema.safeParse(json).success).toBe(true);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('a JSON response for every datatype (property)', () => {
    fc.assert(
      fc.property(
        fc.array(tensorArbitrary({ json: true }), { minLength: 0, maxLength: 3 }),
        (tensors) => {
          const { body, headers } = encodeInferenceResponse({
            model_name: 'm',
            model_version: '1',
            id: 'r1',
            outputs: uniqueNames(tensors),
          });
          expect(headers['content-type']).toBe('application/json');
          const json: unknown = JSON.parse(text(body));
          expect(validateResponse(json), JSON.stringify(validateResponse.errors)).toBe(true);
          expect(inferenceResponseSchema.safeParse(json).success).toBe(true);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('covers all 14 datatypes', () => {
    const body = JSON.parse(
      text(
        encodeInferenceRequest({
          inputs: DATATYPES.map((datatype) => ({
            name: datatype,
            datatype,
            shape: [0],
            data: createTypedArray(datatype, 0),
          })) as Tensor[],
        }).body,
      ),
    );
    expect(validateRequest(body)).toBe(true);
    expect(body.inputs.map((input: { datatype: string }) => input.datatype)).toEqual([
      ...DATATYPES,
    ]);
  });

  it('the JSON header of a binary response is valid except for the data the extension moves out', () => {
    const { body, headers } = encodeInferenceResponse(
      {
        model_name: 'm',
        outputs: [{ name: 'y', datatype: 'FP32', shape: [2], data: new Float32Array([1, 2]) }],
      },
      { parameters: { binary_data_output: true } },
    );
    const headerLength = Number(headers['inference-header-content-length']);
    const json = JSON.parse(text(body.subarray(0, headerLength)));
    expect(json.outputs[0].parameters).toEqual({ binary_data_size: 8 });
    expect(validateResponse(json)).toBe(false);
    expect(validateResponse({ ...json, outputs: [{ ...json.outputs[0], data: [] }] })).toBe(true);
  });
});

describe("the spec's own examples", () => {
  const examples = specExamples('inference_request');

  it('Example 1 passes the schema but our decoder rejects its BOOL input (shape [3], one value)', () => {
    const example = examples['Example 1'];
    expect(example).toBeDefined();
    expect(validateRequest(example)).toBe(true);
    expect(inferenceRequestSchema.safeParse(example).success).toBe(true);
    const error = catchError(() => decodeInferenceRequest(JSON.stringify(example)));
    expect(CodecError.isInstance(error)).toBe(true);
    expect(error.message).toBe('inputs[1] "input1": data has 1 element but shape [3] needs 3');
    expect(error.input).toBe('input1');
  });

  it('Example 1 with three BOOL values decodes', () => {
    const example = structuredClone(examples['Example 1']) as {
      inputs: { data: unknown[] }[];
    };
    example.inputs[1]!.data = [true, false, true];
    const request = decodeInferenceRequest(example);
    expect(request.id).toBe('42');
    expect(request.inputs[0]!.data).toEqual(new Uint32Array([1, 2, 3, 4]));
    expect(request.inputs[1]!.data).toEqual(new Uint8Array([1, 0, 1]));
    expect(request.outputs).toEqual([{ name: 'output0' }]);
  });

  it('Example 2 (outputs with data, no inputs) fails the schema and our decoder alike', () => {
    const example = examples['Example 2'];
    expect(example).toBeDefined();
    expect(validateRequest(example)).toBe(false);
    expect(inferenceRequestSchema.safeParse(example).success).toBe(false);
    expect(() => decodeInferenceRequest(example)).toThrow(/^inputs is missing$/);
  });

  it("inference_rest.md's example response lacks model_name: schema and decoder reject it", () => {
    // The markdown example, with its missing comma after "id" fixed.
    const response = {
      id: '42',
      outputs: [
        { name: 'output0', shape: [3, 2], datatype: 'FP32', data: [1.0, 1.1, 2.0, 2.1, 3.0, 3.1] },
      ],
    };
    expect(validateResponse(response)).toBe(false);
    expect(() => decodeInferenceResponse(response)).toThrow(
      'model_name must be a string, got nothing',
    );
    const fixed = decodeInferenceResponse({ ...response, model_name: 'mymodel' });
    expect(fixed.outputs[0]!.data).toEqual(new Float32Array([1.0, 1.1, 2.0, 2.1, 3.0, 3.1]));
    expect(validateResponse({ ...response, model_name: 'mymodel' })).toBe(true);
  });
});

describe('zod schemas agree with the spec on metadata and errors', () => {
  const cases: [string, (value: unknown) => boolean, unknown, boolean][] = [
    [
      'metadata_server_response',
      (v) => serverMetadataSchema.safeParse(v).success,
      { name: 'infer', version: '1', extensions: ['binary_tensor_data'] },
      true,
    ],
    [
      'metadata_server_response',
      (v) => serverMetadataSchema.safeParse(v).success,
      { name: 'infer', version: '1' },
      false,
    ],
    [
      'metadata_model_response',
      (v) => modelMetadataSchema.safeParse(v).success,
      {
        name: 'm',
        versions: ['1'],
        platform: 'onnx',
        inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, 3] }],
        outputs: [],
      },
      true,
    ],
    [
      'metadata_model_response',
      (v) => modelMetadataSchema.safeParse(v).success,
      { name: 'm', inputs: [], outputs: [] },
      false,
    ],
    [
      'metadata_model_response',
      (v) => modelMetadataSchema.safeParse(v).success,
      {
        name: 'm',
        platform: 'onnx',
        inputs: [{ name: 'x', datatype: 'FP32', shape: [1.5] }],
        outputs: [],
      },
      false,
    ],
    [
      'metadata_model_error_response',
      (v) => errorResponseSchema.safeParse(v).success,
      { error: 'no such model' },
      true,
    ],
    [
      'inference_error_response',
      (v) => errorResponseSchema.safeParse(v).success,
      { error: 'bad input' },
      true,
    ],
  ];
  it.each(cases)('%s: %j -> %s', (name, zodAccepts, value, valid) => {
    expect(specValidator(name)(value)).toBe(valid);
    expect(zodAccepts(value)).toBe(valid);
  });
});

function uniqueNames(tensors: Tensor[]): Tensor[] {
  return tensors.map((tensor, i) => ({ ...tensor, name: `t${i}` }));
}

function catchError(run: () => unknown): CodecError {
  try {
    run();
  } catch (error) {
    return error as CodecError;
  }
  throw new Error('expected an error');
}
