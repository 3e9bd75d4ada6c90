import type { InferenceRequest, Tensor } from '@infer/codecs';
import { InvalidInputError, OutputNotFoundError } from './errors';
import type { ModelMetadataV1, TensorMetadata } from './spec';

/**
 * `FP32 [-1,3]`: how messages show a tensor's datatype and shape.
 *
 * @internal
 * @example
 * describeTensor({ datatype: 'FP32', shape: [-1, 3] }); // 'FP32 [-1,3]'
 */
export function describeTensor(tensor: { datatype: string; shape: readonly number[] }): string {
  return `${tensor.datatype} [${tensor.shape.join(',')}]`;
}

function shapeFits(declared: readonly number[], actual: readonly number[]): boolean {
  if (declared.length !== actual.length) return false;
  return declared.every((dim, index) => dim === -1 || dim === actual[index]);
}

function dataLength(tensor: Tensor): number {
  return (tensor.data as ArrayLike<unknown>).length;
}

function checkInput(tensor: Tensor, declared: TensorMetadata): void {
  const expected = describeTensor(declared);
  const received = describeTensor(tensor);
  const context = { input: tensor.name, expected, received };
  if (tensor.datatype !== declared.datatype || !shapeFits(declared.shape, tensor.shape)) {
    throw new InvalidInputError(
      `input "${tensor.name}" must be ${expected} (-1: any size), got ${received}`,
      context,
    );
  }
  const count = tensor.shape.reduce((product, dim) => product * dim, 1);
  if (dataLength(tensor) !== count) {
    throw new InvalidInputError(
      `input "${tensor.name}" has ${dataLength(tensor)} elements but shape [${tensor.shape.join(',')}] needs ${count}`,
      context,
    );
  }
}

/**
 * Checks a decoded request against a model's declared inputs and outputs: every declared
 * input present once, no unknown input, datatypes equal, shapes equal where the declared
 * dim is not `-1`, data length matching the shape, requested outputs declared. Throws
 * `InvalidInputError` (400) naming the input and the expectation, or `OutputNotFoundError`.
 *
 * @example
 * validateRequest(request, model.metadata()); // throws InvalidInputError: input "x" must be FP32 [-1,3] ...
 */
export function validateRequest(
  request: InferenceRequest,
  metadata: Pick<ModelMetadataV1, 'name' | 'inputs' | 'outputs'>,
): void {
  const declared = new Map(metadata.inputs.map((input) => [input.name, input]));
  const seen = new Set<string>();
  for (const tensor of request.inputs) {
    const spec = declared.get(tensor.name);
    if (spec === undefined) {
      const names = [...declared.keys()].map((name) => `"${name}"`).join(', ');
      throw new InvalidInputError(
        `unknown input "${tensor.name}"; model "${metadata.name}" takes ${names || 'no inputs'}`,
        { input: tensor.name },
      );
    }
    if (seen.has(tensor.name)) {
      throw new InvalidInputError(`input "${tensor.name}" is given more than once`, {
        input: tensor.name,
      });
    }
    seen.add(tensor.name);
    checkInput(tensor, spec);
  }
  for (const spec of metadata.inputs) {
    if (!seen.has(spec.name)) {
      throw new InvalidInputError(`missing input "${spec.name}" (${describeTensor(spec)})`, {
        input: spec.name,
        expected: describeTensor(spec),
      });
    }
  }
  if (request.outputs && metadata.outputs.length > 0) {
    const outputs = new Set(metadata.outputs.map((output) => output.name));
    for (const requested of request.outputs) {
      if (!outputs.has(requested.name)) {
        throw new OutputNotFoundError({ model: metadata.name, output: requested.name });
      }
    }
  }
}
