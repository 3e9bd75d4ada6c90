import {
  encodeInferParameters,
  hasContentsField,
  type InferenceRequest,
  type InferenceResponse,
  tensorDataToContents,
} from '@infer/codecs';
import type { ModelInferResponse } from './generated/inference/ModelInferResponse';
import { asBuffer, dataToRaw } from './raw-contents';

/**
 * Whether to answer with `raw_output_contents` (as Triton): the request parameter
 * `binary_data_output` decides when given; else raw when a requested output has
 * `binary_data: true` or the inputs came raw; typed `contents` otherwise. A response with an
 * FP16 or BF16 output is always raw (no typed field), and raw is all-or-nothing.
 *
 * @internal
 * @example
 * wantsRawOutput({ inputs: [] }, true); // true: raw inputs, raw outputs
 */
export function wantsRawOutput(request: InferenceRequest, rawInputs: boolean): boolean {
  const explicit = request.parameters?.binary_data_output;
  if (typeof explicit === 'boolean') return explicit;
  if (request.outputs?.some((output) => output.parameters?.binary_data === true)) return true;
  return rawInputs;
}

/**
 * Maps a decoded `InferenceResponse` to a `ModelInferResponse`: raw outputs are views over
 * the output arrays (no copy until protobufjs writes the message), typed outputs fill the
 * datatype's `contents` field.
 *
 * @internal
 * @example
 * encodeModelInferResponse(response, { raw: true }).raw_output_contents; // [<Buffer ...>]
 */
export function encodeModelInferResponse(
  response: InferenceResponse,
  options: { raw: boolean },
): ModelInferResponse {
  const raw = options.raw || response.outputs.some((output) => !hasContentsField(output.datatype));
  const parameters = encodeInferParameters(response.parameters);
  const message: ModelInferResponse = {
    model_name: response.model_name,
    model_version: response.model_version ?? '',
    id: response.id ?? '',
    outputs: response.outputs.map((output) => {
      const outputParameters = encodeInferParameters(output.parameters);
      const contents = raw ? undefined : tensorDataToContents(output, asBuffer);
      return {
        name: output.name,
        datatype: output.datatype,
        shape: output.shape,
        ...(outputParameters === undefined ? {} : { parameters: outputParameters }),
        ...(contents === undefined ? {} : { contents }),
      };
    }),
    ...(parameters === undefined ? {} : { parameters }),
  };
  if (raw) message.raw_output_contents = response.outputs.map(dataToRaw);
  return message;
}
