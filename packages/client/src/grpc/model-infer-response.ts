import { decodeGrpcTensor, decodeInferParameters, type InferenceResponse } from '@infer/codecs';
import { InferClientError } from '../errors';
import type { ModelInferResponse__Output } from './generated/inference/ModelInferResponse';

/**
 * The decoded `InferenceResponse` of a `ModelInferResponse`: each output through
 * `@infer/codecs`' `decodeGrpcTensor` (the server reads inputs the same way), from
 * `raw_output_contents` (one per output, in order; views over the message) or from its typed
 * `contents`; parameters to REST-style values. Anything malformed is
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
    outputs: outputs.map((output, index) =>
      decodeGrpcTensor(output, 'outputs', index, raw.length > 0 ? raw[index] : undefined),
    ),
  };
  const { model_version: version, id } = message;
  if (version !== undefined && version !== '') response.model_version = version;
  if (id !== undefined && id !== '') response.id = id;
  const parameters = decodeInferParameters(message.parameters, 'parameters');
  if (parameters !== undefined) response.parameters = parameters;
  return response;
}
