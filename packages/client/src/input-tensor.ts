import {
  type Datatype,
  dataFromValues,
  datatypeOf,
  describeValue,
  isDatatype,
  type Parameters,
  type Tensor,
  type TensorData,
  typedArrayConstructor,
} from '@infer/codecs';
import { InferClientError, invalidInputFrom } from './errors';
import type { TensorSchema } from './model-schema';

const encoder = new TextEncoder();

function invalid(name: string, what: string): InferClientError {
  return new InferClientError('INFER_CLIENT_ERR_INVALID_INPUT', `inputs.${name}: ${what}`);
}

function isTensorInput(value: unknown): value is { data: unknown } {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    !ArrayBuffer.isView(value) &&
    'data' in value
  );
}

/**
 * Turns one input value (typed array, plain array, string, bytes or `{ data, shape?,
 * datatype?, parameters? }`) into a tensor, using the schema's datatype and shape when given.
 *
 * @internal
 */
export function toTensor(name: string, value: unknown, schema?: TensorSchema): Tensor {
  let data: unknown = value;
  let shape: unknown;
  let datatype: unknown = schema?.datatype;
  let parameters: Parameters | undefined;
  if (isTensorInput(value)) {
    const input = value as {
      data: unknown;
      shape?: unknown;
      datatype?: unknown;
      parameters?: Parameters;
    };
    data = input.data;
    shape = input.shape;
    if (input.datatype !== undefined) datatype = input.datatype;
    parameters = input.parameters;
  }
  if (datatype === undefined) datatype = inferDatatype(name, data);
  if (!isDatatype(datatype)) {
    throw invalid(name, `datatype must be an OIP datatype, got ${String(datatype)}`);
  }
  const typed = toData(name, datatype, data);
  const tensor: Tensor = {
    name,
    datatype,
    shape: toShape(name, shape, schema?.shape, typed.length),
    data: typed,
  };
  if (parameters !== undefined) tensor.parameters = parameters;
  return tensor;
}

function inferDatatype(name: string, data: unknown): Datatype {
  if (typeof data === 'string') return 'BYTES';
  const known = datatypeOf(data);
  if (known !== undefined) return known;
  if (Array.isArray(data) && data.length > 0) {
    if (data.every((item) => typeof item === 'string' || item instanceof Uint8Array))
      return 'BYTES';
    if (data.every((item) => typeof item === 'boolean')) return 'BOOL';
    if (data.every((item) => typeof item === 'bigint')) return 'INT64';
  }
  throw invalid(
    name,
    Array.isArray(data)
      ? 'a plain array of numbers needs a datatype ({ data, datatype: "FP32" }) or a typed array'
      : `cannot infer a datatype from ${describeValue(data)}; pass { data, datatype }`,
  );
}

function toData(name: string, datatype: Datatype, data: unknown): TensorData {
  if (datatype === 'BYTES') return toBytes(name, data);
  const Constructor = typedArrayConstructor(datatype);
  if (ArrayBuffer.isView(data)) {
    if (data instanceof Constructor) return data as TensorData;
    throw invalid(
      name,
      `${data.constructor.name} does not hold ${datatype} (pass a ${Constructor.name} or an array of numbers)`,
    );
  }
  if (!Array.isArray(data)) {
    throw invalid(
      name,
      `${datatype} data must be a ${Constructor.name} or an array, got ${describeValue(data)}`,
    );
  }
  return fromPlain(name, datatype, data);
}

/** Plain values through the codecs' JSON element conversion: the same type and range checks. */
function fromPlain(name: string, datatype: Datatype, data: unknown[]): TensorData {
  try {
    return dataFromValues(datatype, data, `inputs.${name}`, name);
  } catch (error) {
    // The message names `inputs.<name>` already.
    throw invalidInputFrom(error);
  }
}

/** `String.prototype.isWellFormed` (ES2024; absent before Node 20 and Chrome 111). */
type WellFormed = { isWellFormed?: () => boolean };

function toBytes(name: string, data: unknown): Uint8Array[] {
  // One string or one Uint8Array: a tensor of one element.
  const items = typeof data === 'string' || data instanceof Uint8Array ? [data] : data;
  if (!Array.isArray(items)) {
    throw invalid(name, `BYTES data must be strings or Uint8Arrays, got ${describeValue(data)}`);
  }
  return items.map((item, index) => {
    // A lone surrogate has no UTF-8 form: TextEncoder would send U+FFFD in its place.
    if (typeof item === 'string' && (item as WellFormed).isWellFormed?.() !== false) {
      return encoder.encode(item);
    }
    if (item instanceof Uint8Array) return item;
    throw invalid(
      name,
      `BYTES element ${index} must be well-formed text or a Uint8Array, got ${describeValue(item)}`,
    );
  });
}

/** The explicit shape; else the schema's with its one `-1` filled in; else `[elements]`. */
function toShape(
  name: string,
  shape: unknown,
  declared: readonly number[] | undefined,
  count: number,
): number[] {
  if (shape !== undefined) {
    if (!Array.isArray(shape) || !shape.every((dim) => Number.isInteger(dim) && dim >= 0)) {
      throw invalid(
        name,
        `shape must be an array of non-negative integers, got ${describeValue(shape)}`,
      );
    }
    return [...shape];
  }
  if (declared !== undefined && declared.length > 0) {
    let dynamic = 0;
    let known = 1;
    for (const dim of declared) {
      if (dim === -1) dynamic += 1;
      else known *= dim;
    }
    if (dynamic === 0 && known === count) return [...declared];
    if (dynamic === 1 && known > 0 && count % known === 0) {
      return declared.map((dim) => (dim === -1 ? count / known : dim));
    }
  }
  return [count];
}
