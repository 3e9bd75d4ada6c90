import type { Tensor } from '@infer/codecs';

const decoder = new TextDecoder();

/**
 * The elements of a BYTES tensor as UTF-8 strings (invalid bytes become U+FFFD).
 *
 * @example
 * const { outputs } = await client.model('mobilenet', schema).infer({ image: jpeg });
 * textOf(outputs.label); // ['house finch', 'goldfinch', ...]
 */
export function textOf(tensor: Pick<Tensor<'BYTES'>, 'data'>): string[] {
  return tensor.data.map((item) => decoder.decode(item));
}
