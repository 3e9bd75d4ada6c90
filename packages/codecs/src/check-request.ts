import { checkParameters } from './check-parameters';
import { describeValue } from './describe-value';
import { CodecError } from './errors';
import { checkTensor } from './tensor-codec';
import type { InferenceRequest } from './types';

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Checks that an in-memory request built by the caller is a well-formed decoded
 * `InferenceRequest`: an object with an `inputs` array of tensors, each with a string name,
 * a known datatype, a shape of non-negative integers, typed data of that datatype
 * (`Float32Array` for FP32, an array of `Uint8Array` for BYTES, ...) whose length matches
 * the shape; optional `outputs` naming strings; parameters of strings, numbers and booleans.
 * A decoded HTTP or gRPC body always passes: this is for requests made in code, where plain
 * arrays, typos and `undefined` would otherwise reach the model.
 *
 * @throws CodecError (400) naming the place and what was expected.
 * @example
 * checkInferenceRequest({ inputs: [{ name: 'x', datatype: 'FP32', shape: [1], data: [1] }] });
 * // throws CodecError: inputs[0] "x": data of a FP32 tensor must be Float32Array, got an array
 */
export function checkInferenceRequest(value: unknown): asserts value is InferenceRequest {
  if (!isObject(value)) {
    throw new CodecError(
      `an inference request must be an object with inputs, got ${describeValue(value)}`,
    );
  }
  const { inputs, outputs, id } = value;
  if (id !== undefined && typeof id !== 'string') {
    throw new CodecError(`id must be a string, got ${describeValue(id)}`);
  }
  if (!Array.isArray(inputs)) {
    throw new CodecError(
      inputs === undefined
        ? 'inputs is missing'
        : `inputs must be an array of tensors, got ${describeValue(inputs)}`,
    );
  }
  for (let index = 0; index < inputs.length; index++) {
    const tensor: unknown = inputs[index];
    const place = `inputs[${index}]`;
    if (!isObject(tensor)) {
      throw new CodecError(`${place} must be a tensor object, got ${describeValue(tensor)}`);
    }
    if (typeof tensor['name'] !== 'string') {
      throw new CodecError(`${place}.name must be a string, got ${describeValue(tensor['name'])}`);
    }
    if (!Array.isArray(tensor['shape'])) {
      throw new CodecError(
        `${place} ${JSON.stringify(tensor['name'])}: shape must be an array, got ${describeValue(tensor['shape'])}`,
        { input: tensor['name'] },
      );
    }
    checkTensor(tensor as never, 'inputs', index);
    checkParameters(tensor['parameters'], `${place}.parameters`, tensor['name']);
  }
  if (outputs !== undefined) {
    if (!Array.isArray(outputs)) {
      throw new CodecError(`outputs must be an array, got ${describeValue(outputs)}`);
    }
    for (let index = 0; index < outputs.length; index++) {
      const output: unknown = outputs[index];
      if (!isObject(output) || typeof output['name'] !== 'string') {
        throw new CodecError(
          `outputs[${index}] must be an object with a string name, got ${describeValue(output)}`,
        );
      }
      checkParameters(output['parameters'], `outputs[${index}].parameters`);
    }
  }
  checkParameters(value['parameters'], 'parameters');
}
