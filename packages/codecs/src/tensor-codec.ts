import { withoutParameter } from './check-parameters';
import { isDatatype, typedArrayConstructor } from './datatypes';
import { decodeJsonElements, type ElementContext, TensorPlace } from './decode-json-elements';
import { describeValue } from './describe-value';
import { elementCount } from './element-count';
import { jsonElementsArray } from './encode-json-elements';
import { CodecError } from './errors';
import { flattenData } from './flatten-data';
import type { ResponseOutputJSON } from './schemas';
import { makeTensor, readTensorHeader, type TensorHeader } from './tensor-header';
import type { Tensor } from './types';

/** @internal JSON data of a checked header to a tensor. */
export function decodeTensorJson(header: TensorHeader): Tensor {
  if (header.data === undefined) {
    throw new CodecError(`${header.context.where}: data is missing`, { input: header.name });
  }
  const flat = flattenData(header.data, header.shape, header.count, header.context);
  return makeTensor(header, decodeJsonElements(header.datatype, flat, header.context));
}

/**
 * Decodes one JSON tensor (`$request_input` or `$response_output` with `data`) to a typed
 * tensor. Data may be flat or nested row-major; every element is checked against the
 * datatype and the element count against the shape.
 *
 * @param path how error messages name the tensor, e.g. `inputs[0]` (default `input`).
 * @throws CodecError naming the tensor, the element index and what was expected.
 * @example
 * decodeTensor({ name: 'x', datatype: 'INT32', shape: [2, 2], data: [[1, 2], [3, 4]] }).data; // Int32Array [1, 2, 3, 4]
 */
export function decodeTensor(json: unknown, path = 'input'): Tensor {
  const header = readTensorHeader(json, path);
  if (header.binarySize !== undefined) {
    throw new CodecError(
      `${header.context.where}: data is in the binary extension (parameters.binary_data_size); decode the whole body with decodeInferenceRequest and its header length`,
      { input: header.name },
    );
  }
  return decodeTensorJson(header);
}

/**
 * Encodes a typed tensor as a JSON `$response_output` with flat `data` (BOOL as booleans,
 * BYTES as UTF-8 strings, FP16 as numbers, 64-bit integers as numbers when safe and decimal
 * strings otherwise).
 *
 * @throws CodecError for NaN/Infinity or non-UTF-8 BYTES, which JSON cannot carry.
 * @example
 * encodeTensor({ name: 'y', datatype: 'FP32', shape: [2], data: new Float32Array([1, 2]) });
 * // { name: 'y', datatype: 'FP32', shape: [2], data: [1, 2] }
 */
export function encodeTensor(
  tensor: Tensor,
  path = 'output',
): ResponseOutputJSON & {
  data: Array<number | string | boolean>;
} {
  const context = checkTensor(tensor, path);
  const json: ResponseOutputJSON & { data: Array<number | string | boolean> } = {
    name: tensor.name,
    datatype: tensor.datatype,
    shape: tensor.shape,
    data: jsonElementsArray(tensor.datatype, tensor.data, context),
  };
  const parameters = withoutParameter(tensor.parameters, 'binary_data_size');
  if (parameters !== undefined) json.parameters = parameters;
  return json;
}

/**
 * Checks an in-memory tensor before encoding: known datatype, the right storage, and an
 * element count that matches the shape.
 *
 * @internal
 */
export function checkTensor(tensor: Tensor, list: string, index = -1): ElementContext {
  // Error texts only: built when one is thrown.
  const context = new TensorPlace(list, index, tensor.name);
  if (!isDatatype(tensor.datatype)) {
    throw new CodecError(`${context.where}: unknown datatype ${describeValue(tensor.datatype)}`, {
      input: tensor.name,
    });
  }
  const storage =
    tensor.datatype === 'BYTES'
      ? Array.isArray(tensor.data) && tensor.data.every((item) => item instanceof Uint8Array)
      : tensor.data instanceof typedArrayConstructor(tensor.datatype);
  if (!storage) {
    const expected =
      tensor.datatype === 'BYTES'
        ? 'an array of Uint8Array'
        : typedArrayConstructor(tensor.datatype).name;
    throw new CodecError(
      `${context.where}: data of a ${tensor.datatype} tensor must be ${expected}, got ${describeValue(tensor.data)}`,
      {
        input: tensor.name,
      },
    );
  }
  const count = shapeCount(tensor.shape, context);
  const length = (tensor.data as { length?: unknown } | undefined)?.length;
  if (length !== count) {
    throw new CodecError(
      `${context.where}: data has ${String(length)} elements but shape [${tensor.shape.join(',')}] needs ${count}`,
      { input: tensor.name },
    );
  }
  return context;
}

/**
 * `elementCount(shape)` with errors naming the tensor (`outputs[0] "y": shape[1] must be
 * ...`); the name is only put together for a bad shape.
 */
function shapeCount(shape: readonly number[], context: ElementContext): number {
  let count = 1;
  for (let i = 0; i < shape.length; i++) {
    const dim = shape[i];
    if (typeof dim !== 'number' || !Number.isSafeInteger(dim) || dim < 0) {
      return elementCount(shape, `${context.where}: shape`);
    }
    count *= dim;
  }
  return Number.isSafeInteger(count) ? count : elementCount(shape, `${context.where}: shape`);
}
