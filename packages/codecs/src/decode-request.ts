import { getCodec, listCodecs } from './codec-registry';
import { describeValue } from './describe-value';
import { CodecError } from './errors';
import type { InferenceRequest } from './types';

/** Options of `decodeRequest`. */
export interface DecodeRequestOptions {
  /** Content type for inputs that name none (and whose request names none). Default `'np'`. */
  defaultContentType?: string;
}

/**
 * Turns a decoded request into named model values, each input through the codec its
 * `content_type` parameter names (falling back to the request's `content_type`, then
 * `options.defaultContentType`, `'np'`: the tensor itself).
 *
 * @throws CodecError for an unknown content type or data the codec rejects.
 * @example
 * const { text } = await decodeRequest(request); // with parameters.content_type 'str': string[]
 */
export async function decodeRequest(
  request: InferenceRequest,
  options: DecodeRequestOptions = {},
): Promise<Record<string, unknown>> {
  const values: Record<string, unknown> = {};
  const fallback = request.parameters?.['content_type'] ?? options.defaultContentType ?? 'np';
  for (const [i, input] of request.inputs.entries()) {
    const contentType = input.parameters?.['content_type'] ?? fallback;
    const where = `inputs[${i}] ${JSON.stringify(input.name)}`;
    if (typeof contentType !== 'string') {
      throw new CodecError(
        `${where}: parameters.content_type must be a string, got ${describeValue(contentType)}`,
        {
          input: input.name,
        },
      );
    }
    const codec = getCodec(contentType);
    if (codec === undefined) {
      throw new CodecError(
        `${where}: unknown content_type ${JSON.stringify(contentType)}; known: ${listCodecs().join(', ')}`,
        { input: input.name },
      );
    }
    const value = await codec.decode(input);
    // An input named `__proto__` is a key like any other, not the object's prototype.
    Object.defineProperty(values, input.name, {
      value,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return values;
}
