import {
  CodecError,
  decodeInferParameters,
  elementCount,
  hasTensorContents,
  type InferenceRequest,
  isDatatype,
  type RequestedOutput,
  type Tensor,
  tensorContentsToData,
} from '@infer/codecs';
import type { ModelInferRequest__Output } from './generated/inference/ModelInferRequest';
import { rawToData } from './raw-contents';

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

/** Shape from int64 dims (decimal strings); each must be a non-negative safe integer. */
function shapeOf(dims: readonly string[], where: string): number[] {
  const shape = dims.map(Number);
  elementCount(shape, `${where}.shape`);
  return shape;
}

/**
 * Maps a `ModelInferRequest` (decoded by proto-loader with `longs: String`) to the decoded
 * `InferenceRequest` of `@infer/codecs`: shapes checked, typed `contents` copied into typed
 * arrays, `raw_input_contents` read as views (one per input, in input order; then no input
 * may carry `contents`). Throws `CodecError` (INVALID_ARGUMENT) for anything malformed.
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
  const inputs = messageInputs.map((input, index): Tensor => {
    const name = input.name ?? '';
    const where = `inputs[${index}]${name === '' ? '' : ` ("${name}")`}`;
    if (name === '') throw new CodecError(`${where}.name is required`);
    const datatype = input.datatype ?? '';
    if (!isDatatype(datatype)) {
      throw new CodecError(`${where}: unknown datatype "${datatype}"`, { input: name });
    }
    const shape = shapeOf(input.shape ?? [], where);
    const count = elementCount(shape);
    let data: Tensor['data'];
    if (raw) {
      if (hasTensorContents(input.contents)) {
        throw new CodecError(
          `${where} has contents while raw_input_contents is used; send every input one way`,
          { input: name },
        );
      }
      data = rawToData(datatype, rawContents[index]!, count, `raw_input_contents[${index}]`, name);
    } else {
      data = tensorContentsToData(datatype, input.contents, count, where, name);
    }
    const parameters = decodeInferParameters(input.parameters, `${where}.parameters`);
    return {
      name,
      datatype,
      shape,
      data,
      ...(parameters === undefined ? {} : { parameters }),
    } as Tensor;
  });
  const outputs = (message.outputs ?? []).map((output, index): RequestedOutput => {
    const name = output.name ?? '';
    if (name === '') throw new CodecError(`outputs[${index}].name is required`);
    const parameters = decodeInferParameters(output.parameters, `outputs[${index}].parameters`);
    return { name, ...(parameters === undefined ? {} : { parameters }) };
  });
  const parameters = decodeInferParameters(message.parameters, 'parameters');
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
