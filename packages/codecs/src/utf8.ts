import { CodecError } from './errors';

const encoder = new TextEncoder();
const strictDecoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** @internal UTF-8 bytes of a string. */
export function encodeUtf8(text: string): Uint8Array {
  return encoder.encode(text);
}

/**
 * @internal Whether a string has a lone surrogate, which UTF-8 has no form for (`TextEncoder`
 * would write U+FFFD in its place and change the data unannounced). JSON's `\ud800` escapes
 * make one. Engines without `String.prototype.isWellFormed` (before Node 20, Chrome 111)
 * answer `false`.
 */
export function illFormed(text: string): boolean {
  return (text as { isWellFormed?: () => boolean }).isWellFormed?.() === false;
}

/** @internal Strict UTF-8 decoding: invalid bytes are a `CodecError` naming `what`. */
export function decodeUtf8(
  bytes: Uint8Array,
  what: string,
  options: { input?: string | undefined; index?: number; hint?: string } = {},
): string {
  try {
    return strictDecoder.decode(bytes);
  } catch (cause) {
    const hint = options.hint === undefined ? '' : `; ${options.hint}`;
    throw new CodecError(`${what} is not valid UTF-8${hint}`, {
      input: options.input,
      index: options.index,
      cause,
    });
  }
}
