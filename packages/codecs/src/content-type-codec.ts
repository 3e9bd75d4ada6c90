import type { Tensor } from './types';

/**
 * A content-type codec in the spirit of MLServer's: it turns a decoded tensor into the
 * value a model wants (strings, raw bytes, an image tensor...) and back. The `content_type`
 * parameter of an input (or of the whole request) names the codec to use.
 *
 * @example
 * const upper: ContentTypeCodec<string[]> = {
 *   contentType: 'upper',
 *   // str decodes a BYTES tensor to its strings (one string for a scalar).
 *   decode: async (tensor) => [(await strCodec.decode(tensor))].flat().map((s) => s.toUpperCase()),
 *   encode: (name, value) => strCodec.encode(name, value),
 * };
 */
export interface ContentTypeCodec<T = unknown> {
  /** The `content_type` parameter value that selects this codec, e.g. `'str'`. */
  readonly contentType: string;
  /** Decoded tensor -> model value. */
  decode(tensor: Tensor): T | Promise<T>;
  /** Model value -> tensor named `name`. */
  encode(name: string, value: T): Tensor | Promise<Tensor>;
  /** Whether `encodeResponse` may pick this codec for `value` when no content type is named. */
  canEncode?(value: unknown): boolean;
}
