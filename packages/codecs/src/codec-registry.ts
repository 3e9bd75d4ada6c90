import { base64Codec } from './base64-codec';
import type { ContentTypeCodec } from './content-type-codec';
import { imgCodec } from './img-codec';
import { jsonCodec } from './json-codec';
import { npCodec } from './np-codec';
import { strCodec } from './str-codec';

const registry = new Map<string, ContentTypeCodec>([
  ['np', npCodec as ContentTypeCodec],
  ['str', strCodec as ContentTypeCodec],
  ['base64', base64Codec as ContentTypeCodec],
  ['img', imgCodec as ContentTypeCodec],
  ['json', jsonCodec],
]);

/**
 * Adds a content-type codec, selected by `parameters.content_type === codec.contentType`.
 * Replacing an existing one (built-ins included) needs `{ override: true }`.
 *
 * @example
 * registerCodec({ contentType: 'csv', decode: (t) => ..., encode: (name, rows) => ... });
 */
export function registerCodec<T>(
  codec: ContentTypeCodec<T>,
  options: { override?: boolean } = {},
): void {
  if (typeof codec?.contentType !== 'string' || codec.contentType.length === 0) {
    throw new TypeError('codec.contentType must be a non-empty string');
  }
  if (typeof codec.decode !== 'function' || typeof codec.encode !== 'function') {
    throw new TypeError('codec.decode and codec.encode must be functions');
  }
  if (registry.has(codec.contentType) && options.override !== true) {
    throw new RangeError(
      `a codec for content_type ${JSON.stringify(codec.contentType)} is already registered; pass { override: true } to replace it`,
    );
  }
  registry.set(codec.contentType, codec as ContentTypeCodec);
}

/**
 * The codec registered for a content type, or `undefined`.
 *
 * @example
 * getCodec('str')?.decode(tensor); // string[]
 */
export function getCodec(contentType: string): ContentTypeCodec | undefined {
  return registry.get(contentType);
}

/**
 * The registered content types, in registration order.
 *
 * @example
 * listCodecs(); // ['np', 'str', 'base64', 'img', 'json']
 */
export function listCodecs(): string[] {
  return [...registry.keys()];
}
