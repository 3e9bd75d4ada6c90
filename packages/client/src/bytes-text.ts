import type { Tensor } from '@infer/codecs';
import { InferClientError } from './errors';

/** A lenient UTF-8 decoder (invalid bytes become U+FFFD). @internal */
export const decoder = new TextDecoder();

/**
 * The elements of a BYTES tensor as UTF-8 strings (invalid bytes become U+FFFD). Takes any
 * output, typed by a schema or not; one of another datatype is an `InferClientError`
 * (`INFER_CLIENT_ERR_INVALID_INPUT`).
 *
 * @example
 * const { outputs } = await client.model('mobilenet').infer({ image: jpeg });
 * textOf(outputs.label!); // ['house finch', 'goldfinch', ...]
 */
export function textOf(tensor: Pick<Tensor, 'data'> & { datatype?: string }): string[] {
  if (!Array.isArray(tensor.data)) {
    throw new InferClientError(
      'INFER_CLIENT_ERR_INVALID_INPUT',
      `textOf() needs a BYTES tensor, got ${tensor.datatype ?? 'typed-array'} data`,
    );
  }
  return tensor.data.map((item) => decoder.decode(item));
}
