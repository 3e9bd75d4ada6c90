import { getCodec, listCodecs } from './codec-registry';
import { CodecError } from './errors';
import type { InferenceResponse, Parameters } from './types';

/** Options of `encodeResponse`. */
export interface EncodeResponseOptions {
  /** The `model_name` of the response. */
  model_name: string;
  /** The `model_version` of the response. Default: none. */
  model_version?: string;
  /** The request id to echo. Default: none. */
  id?: string;
  /** Response parameters. Default: none. */
  parameters?: Parameters;
  /** Content type per output name. Default: guessed from the value (np, str, base64, json). */
  contentTypes?: Record<string, string>;
}

const GUESS_ORDER = ['np', 'str', 'base64', 'json'];

/**
 * Turns named model values into a response, each through a content-type codec (named in
 * `options.contentTypes`, or guessed: typed arrays and tensors `np`, strings `str`,
 * `Uint8Array[]` `base64`, anything else `json`). Each output records its `content_type`.
 *
 * @throws CodecError for an unknown content type or a value the codec cannot encode.
 * @example
 * const response = await encodeResponse({ scores: new Float32Array([0.1, 0.9]), label: ['cat'] }, { model_name: 'm' });
 */
export async function encodeResponse(
  values: Record<string, unknown>,
  options: EncodeResponseOptions,
): Promise<InferenceResponse> {
  const response: InferenceResponse = { model_name: options.model_name, outputs: [] };
  if (options.model_version !== undefined) response.model_version = options.model_version;
  if (options.id !== undefined) response.id = options.id;
  if (options.parameters !== undefined) response.parameters = options.parameters;
  for (const [name, value] of Object.entries(values)) {
    const named = options.contentTypes?.[name];
    const contentType =
      named ?? GUESS_ORDER.find((type) => getCodec(type)?.canEncode?.(value) === true);
    const codec = contentType === undefined ? undefined : getCodec(contentType);
    if (codec === undefined) {
      throw new CodecError(
        named === undefined
          ? `output ${JSON.stringify(name)}: no codec can encode this value; name one in contentTypes`
          : `output ${JSON.stringify(name)}: unknown content_type ${JSON.stringify(named)}; known: ${listCodecs().join(', ')}`,
        { input: name },
      );
    }
    const tensor = await codec.encode(name, value);
    tensor.parameters = { ...tensor.parameters, content_type: codec.contentType };
    response.outputs.push(tensor);
  }
  return response;
}
