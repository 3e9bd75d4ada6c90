import {
  decodeInferParameters,
  elementCount,
  type InferenceResponse,
  isDatatype,
  type Tensor,
  type TensorData,
  tensorContentsToData,
  tensorDataFromBytes,
} from '@infer/codecs';
import { InferClientError } from '../errors';
import type { ModelInferResponse__Output } from './generated/inference/ModelInferResponse';

/**
 * The decoded `InferenceResponse` of a `ModelInferResponse`: outputs from
 * `raw_output_contents` (one per output, in order; read by `@infer/codecs`'
 * `tensorDataFromBytes`, views over the message) or from each output's typed `contents`;
 * int64 shapes to numbers; parameters to REST-style values. Anything malformed is
 * `INFER_CLIENT_ERR_DECODE`.
 *
 * @internal
 * @example
 * decodeModelInferResponse(message, 'mobilenet').outputs[0].data; // Float32Array
 */
export function decodeModelInferResponse(
  message: ModelInferResponse__Output,
  model: string,
): InferenceResponse {
  try {
    return decode(message);
  } catch (error) {
    throw new InferClientError(
      'INFER_CLIENT_ERR_DECODE',
      `the response of model "${model}" is not a valid OIP inference response: ${(error as Error).message}`,
      { cause: error },
    );
  }
}

function decode(message: ModelInferResponse__Output): InferenceResponse {
  const raw = message.raw_output_contents ?? [];
  const outputs = message.outputs ?? [];
  if (raw.length > 0 && raw.length !== outputs.length) {
    throw new Error(
      `raw_output_contents has ${raw.length} entries but there are ${outputs.length} outputs`,
    );
  }
  const response: InferenceResponse = {
    model_name: message.model_name ?? '',
    outputs: outputs.map((output, index): Tensor => {
      const name = output.name ?? '';
      const where = `outputs[${index}]${name === '' ? '' : ` ("${name}")`}`;
      const datatype = output.datatype ?? '';
      if (!isDatatype(datatype)) throw new Error(`${where}: unknown datatype "${datatype}"`);
      const shape = (output.shape ?? []).map(Number);
      const count = elementCount(shape, `${where}.shape`);
      const data: TensorData =
        raw.length > 0
          ? tensorDataFromBytes(datatype, plainView(raw[index]!), count, {
              where: `raw_output_contents[${index}]`,
              input: name,
            })
          : tensorContentsToData(datatype, output.contents, count, where, name);
      const parameters = decodeInferParameters(output.parameters, `${where}.parameters`);
      return {
        name,
        datatype,
        shape,
        data,
        ...(parameters === undefined ? {} : { parameters }),
      } as Tensor;
    }),
  };
  const { model_version: version, id } = message;
  if (version !== undefined && version !== '') response.model_version = version;
  if (id !== undefined && id !== '') response.id = id;
  const parameters = decodeInferParameters(message.parameters, 'parameters');
  if (parameters !== undefined) response.parameters = parameters;
  return response;
}

/**
 * A plain `Uint8Array` over a received `Buffer` (no copy), so BYTES elements are
 * `Uint8Array`s as over REST, not `Buffer`s with their different `slice()` and `toString()`.
 *
 * @internal
 */
export function plainView(bytes: Uint8Array): Uint8Array {
  return bytes.constructor === Uint8Array
    ? bytes
    : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
