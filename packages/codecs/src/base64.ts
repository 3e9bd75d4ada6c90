import { CodecError } from './errors';

const BASE64 =
  /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=|[A-Za-z0-9+/]{2,3})?$/;

/**
 * Standard base64 (RFC 4648, padding optional, no whitespace) to bytes; anything else is a
 * `CodecError` naming `what`.
 *
 * @example
 * decodeBase64('aGk='); // Uint8Array [104, 105]
 */
export function decodeBase64(text: string, what = 'value'): Uint8Array {
  if (!BASE64.test(text)) {
    const bad = text.search(/[^A-Za-z0-9+/=]/);
    const detail =
      bad >= 0 ? `: character ${JSON.stringify(text[bad])} at ${bad}` : ': wrong length or padding';
    throw new CodecError(`${what} is not valid base64${detail}`);
  }
  const binary = atob(text);
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

/**
 * Bytes to standard padded base64.
 *
 * @example
 * encodeBase64(new Uint8Array([104, 105])); // 'aGk='
 */
export function encodeBase64(bytes: Uint8Array): string {
  let binary = '';
  const chunk = 0x8000;
  for (let i = 0; i < bytes.length; i += chunk) {
    binary += String.fromCharCode(...bytes.subarray(i, i + chunk));
  }
  return btoa(binary);
}
