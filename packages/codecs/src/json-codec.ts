import type { ContentTypeCodec } from './content-type-codec';
import { CodecError } from './errors';
import { bytesElements } from './str-codec';
import { decodeUtf8, encodeUtf8 } from './utf8';

/**
 * The `json` codec: each BYTES element is one UTF-8 JSON document. Decoding gives one value
 * per element; encoding an array writes one element per item, any other value one element.
 *
 * @example
 * jsonCodec.encode('meta', [{ a: 1 }]); // BYTES ['{"a":1}']
 */
export const jsonCodec: ContentTypeCodec<unknown> = {
  contentType: 'json',
  canEncode: (value) =>
    value !== undefined && typeof value !== 'function' && typeof value !== 'symbol',
  decode: (tensor) =>
    bytesElements(tensor, 'json').map((bytes, index) => {
      const what = `input ${JSON.stringify(tensor.name)}: element ${index}`;
      const text = decodeUtf8(bytes, what, { input: tensor.name, index });
      try {
        return JSON.parse(text) as unknown;
      } catch (cause) {
        throw new CodecError(`${what} is not valid JSON: ${(cause as Error).message}`, {
          input: tensor.name,
          index,
          cause,
        });
      }
    }),
  encode(name, value) {
    const items = Array.isArray(value) ? value : [value];
    return {
      name,
      datatype: 'BYTES',
      shape: [items.length],
      data: items.map((item) => {
        let text: string | undefined;
        try {
          text = JSON.stringify(item);
        } catch {
          text = undefined; // a bigint, a cycle: not JSON either
        }
        if (text === undefined) {
          throw new CodecError(
            `output ${JSON.stringify(name)}: a value cannot be written as JSON`,
            {
              input: name,
            },
          );
        }
        return encodeUtf8(text);
      }),
      parameters: { content_type: 'json' },
    };
  },
};
