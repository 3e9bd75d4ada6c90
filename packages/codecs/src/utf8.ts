import { CodecError } from './errors';

const encoder = new TextEncoder();
const strictDecoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** @internal UTF-8 bytes of a string. */
export function encodeUtf8(text: string): Uint8Array {
  return encoder.encode(text);
}

/**
 * Whether a string has no lone surrogate (`String.prototype.isWellFormed`, with a pattern
 * where the engine lacks it).
 */
const isWellFormed: (text: string) => boolean =
  typeof (String.prototype as { isWellFormed?: unknown }).isWellFormed === 'function'
    ? (text) => (text as string & { isWellFormed(): boolean }).isWellFormed()
    : (text) => !LONE_SURROGATE.test(text);

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * @internal UTF-8 bytes of a text element (a BYTES element given as a string): a lone
 * surrogate is a `CodecError` naming `what`. JSON's `\ud800` escapes and JavaScript strings
 * can hold one, UTF-8 has no form for it, and `TextEncoder` would write U+FFFD in its place,
 * changing the data unannounced.
 */
export function encodeUtf8Text(
  text: string,
  what: string,
  options: { input?: string | undefined; index?: number } = {},
): Uint8Array {
  if (isWellFormed(text)) return encoder.encode(text);
  const at = text.search(LONE_SURROGATE);
  const unit = text.charCodeAt(at).toString(16).toUpperCase();
  throw new CodecError(
    `${what} has a lone surrogate (\\u${unit} at character ${at}), which has no UTF-8 form`,
    options,
  );
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
