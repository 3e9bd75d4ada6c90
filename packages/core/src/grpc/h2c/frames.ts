/**
 * HTTP/2 frame constants (RFC 9113 section 6) and frame writing, for the h2c gRPC server.
 *
 * @internal
 */

/** Frame types. */
export const FRAME = Object.freeze({
  DATA: 0x0,
  HEADERS: 0x1,
  PRIORITY: 0x2,
  RST_STREAM: 0x3,
  SETTINGS: 0x4,
  PUSH_PROMISE: 0x5,
  PING: 0x6,
  GOAWAY: 0x7,
  WINDOW_UPDATE: 0x8,
  CONTINUATION: 0x9,
});

/** Frame flags. */
export const FLAG = Object.freeze({
  END_STREAM: 0x1,
  ACK: 0x1,
  END_HEADERS: 0x4,
  PADDED: 0x8,
  PRIORITY: 0x20,
});

/** SETTINGS identifiers. */
export const SETTING = Object.freeze({
  HEADER_TABLE_SIZE: 0x1,
  ENABLE_PUSH: 0x2,
  MAX_CONCURRENT_STREAMS: 0x3,
  INITIAL_WINDOW_SIZE: 0x4,
  MAX_FRAME_SIZE: 0x5,
  MAX_HEADER_LIST_SIZE: 0x6,
});

/** Error codes (RFC 9113 section 7). */
export const H2_ERROR = Object.freeze({
  NO_ERROR: 0x0,
  PROTOCOL_ERROR: 0x1,
  INTERNAL_ERROR: 0x2,
  FLOW_CONTROL_ERROR: 0x3,
  SETTINGS_TIMEOUT: 0x4,
  STREAM_CLOSED: 0x5,
  FRAME_SIZE_ERROR: 0x6,
  REFUSED_STREAM: 0x7,
  CANCEL: 0x8,
  COMPRESSION_ERROR: 0x9,
  CONNECT_ERROR: 0xa,
  ENHANCE_YOUR_CALM: 0xb,
  INADEQUATE_SECURITY: 0xc,
  HTTP_1_1_REQUIRED: 0xd,
});

export type H2ErrorName = keyof typeof H2_ERROR;

/** The client connection preface (RFC 9113 section 3.4). */
export const CLIENT_PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

/** Frame header length. */
export const FRAME_HEADER_BYTES = 9;

/** HTTP/2's default and smallest SETTINGS_MAX_FRAME_SIZE. */
export const DEFAULT_MAX_FRAME_SIZE = 16_384;
/** SETTINGS_HEADER_TABLE_SIZE before the peer's SETTINGS (RFC 9113, 6.5.2). */
export const DEFAULT_HEADER_TABLE_SIZE = 4096;

/** HTTP/2's default window (SETTINGS_INITIAL_WINDOW_SIZE and the connection's). */
export const DEFAULT_WINDOW = 65_535;

/** The largest window HTTP/2 allows. */
export const MAX_WINDOW = 2 ** 31 - 1;

/**
 * A connection error: the connection ends with GOAWAY carrying `code`. Thrown by the frame
 * parser and HPACK; never reaches a caller of the server.
 *
 * @example
 * throw new Http2ProtocolError('PROTOCOL_ERROR', 'DATA on stream 0');
 */
export class Http2ProtocolError extends Error {
  readonly code: number;
  constructor(
    readonly codeName: H2ErrorName,
    message: string,
  ) {
    super(message);
    this.name = 'Http2ProtocolError';
    this.code = H2_ERROR[codeName];
  }
}

/**
 * Writes a frame header into `target` at `offset`.
 *
 * @example
 * writeFrameHeader(buffer, 0, payload.length, FRAME.DATA, 0, 1);
 */
export function writeFrameHeader(
  target: Buffer,
  offset: number,
  length: number,
  type: number,
  flags: number,
  streamId: number,
): void {
  target[offset] = length >>> 16;
  target[offset + 1] = (length >>> 8) & 0xff;
  target[offset + 2] = length & 0xff;
  target[offset + 3] = type;
  target[offset + 4] = flags;
  target.writeUInt32BE(streamId, offset + 5);
}

/**
 * A whole frame (header and payload) in one new buffer.
 *
 * @example
 * socket.write(frame(FRAME.PING, FLAG.ACK, 0, opaque));
 */
export function frame(type: number, flags: number, streamId: number, payload?: Uint8Array): Buffer {
  const length = payload?.byteLength ?? 0;
  const out = Buffer.allocUnsafe(FRAME_HEADER_BYTES + length);
  writeFrameHeader(out, 0, length, type, flags, streamId);
  if (payload !== undefined) out.set(payload, FRAME_HEADER_BYTES);
  return out;
}

/**
 * A SETTINGS frame with the given identifier/value pairs.
 *
 * @example
 * settingsFrame([[SETTING.INITIAL_WINDOW_SIZE, 8 * 1024 * 1024]]);
 */
export function settingsFrame(settings: ReadonlyArray<readonly [number, number]>): Buffer {
  const payload = Buffer.allocUnsafe(6 * settings.length);
  settings.forEach(([id, value], index) => {
    payload.writeUInt16BE(id, 6 * index);
    payload.writeUInt32BE(value, 6 * index + 2);
  });
  return frame(FRAME.SETTINGS, 0, 0, payload);
}

/**
 * A WINDOW_UPDATE frame.
 *
 * @example
 * windowUpdateFrame(0, 1 << 20);
 */
export function windowUpdateFrame(streamId: number, increment: number): Buffer {
  const out = Buffer.allocUnsafe(FRAME_HEADER_BYTES + 4);
  writeFrameHeader(out, 0, 4, FRAME.WINDOW_UPDATE, 0, streamId);
  out.writeUInt32BE(increment, FRAME_HEADER_BYTES);
  return out;
}

/**
 * An RST_STREAM frame.
 *
 * @example
 * rstStreamFrame(3, H2_ERROR.CANCEL);
 */
export function rstStreamFrame(streamId: number, code: number): Buffer {
  const out = Buffer.allocUnsafe(FRAME_HEADER_BYTES + 4);
  writeFrameHeader(out, 0, 4, FRAME.RST_STREAM, 0, streamId);
  out.writeUInt32BE(code, FRAME_HEADER_BYTES);
  return out;
}

/**
 * A GOAWAY frame naming the last stream the server processes.
 *
 * @example
 * goawayFrame(7, H2_ERROR.NO_ERROR);
 */
export function goawayFrame(lastStreamId: number, code: number, debug = ''): Buffer {
  const text = Buffer.from(debug, 'utf8');
  const payload = Buffer.allocUnsafe(8 + text.length);
  payload.writeUInt32BE(lastStreamId, 0);
  payload.writeUInt32BE(code, 4);
  text.copy(payload, 8);
  return frame(FRAME.GOAWAY, 0, 0, payload);
}
