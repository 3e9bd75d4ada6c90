import {
  elementCount,
  encodeInferParameters,
  hasContentsField,
  type Tensor,
  tensorBytes,
  tensorDataToContents,
} from '@infer/codecs';
import { InferClientError, invalidInputFrom } from '../errors';
import type { InferOptions } from '../infer-types';
import type { ModelRef } from '../transport';
import type { ModelInferRequest } from './generated/inference/ModelInferRequest';
import type { GrpcContents } from './grpc-client-options';

/** A `Buffer` view over bytes (no copy): protobufjs copies a `Buffer` at once. */
function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
}

/**
 * Whether a request sends `raw_input_contents`: as the call's `binary` says, else as the
 * client's `contents`. Raw is all-or-nothing in OIP, so a request with an input that has
 * no typed field (FP16, BF16) goes raw whatever was asked.
 *
 * @internal
 * @example
 * sendsRaw([fp32Tensor], { binary: false }, 'raw'); // false
 */
export function sendsRaw(
  tensors: readonly Tensor[],
  options: Pick<InferOptions, 'binary'>,
  contents: GrpcContents,
): boolean {
  if (tensors.some((tensor) => !hasContentsField(tensor.datatype))) return true;
  return options.binary ?? contents === 'raw';
}

/**
 * The `ModelInferRequest` of one `infer()` call: inputs as `raw_input_contents` (views over
 * the tensors' little-endian bytes from `@infer/codecs`' `tensorBytes`) or typed `contents`,
 * parameters as `InferParameter` maps, requested outputs by name.
 *
 * @internal
 * @example
 * modelInferRequest({ name: 'm', version: undefined }, [x], {}, true);
 * // { model_name: 'm', inputs: [{ name: 'x', datatype: 'FP32', shape: [2] }], raw_input_contents: [<Buffer ...>] }
 */
export function modelInferRequest(
  model: ModelRef,
  tensors: readonly Tensor[],
  options: InferOptions,
  raw: boolean,
): ModelInferRequest {
  const message: ModelInferRequest = {
    model_name: model.name,
    model_version: model.version ?? '',
    id: options.id ?? '',
    inputs: tensors.map((tensor) => {
      checkShape(tensor);
      const parameters = encodeInferParameters(tensor.parameters);
      // Typed contents exist for every datatype a non-raw request carries (see sendsRaw).
      const contents = raw ? undefined : tensorDataToContents(tensor, asBuffer);
      return {
        name: tensor.name,
        datatype: tensor.datatype,
        shape: tensor.shape,
        ...(parameters === undefined ? {} : { parameters }),
        ...(contents === undefined ? {} : { contents }),
      };
    }),
  };
  const parameters = encodeInferParameters(options.parameters);
  if (parameters !== undefined) message.parameters = parameters;
  if (options.outputs !== undefined) {
    message.outputs = options.outputs.map((output) => {
      if (typeof output === 'string') return { name: output };
      const parameters = encodeInferParameters(output.parameters);
      return parameters === undefined ? { name: output.name } : { name: output.name, parameters };
    });
  }
  if (raw) message.raw_input_contents = tensors.map(rawBytes);
  return message;
}

/** The shape must fit the data, as the REST encoder checks (the server would say it later). */
function checkShape(tensor: Tensor): void {
  let count: number;
  try {
    count = elementCount(tensor.shape);
  } catch (error) {
    throw invalidInputFrom(error, `inputs.${tensor.name}: `);
  }
  if (tensor.data.length !== count) {
    throw new InferClientError(
      'INFER_CLIENT_ERR_INVALID_INPUT',
      `inputs.${tensor.name}: data has ${tensor.data.length} elements but shape [${tensor.shape.join(',')}] needs ${count}`,
    );
  }
}

function rawBytes(tensor: Tensor): Buffer {
  try {
    return asBuffer(tensorBytes(tensor));
  } catch (error) {
    throw invalidInputFrom(error, `inputs.${tensor.name}: `);
  }
}
