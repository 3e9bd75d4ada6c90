import type { ContentTypeCodec } from './content-type-codec';
import { CodecError } from './errors';
import type { Tensor } from './types';
import { decodeUtf8, encodeUtf8, illFormed } from './utf8';

/** @internal The BYTES elements of a tensor, or a `CodecError` naming the codec. */
export function bytesElements(tensor: Tensor, contentType: string): Uint8Array[] {
  if (tensor.datatype !== 'BYTES') {
    throw new CodecError(
      `input ${JSON.stringify(tensor.name)}: content_type ${contentType} needs a BYTES tensor, got ${tensor.datatype}`,
      { input: tensor.name },
    );
  }
  return tensor.data as Uint8Array[];
}

/**
 * The `str` codec (MLServer's StringCodec): BYTES <-> `string[]` as UTF-8.
 *
 * @example
 * strCodec.encode('text', ['hello']); // BYTES tensor, shape [1]
 */
export const strCodec: ContentTypeCodec<string[] | string> = {
  contentType: 'str',
  canEncode: (value) =>
    typeof value === 'string' ||
    (Array.isArray(value) && value.length > 0 && value.every((item) => typeof item === 'string')),
  decode: (tensor) =>
    bytesElements(tensor, 'str').map((bytes, index) =>
      decodeUtf8(bytes, `input ${JSON.stringify(tensor.name)}: element ${index}`, {
        input: tensor.name,
        index,
      }),
    ),
  encode(name, value) {
    const strings = typeof value === 'string' ? [value] : value;
    return {
      name,
      datatype: 'BYTES',
      shape: [strings.length],
      data: strings.map((text, index) => {
        if (illFormed(text)) {
          throw new CodecError(
            `output ${JSON.stringify(name)}: element ${index} has a lone surrogate, which has no UTF-8 form`,
            {
              input: name,
              index,
            },
          );
        }
        return encodeUtf8(text);
      }),
      parameters: { content_type: 'str' },
    };
  },
};
