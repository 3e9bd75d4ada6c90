import { checkParameters, withoutParameter } from './check-parameters';
import { isDatatype } from './datatypes';
import { type ElementContext, placePath, TensorPlace } from './decode-json-elements';
import { describeValue } from './describe-value';
import { elementCount } from './element-count';
import { CodecError } from './errors';
import { DATATYPES, type Datatype, type Parameters, type Tensor } from './types';

/** @internal The checked JSON envelope of one tensor, before its data is decoded. */
export interface TensorHeader {
  name: string;
  datatype: Datatype;
  shape: number[];
  count: number;
  parameters: Parameters | undefined;
  /** `parameters.binary_data_size` when the data follows the JSON (binary extension). */
  binarySize: number | undefined;
  data: unknown;
  context: ElementContext;
}

/**
 * Checks the envelope of a `$request_input` / `$response_output` JSON object: name,
 * datatype, shape (non-negative integer dims, safe element count) and parameters.
 *
 * @internal
 */
export function readTensorHeader(json: unknown, list: string, index = -1): TensorHeader {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new CodecError(`${placePath(list, index)} must be an object, got ${describeValue(json)}`);
  }
  const record = json as Record<string, unknown>;
  const name = record['name'];
  if (typeof name !== 'string' || name.length === 0) {
    throw new CodecError(
      `${placePath(list, index)}.name must be a non-empty string, got ${describeValue(name)}`,
    );
  }
  // Error texts only: built when one is thrown.
  const context = new TensorPlace(list, index, name);
  const datatype = record['datatype'];
  if (!isDatatype(datatype)) {
    throw new CodecError(
      `${context.where}: datatype must be one of ${DATATYPES.join(', ')}, got ${describeValue(datatype)}`,
      { input: name },
    );
  }
  const shape = record['shape'];
  if (!Array.isArray(shape)) {
    throw new CodecError(
      `${context.where}: shape must be an array of integers, got ${describeValue(shape)}`,
      {
        input: name,
      },
    );
  }
  let count: number;
  try {
    count = elementCount(shape, 'shape');
  } catch (error) {
    throw new CodecError(`${context.where}: ${(error as Error).message}`, {
      input: name,
      cause: error,
    });
  }
  const rawParameters = record['parameters'];
  const parameters =
    rawParameters === undefined
      ? undefined
      : checkParameters(rawParameters, `${context.where}: parameters`, name);
  const size = parameters?.['binary_data_size'];
  if (size !== undefined && (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0)) {
    throw new CodecError(
      `${context.where}: parameters.binary_data_size must be a non-negative integer, got ${describeValue(size)}`,
      { input: name },
    );
  }
  if (size !== undefined && record['data'] !== undefined) {
    throw new CodecError(
      `${context.where}: has both data and parameters.binary_data_size; send one`,
      {
        input: name,
      },
    );
  }
  return {
    name,
    datatype,
    shape: shape as number[],
    count,
    parameters,
    binarySize: size,
    data: record['data'],
    context,
  };
}

/** @internal A decoded tensor from a checked header and its typed data. */
export function makeTensor(header: TensorHeader, data: Tensor['data']): Tensor {
  const tensor: Tensor = {
    name: header.name,
    datatype: header.datatype,
    shape: header.shape,
    data,
  };
  const parameters = withoutParameter(header.parameters, 'binary_data_size');
  if (parameters !== undefined) tensor.parameters = parameters;
  return tensor;
}
