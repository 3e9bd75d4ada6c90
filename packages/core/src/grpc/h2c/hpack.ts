/**
 * HPACK (RFC 7541) for the h2c gRPC server: a decoder for the header blocks clients send
 * (static and dynamic tables, Huffman strings) and an encoder for the few header blocks the
 * server sends. The encoder never indexes (literals without indexing, plain strings), so the
 * client's decoding table is never touched and its size setting does not matter.
 *
 * @internal
 */
import { Http2ProtocolError } from './frames';
import { decodeHuffman } from './huffman';

/** A header block's fields in order, names lower-case as HTTP/2 requires. */
export type HeaderPairs = Array<[name: string, value: string]>;

const STATIC_TABLE: ReadonlyArray<readonly [string, string]> = [
  [':authority', ''],
  [':method', 'GET'],
  [':method', 'POST'],
  [':path', '/'],
  [':path', '/index.html'],
  [':scheme', 'http'],
  [':scheme', 'https'],
  [':status', '200'],
  [':status', '204'],
  [':status', '206'],
  [':status', '304'],
  [':status', '400'],
  [':status', '404'],
  [':status', '500'],
  ['accept-charset', ''],
  ['accept-encoding', 'gzip, deflate'],
  ['accept-language', ''],
  ['accept-ranges', ''],
  ['accept', ''],
  ['access-control-allow-origin', ''],
  ['age', ''],
  ['allow', ''],
  ['authorization', ''],
  ['cache-control', ''],
  ['content-disposition', ''],
  ['content-encoding', ''],
  ['content-language', ''],
  ['content-length', ''],
  ['content-location', ''],
  ['content-range', ''],
  ['content-type', ''],
  ['cookie', ''],
  ['date', ''],
  ['etag', ''],
  ['expect', ''],
  ['expires', ''],
  ['from', ''],
  ['host', ''],
  ['if-match', ''],
  ['if-modified-since', ''],
  ['if-none-match', ''],
  ['if-range', ''],
  ['if-unmodified-since', ''],
  ['last-modified', ''],
  ['link', ''],
  ['location', ''],
  ['max-forwards', ''],
  ['proxy-authenticate', ''],
  ['proxy-authorization', ''],
  ['range', ''],
  ['referer', ''],
  ['refresh', ''],
  ['retry-after', ''],
  ['server', ''],
  ['set-cookie', ''],
  ['strict-transport-security', ''],
  ['transfer-encoding', ''],
  ['user-agent', ''],
  ['vary', ''],
  ['via', ''],
  ['www-authenticate', ''],
];

const ENTRY_OVERHEAD = 32;

function compressionError(message: string): Http2ProtocolError {
  return new Http2ProtocolError('COMPRESSION_ERROR', message);
}

/**
 * One connection's HPACK decoder. Its dynamic table lives as long as the connection; every
 * header block of the connection must pass through it in order, including those of streams
 * the server refuses.
 *
 * @example
 * const decoder = new HpackDecoder();
 * decoder.decode(Buffer.from([0x83, 0x86, 0x84])); // [[':method', 'POST'], [':scheme', 'http'], [':path', '/']]
 */
export class HpackDecoder {
  /** Dynamic table, oldest first (index 62 is the last element). */
  private readonly entries: Array<readonly [string, string]> = [];
  private size = 0;
  private maxSize: number;

  /**
   * @param limit the SETTINGS_HEADER_TABLE_SIZE this side announced (default 4096).
   * @param maxListBytes the largest decoded header list accepted (names + values + 32 each).
   */
  constructor(
    private readonly limit = 4096,
    private readonly maxListBytes = 64 * 1024,
  ) {
    this.maxSize = limit;
  }

  /**
   * Decodes one complete header block; `undefined` when its header list is over
   * `maxListBytes` (the block is still decoded to the end: the table must stay in step).
   * Throws `Http2ProtocolError` (COMPRESSION_ERROR) on malformed input.
   */
  decode(block: Buffer): HeaderPairs | undefined {
    const out: HeaderPairs = [];
    let listBytes = 0;
    let oversized = false;
    let offset = 0;
    this.cursor = 0;
    const end = block.length;
    while (offset < end) {
      const byte = block[offset] as number;
      let name: string;
      let value: string;
      if (byte & 0x80) {
        offset = this.integer(block, offset, 7);
        const entry = this.entry(this.cursor);
        name = entry[0];
        value = entry[1];
      } else if ((byte & 0xe0) === 0x20) {
        if (out.length > 0) throw compressionError('table size update after a header field');
        offset = this.integer(block, offset, 5);
        if (this.cursor > this.limit) throw compressionError('table size update above the limit');
        this.maxSize = this.cursor;
        this.evict(0);
        continue;
      } else {
        const indexing = (byte & 0xc0) === 0x40;
        offset = this.integer(block, offset, indexing ? 6 : 4);
        if (this.cursor === 0) {
          offset = this.string(block, offset);
          name = this.text;
        } else name = (this.entry(this.cursor) as readonly [string, string])[0];
        offset = this.string(block, offset);
        value = this.text;
        if (indexing) this.add(name, value);
      }
      listBytes += name.length + value.length + ENTRY_OVERHEAD;
      if (listBytes > this.maxListBytes) oversized = true;
      if (!oversized) out.push([name, value]);
    }
    return oversized ? undefined : out;
  }

