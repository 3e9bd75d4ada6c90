import {
  booleanParameter,
  CodecError,
  decodeGrpcTensor,
  decodeInferParameters,
  type InferenceRequest,
  type RequestedOutput,
} from '@infer/codecs';
import type { ModelInferRequest__Output } from './generated/inference/ModelInferRequest';

/** A decoded `ModelInferRequest`: the transport-neutral request and how its data came. */
export interface DecodedModelInfer {
  /** Model name (`model_name`). */
  model: string;
  /** Model version, `undefined` for the latest (`model_version` empty). */
  version: string | undefined;
  request: InferenceRequest;
  /** Whether the inputs came as `raw_input_contents`. */
  raw: boolean;
}

/**
 * Maps a `ModelInferRequest` (decoded by proto-loader with `longs: String`) to the decoded
 * `InferenceRequest` of `@infer/codecs`: shapes checked, typed `contents` copied into typed
 * arrays, `raw_input_contents` read as views (one per input, in input order; then no input
 * may carry `contents`); requested outputs named once each, `binary_data` and
 * `binary_data_output` booleans when given, as over REST. Throws `CodecError`
 * (INVALID_ARGUMENT) for anything malformed.
 *
 * @internal
 * @example
 * decodeModelInferRequest({ model_name: 'm', inputs: [x], outputs: [], raw_input_contents: [bytes] });
 * // { model: 'm', version: undefined, raw: true, request: { inputs: [{ name: 'x', data: Float32Array }] } }
 */
export function decodeModelInferRequest(message: ModelInferRequest__Output): DecodedModelInfer {
  const model = message.model_name ?? '';
  if (model === '') throw new CodecError('model_name is required');
  const messageInputs = message.inputs ?? [];
  const rawContents = message.raw_input_contents ?? [];
  const raw = rawContents.length > 0;
  if (raw && rawContents.length !== messageInputs.length) {
    throw new CodecError(
      `raw_input_contents has ${rawContents.length} entries but there are ${messageInputs.length} inputs; give one per input, in order`,
    );
  }
  const inputs = messageInputs.map((input, index) =>
    decodeGrpcTensor(input, 'inputs', index, raw ? rawContents[index] : undefined),
  );
  const names = new Set<string>();
  const outputs = (message.outputs ?? []).map((output, index): RequestedOutput => {
    const name = output.name ?? '';
    if (name === '') throw new CodecError(`outputs[${index}].name is required`);
    // As REST: each output once (the answer has one tensor per name).
    if (names.has(name)) {
      throw new CodecError(`outputs[${index}]: duplicate name ${JSON.stringify(name)}`, {
        input: name,
      });
    }
    names.add(name);
    const parameters = decodeInferParameters(output.parameters, `outputs[${index}].parameters`);
    // The flags as REST checks them (`bool_param`, not a string or number left ignored).
    booleanParameter(
      parameters,
      'binary_data',
      `outputs[${index}] ${JSON.stringify(name)}: parameters`,
    );
    return { name, ...(parameters === undefined ? {} : { parameters }) };
  });
  const parameters = decodeInferParameters(message.parameters, 'parameters');
  booleanParameter(parameters, 'binary_data_output', 'parameters');
  const id = message.id ?? '';
  const request: InferenceRequest = {
    inputs,
    ...(id === '' ? {} : { id }),
    ...(parameters === undefined ? {} : { parameters }),
    ...(outputs.length === 0 ? {} : { outputs }),
  };
  const version = message.model_version ?? '';
  return { model, version: version === '' ? undefined : version, request, raw };
}
