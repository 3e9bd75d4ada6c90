import { formatShape, type InferenceRequest, type Tensor } from '@infer/codecs';
import { InvalidInputError, OutputNotFoundError } from './errors';
import type { ModelMetadataV1, TensorMetadata } from './spec';

/**
 * Set by `ServedModel` on the predict options to the very request object it has validated
 * against the model's metadata: a model that validates too (`defineModel`) skips its own
 * check only for that object. A request the model gets from elsewhere (a batch assembled
 * from several, a wrapper's new request passed on with the same options) is checked.
 *
 * @internal
 */
export const VALIDATED: unique symbol = Symbol('infer.validated');

/**
 * Set (to `true`) on a model built with `defineModel({ validate: false })`: `ServedModel`
 * then does not check its requests against the metadata either, unless its own options say
 * `validate: true`. Without it the model's flag only reached direct `predict()` calls, and a
 * served model answered 400 to the requests it was declared to take.
 *
 * @internal
 */
export const UNVALIDATED: unique symbol = Symbol('infer.unvalidated');

/** Predict options that may carry {@link VALIDATED}. @internal */
export interface ValidatedOptions {
  [VALIDATED]?: object;
}

/**
 * `FP32 [-1,3]`: how messages show a tensor's datatype and shape.
 *
 * @internal
 * @example
 * describeTensor({ datatype: 'FP32', shape: [-1, 3] }); // 'FP32 [-1,3]'
 */
export function describeTensor(tensor: { datatype: string; shape: readonly number[] }): string {
  return `${tensor.datatype} ${formatShape(tensor.shape)}`;
}

function shapeFits(declared: readonly number[], actual: readonly number[]): boolean {
  if (declared.length !== actual.length) return false;
  for (let index = 0; index < declared.length; index++) {
    const dim = declared[index];
    if (dim !== -1 && dim !== actual[index]) return false;
  }
  return true;
}

function dataLength(tensor: Tensor): number {
  return (tensor.data as ArrayLike<unknown>).length;
}

function elements(shape: readonly number[]): number {
  let count = 1;
  for (let index = 0; index < shape.length; index++) count *= shape[index]!;
  return count;
}

// Messages (and their strings) are built only on failure: this runs on every request.
function checkInput(tensor: Tensor, declared: TensorMetadata): void {
  if (tensor.datatype !== declared.datatype || !shapeFits(declared.shape, tensor.shape)) {
    const expected = describeTensor(declared);
    const received = describeTensor(tensor);
    throw new InvalidInputError(
      `input "${tensor.name}" must be ${expected} (-1: any size), got ${received}`,
      { input: tensor.name, expected, received },
    );
  }
  const count = elements(tensor.shape);
  if (dataLength(tensor) !== count) {
    const expected = describeTensor(declared);
    const received = describeTensor(tensor);
    throw new InvalidInputError(
      `input "${tensor.name}" has ${dataLength(tensor)} elements but shape ${formatShape(tensor.shape)} needs ${count}`,
      { input: tensor.name, expected, received },
    );
  }
}

/** The declared input named `name`, the first one when names repeat (as a Map built from the list). */
function declaredInput(
  inputs: readonly TensorMetadata[],
  name: string,
): TensorMetadata | undefined {
  let found: TensorMetadata | undefined;
  for (let index = 0; index < inputs.length; index++) {
    const input = inputs[index]!;
    // A Map built from the list keeps the last entry of a repeated name.
    if (input.name === name) found = input;
  }
  return found;
}

/** Up to this many inputs, lookups scan the lists (no Map or Set per request). */
const SMALL = 16;

/** Whether `name` appears among the names of `tensors[0..end)`. */
function seenBefore(tensors: readonly Tensor[], end: number, name: string): boolean {
  for (let index = 0; index < end; index++) if (tensors[index]!.name === name) return true;
  return false;
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
  const declared = metadata.inputs;
  const tensors = request.inputs;
  if (declared.length > SMALL || tensors.length > SMALL) {
    validateMany(request, metadata);
    return;
  }
  for (let index = 0; index < tensors.length; index++) {
    const tensor = tensors[index]!;
    const spec = declaredInput(declared, tensor.name);
    if (spec === undefined) {
      const names = [...new Set(declared.map((input) => input.name))]
        .map((name) => `"${name}"`)
        .join(', ');
      throw new InvalidInputError(
        `unknown input "${tensor.name}"; model "${metadata.name}" takes ${names || 'no inputs'}`,
        { input: tensor.name },
      );
    }
    if (seenBefore(tensors, index, tensor.name)) {
      throw new InvalidInputError(`input "${tensor.name}" is given more than once`, {
        input: tensor.name,
      });
    }
    checkInput(tensor, spec);
  }
  for (let index = 0; index < declared.length; index++) {
    const spec = declared[index]!;
    if (!seenBefore(tensors, tensors.length, spec.name)) {
      throw new InvalidInputError(`missing input "${spec.name}" (${describeTensor(spec)})`, {
        input: spec.name,
        expected: describeTensor(spec),
      });
    }
  }
  checkOutputs(request, metadata);
}

/** Every requested output must be declared (when the model declares any). */
function checkOutputs(
  request: InferenceRequest,
  metadata: Pick<ModelMetadataV1, 'name' | 'outputs'>,
): void {
  const requested = request.outputs;
  if (!requested || metadata.outputs.length === 0) return;
  const outputs = metadata.outputs;
  for (const wanted of requested) {
    let known = false;
    for (let index = 0; index < outputs.length; index++) {
      if (outputs[index]!.name === wanted.name) {
        known = true;
        break;
      }
    }
    if (!known) throw new OutputNotFoundError({ model: metadata.name, output: wanted.name });
  }
}

/** {@link validateRequest} for many inputs: the same checks and messages, with a Map and a Set. */
function validateMany(
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
  checkOutputs(request, metadata);
}