  /** The last integer or string read (avoids a tuple per field). */
  private cursor = 0;
  private text = '';

  private integer(block: Buffer, start: number, prefixBits: number): number {
    const max = (1 << prefixBits) - 1;
    let value = (block[start] as number) & max;
    let offset = start + 1;
    if (value === max) {
      let shift = 0;
      for (;;) {
        if (offset >= block.length) throw compressionError('truncated integer');
        const next = block[offset++] as number;
        value += (next & 0x7f) * 2 ** shift;
        shift += 7;
        if ((next & 0x80) === 0) break;
        if (shift > 28) throw compressionError('integer too large');
      }
    }
    this.cursor = value;
    return offset;
  }

  private string(block: Buffer, start: number): number {
    if (start >= block.length) throw compressionError('truncated string');
    const huffman = ((block[start] as number) & 0x80) !== 0;
    const offset = this.integer(block, start, 7);
    const stop = offset + this.cursor;
    if (stop > block.length) throw compressionError('truncated string');
    this.text = huffman
      ? decodeHuffman(block, offset, stop)
      : block.toString('latin1', offset, stop);
    return stop;
  }

  private entry(index: number): readonly [string, string] {
    if (index === 0) throw compressionError('index 0');
    if (index <= STATIC_TABLE.length) return STATIC_TABLE[index - 1] as readonly [string, string];
    const entry = this.entries[this.entries.length - 1 - (index - STATIC_TABLE.length - 1)];
    if (entry === undefined) throw compressionError(`index ${index} is not in the table`);
    return entry;
  }

  private add(name: string, value: string): void {
    const bytes = name.length + value.length + ENTRY_OVERHEAD;
    this.evict(bytes);
    if (bytes > this.maxSize) return;
    this.entries.push([name, value]);
    this.size += bytes;
  }

  /** Evicts the oldest entries until `room` more bytes fit. */
  private evict(room: number): void {
    while (this.size + room > this.maxSize && this.entries.length > 0) {
      const [name, value] = this.entries.shift() as readonly [string, string];
      this.size -= name.length + value.length + ENTRY_OVERHEAD;
    }
  }
}

/** Bytes of an HPACK integer `value` after a `prefixBits`-bit prefix. */
function integerBytes(value: number, prefixBits: number): number {
  const max = (1 << prefixBits) - 1;
  if (value < max) return 1;
  let bytes = 2;
  for (let rest = value - max; rest >= 0x80; rest = Math.floor(rest / 0x80)) bytes++;
  return bytes;
}

/** Writes an HPACK integer at `at` (the prefix's other bits from `first`); returns the end. */
function writeInteger(
  out: Buffer,
  at: number,
  value: number,
  prefixBits: number,
  first: number,
): number {
  const max = (1 << prefixBits) - 1;
  if (value < max) {
    out[at] = first | value;
    return at + 1;
  }
  out[at++] = first | max;
  let rest = value - max;
  while (rest >= 0x80) {
    out[at++] = (rest & 0x7f) | 0x80;
    rest = Math.floor(rest / 0x80);
  }
  out[at++] = rest;
  return at;
}

/** Writes a plain (not Huffman) string literal, one byte per char (latin1); returns the end. */
function writeString(out: Buffer, at: number, text: string): number {
  const start = writeInteger(out, at, text.length, 7, 0);
  return start + out.write(text, start, text.length, 'latin1');
}

/**
 * Encodes header fields as literals without indexing (plain strings), `:status: 200` as its
 * static index. Values must be latin1 (gRPC's ASCII metadata, percent-encoded messages).
 * Sizes the block first, then writes it into one buffer. With `tableSizeUpdate`, the block
 * opens with a dynamic table size update to 0 (RFC 7541, 6.3): what the first block after
 * the peer lowered SETTINGS_HEADER_TABLE_SIZE must carry (4.2), and this encoder never
 * uses the table.
 *
 * @example
 * encodeHeaders([[':status', '200'], ['content-type', 'application/grpc']]);
 */
export function encodeHeaders(
  pairs: ReadonlyArray<readonly [string, string]>,
  tableSizeUpdate = false,
): Buffer {
  let size = tableSizeUpdate ? 1 : 0;
  for (const [name, value] of pairs) {
    if (name === ':status' && value === '200') size++;
    else {
      size += 1 + integerBytes(name.length, 7) + name.length;
      size += integerBytes(value.length, 7) + value.length;
    }
  }
  const out = Buffer.allocUnsafe(size);
  let at = 0;
  if (tableSizeUpdate) out[at++] = 0x20; // 001 + max size 0 as a 5-bit prefix integer
  for (const [name, value] of pairs) {
    if (name === ':status' && value === '200') {
      out[at++] = 0x88;
      continue;
    }
    out[at++] = 0x00;
    at = writeString(out, at, name);
    at = writeString(out, at, value);
  }
  return out;
}
