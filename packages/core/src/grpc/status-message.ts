/**
 * The most bytes a status message (`grpc-message`) takes once percent-encoded. A message
 * can echo what a client sent (a model name, a health service name): without a limit a
 * long one becomes trailers that clients refuse (gRPC C-core: over 8 KiB at random, over
 * 16 KiB always; grpc-js and Node's HTTP/2 client on a size of their own), so the client
 * never learns the status and its connection may stall for other calls.
 *
 * @internal
 */
export const MAX_STATUS_MESSAGE_BYTES = 2048;

const ELLIPSIS = '...';

/**
 * Encoded bytes of each ASCII character: the larger of the h2c server's percent-encoding
 * (printable ASCII but `%` stays) and grpc-js's `encodeURI` (which also escapes space and
 * `"<>[\]^\`{|}`).
 */
const ASCII_COST = new Uint8Array(128).map((_, code) =>
  code < 0x20 || code === 0x7f || ' "%<>[\\]^`{|}'.includes(String.fromCharCode(code)) ? 3 : 1,
);

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * `text` as a status message: cut on a character boundary and ended with `...` when its
 * percent-encoded form would take more than `maxBytes` (counting each character as the
 * larger of the two transports' encodings), and with lone surrogates (which `encodeURI`
 * throws on) as U+FFFD. Reads at most about `maxBytes` characters of `text`, whatever its
 * length.
 *
 * @internal
 * @example
 * limitStatusMessage(`Model "${'x'.repeat(70_000)}" not found`).length; // 2048
 */
export function limitStatusMessage(text: string, maxBytes = MAX_STATUS_MESSAGE_BYTES): string {
  // 9 bytes is the most a UTF-16 unit costs: three UTF-8 bytes, each `%XX`.
  if (text.length * 9 <= maxBytes) return wellFormed(text);
  const budget = maxBytes - ELLIPSIS.length;
  let bytes = 0;
  /** Where the text is cut if it turns out too long: the last boundary within `budget`. */
  let cut = 0;
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    // Surrogates count 9 each (a pair is 4 UTF-8 bytes, 12 encoded; a lone one becomes
    // U+FFFD, 9): an overestimate, so the result stays under the limit.
    bytes += code < 0x80 ? (ASCII_COST[code] as number) : code < 0x800 ? 6 : 9;
    if (bytes > maxBytes) return `${wellFormed(text.slice(0, cut))}${ELLIPSIS}`;
    // A boundary after this unit unless it splits a surrogate pair.
    const next = text.charCodeAt(index + 1);
    const splitsPair = code >= 0xd800 && code <= 0xdbff && next >= 0xdc00 && next <= 0xdfff;
    if (bytes <= budget && !splitsPair) cut = index + 1;
  }
  return wellFormed(text);
}

function wellFormed(text: string): string {
  return text.replace(LONE_SURROGATE, '\uFFFD');
}
