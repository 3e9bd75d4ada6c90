import { decodeBase64, encodeBase64 } from './base64';
import type { ContentTypeCodec } from './content-type-codec';
import { CodecError } from './errors';
import { bytesElements } from './str-codec';
import { encodeUtf8 } from './utf8';

const latin1 = new TextDecoder('latin1');

/**
 * The `base64` codec (MLServer's Base64Codec): each BYTES element holds base64 text;
 * decoding gives the raw bytes, encoding base64-encodes them.
 *
 * @example
 * base64Codec.encode('blob', [new Uint8Array([1, 2])]); // BYTES ['AQI=']
 */
export const base64Codec: ContentTypeCodec<Uint8Array[] | Uint8Array> = {
  contentType: 'base64',
  canEncode: (value) =>
    Array.isArray(value) && value.length > 0 && value.every((item) => item instanceof Uint8Array),
  decode: (tensor) =>
    bytesElements(tensor, 'base64').map((bytes, index) => {
      try {
        return decodeBase64(
          latin1.decode(bytes),
          `input ${JSON.stringify(tensor.name)}: element ${index}`,
        );
      } catch (error) {
        throw new CodecError((error as Error).message, { input: tensor.name, index, cause: error });
      }
    }),
  encode(name, value) {
    const items = value instanceof Uint8Array ? [value] : value;
    return {
      name,
      datatype: 'BYTES',
      shape: [items.length],
      data: items.map((bytes) => encodeUtf8(encodeBase64(bytes))),
      parameters: { content_type: 'base64' },
    };
  },
};
