import {
  DATATYPES,
  decodeInferenceRequest,
  decodeInferenceResponse,
  decodeTensor,
  encodeInferenceRequest,
  encodeInferenceResponse,
  encodeTensor,
  type Tensor,
} from '@infer/codecs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { nest, sameTensor, tensorArbitrary } from './arbitraries';

const RUNS = 60;

describe.each(DATATYPES)('%s round-trips', (datatype) => {
  it('through a JSON request (encodeInferenceRequest -> decodeInferenceRequest)', () => {
    fc.assert(
      fc.property(tensorArbitrary({ json: true, datatype }), (tensor) => {
        const { body } = encodeInferenceRequest({ inputs: [tensor] });
        const decoded = decodeInferenceRequest(body).inputs[0]!;
        expect(sameTensor(decoded, tensor)).toBe(true);
      }),
      { numRuns: RUNS },
    );
  });

  it('through a binary request, NaN and Infinity included', () => {
    fc.assert(
      fc.property(tensorArbitrary({ json: false, datatype }), (tensor) => {
        const { body, headers } = encodeInferenceRequest({ inputs: [tensor] }, { binary: true });
        const decoded = decodeInferenceRequest(body, {
          headerLength: headers['inference-header-content-length'],
        }).inputs[0]!;
        expect(sameTensor(decoded, tensor)).toBe(true);
      }),
      { numRuns: RUNS },
    );
  });

  it('through JSON and binary responses', () => {
    fc.assert(
      fc.property(tensorArbitrary({ json: true, datatype }), fc.boolean(), (tensor, binary) => {
        const encoded = encodeInferenceResponse(
          { model_name: 'm', id: '7', outputs: [tensor] },
          { parameters: { binary_data_output: binary } },
        );
        const headerLength = encoded.headers['inference-header-content-length'];
        expect(headerLength !== undefined).toBe(binary);
        const decoded = decodeInferenceResponse(encoded.body, { headerLength });
        expect(decoded.model_name).toBe('m');
        expect(decoded.id).toBe('7');
        expect(sameTensor(decoded.outputs[0]!, tensor)).toBe(true);
      }),
      { numRuns: RUNS },
    );
  });

  it('through encodeTensor/decodeTensor with flat and nested data', () => {
    fc.assert(
      fc.property(tensorArbitrary({ json: true, datatype }), (tensor) => {
        const json = encodeTensor(tensor);
        expect(json.data.every((item) => !Array.isArray(item))).toBe(true);
        expect(sameTensor(decodeTensor(json), tensor)).toBe(true);
        if (tensor.shape.length >= 2) {
          const nested = { ...json, data: nest(json.data, tensor.shape) };
          expect(sameTensor(decodeTensor(nested), tensor)).toBe(true);
        }
      }),
      { numRuns: RUNS },
    );
  });
});

it('mixes JSON and binary inputs in one request, in order', () => {
  fc.assert(
    fc.property(
      fc.array(fc.tuple(tensorArbitrary({ json: true }), fc.boolean()), {
        minLength: 1,
        maxLength: 5,
      }),
      (items) => {
        // Build a body by hand: some inputs as JSON data, others in the binary part.
        // The JSON side is built with JSON.stringify below, which writes -0 as 0 (the codec's
        // own encoder keeps -0): give those inputs +0.
        const tensors = items.map(([tensor, binary], i) => ({
          ...tensor,
          name: `in${i}`,
          data: binary ? tensor.data : withoutNegativeZero(tensor.data),
        })) as Tensor[];
        const binary = encodeInferenceRequest({ inputs: tensors }, { binary: true });
        const headerLength = Number(binary.headers['inference-header-content-length']);
        const header = JSON.parse(new TextDecoder().decode(binary.body.subarray(0, headerLength)));
        const parts: Uint8Array[] = [];
        let offset = headerLength;
        header.inputs.forEach(
          (input: { parameters: { binary_data_size: number }; data?: unknown }, i: number) => {
            const size = input.parameters.binary_data_size;
            const chunk = binary.body.subarray(offset, offset + size);
            offset += size;
            if (items[i]![1]) {
              parts.push(chunk);
            } else {
              delete (input as { parameters?: unknown }).parameters;
              input.data = encodeTensor(tensors[i]!).data;
            }
          },
        );
        const json = new TextEncoder().encode(JSON.stringify(header));
        const body = new Uint8Array(json.length + parts.reduce((n, p) => n + p.length, 0));
        body.set(json);
        let at = json.length;
        for (const part of parts) {
          body.set(part, at);
          at += part.length;
        }
        const decoded = decodeInferenceRequest(body, { headerLength: json.length });
        decoded.inputs.forEach((input, i) => {
          expect(sameTensor(input, tensors[i]!)).toBe(true);
        });
      },
    ),
    { numRuns: 100 },
  );
});

function withoutNegativeZero(data: Tensor['data']): Tensor['data'] {
  if (!(data instanceof Float32Array || data instanceof Float64Array)) return data;
  return data.map((value) => (Object.is(value, -0) ? 0 : value));
}
