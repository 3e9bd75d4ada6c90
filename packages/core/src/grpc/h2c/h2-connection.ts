/**
 * One server-side HTTP/2 connection over cleartext TCP (h2c with prior knowledge, as gRPC
 * clients connect): the connection preface, frame parsing, SETTINGS, PING, GOAWAY, streams,
 * header blocks (HPACK, CONTINUATION) and flow control in both directions (RFC 9113).
 *
 * Written for the gRPC server (`h2c-grpc-server.ts`) because Node's `http2` module costs a
 * server 2-3x the CPU of `node:http` per small request (see "gRPC" in docs/benchmarks.md);
 * this one parses frames straight off the socket and writes each answer in one `write`.
 * It is a server only: no push, no priorities (PRIORITY is read and ignored, as RFC 9113
 * allows), no TLS (gRPC over TLS uses grpc-js).
 *
 * Defences, as nghttp2 has them: at most `maxConcurrentStreams` streams, counting answered
 * or reset streams whose handler still runs (`hold()`); stream resets by the client limited
 * to a burst of 1000 and 33 per second after it (the HTTP/2 "rapid reset" attack); reading
 * paused while the socket has more than 4 MiB to send (a client that does not read cannot
 * pile up answers and PING acknowledgements); new streams refused while the answers queued
 * for the client's flow-control windows pass `maxQueuedBytes`; a connection whose client took
 * less than 16 KiB in `sendStallMs` while answers waited is closed (a live peer that stops
 * reading would otherwise hold its answers, and its socket, for ever); header lists over
 * 64 KiB refused per stream; an exception from a stream's consumer resets that stream only.
 *
 * @internal
 */
import type { Socket } from 'node:net';
import { DEFAULT_GRPC_OPTIONS } from '../grpc-server-options';
import { MAX_TIMER_MS } from '../max-timer';
import {
  CLIENT_PREFACE,
  DEFAULT_HEADER_TABLE_SIZE,
  DEFAULT_MAX_FRAME_SIZE,
  DEFAULT_WINDOW,
  FLAG,
  FRAME,
  FRAME_HEADER_BYTES,
  frame,
  goawayFrame,
  H2_ERROR,
  Http2ProtocolError,
  MAX_WINDOW,
  rstStreamFrame,
  SETTING,
  settingsFrame,
  windowUpdateFrame,
  writeFrameHeader,
} from './frames';
import { encodeHeaders, type HeaderPairs, HpackDecoder } from './hpack';

/** Settings of a connection. */
export interface H2ConnectionOptions {
  /** Receive window of each stream and of the connection, in bytes (at least 65535). */
  windowBytes: number;
  /** Streams a client may have open at once; more are refused (REFUSED_STREAM). */
  maxConcurrentStreams: number;
  /** Called for each new request stream, headers decoded. */
  onStream(stream: H2Stream): void;
  /**
   * Keepalive: after `timeMs` with nothing received, the server sends a PING; when nothing
   * arrives within `timeoutMs` of it, the connection is closed (a peer that vanished without
   * closing its socket). Default: off.
   */
  keepalive?: { timeMs: number; timeoutMs: number } | undefined;
  /**
   * Answer bytes the connection's streams may have queued for the client's flow-control
   * windows; while more wait, new streams are refused (REFUSED_STREAM, which clients retry).
   * Default 64 MiB.
   */
  maxQueuedBytes?: number | undefined;
  /**
   * A connection with answers waiting to go out (queued for the client's windows, or in the
   * socket) whose client took less than 16 KiB in this long is closed: it stopped reading,
   * or kept its windows shut (nginx's `send_timeout`, 60 s too). Default 60 s; `0`: never.
   */
  sendStallMs?: number | undefined;
}

/**
 * What a client must take per stall period to count as reading: a frame's worth. A window
 * opened a few bytes at a time does not count.
 */
const STALL_PROGRESS_BYTES = 16 * 1024;

/** A socket with Node's internal counts of what it handed to libuv and what libuv still holds. */
type CountingSocket = Socket & {
  _bytesDispatched?: number;
  _handle?: { writeQueueSize?: number } | null;
};

/** Output below this size is joined into one buffer before the write; larger goes as a list. */
const JOIN_BELOW_BYTES = 64 * 1024;
/** Bytes waiting in the socket above which reading pauses and DATA waits. */
const SOCKET_HIGH_WATER = 4 * 1024 * 1024;
/** Queued DATA of one stream above which `write()` returns false. */
const STREAM_HIGH_WATER = 1024 * 1024;
/** Largest header list (names + values + 32 per field) a request may have. */
export const MAX_HEADER_LIST_BYTES = 64 * 1024;
/** Client stream resets allowed at once, and per second after that (nghttp2's numbers). */
const RESET_BURST = 1000;
const RESETS_PER_SECOND = 33;
/** How long an ended socket may linger before it is destroyed. */
const LINGER_MS = 1000;
/** How long a connection ended for a protocol error may linger, whatever it still sends. */
const FAILED_LINGER_MS = 10_000;
/** How long an ended connection may take to read what it was sent. */
const ENDED_LINGER_MS = 60_000;

const noop = () => {};
const NOTHING = Buffer.alloc(0);

/**
 * Runs a consumer callback of a stream that is over already (reset or closed): its failure
 * changes nothing, so it is dropped.
 */
function quietly(callback: () => void): void {
  try {
    callback();
  } catch {}
}

/** A DATA frame being received across reads. */
interface PartialData {
  /** Where its payload goes; `undefined` when it is dropped (stream gone). */
  stream: H2Stream | undefined;
  flags: number;
  /** Payload bytes still to come. */
  left: number;
}

/**
 * One request stream. The consumer sets `onData`, `onEnd` and `onReset` synchronously in
 * `onStream`, then answers with `respond()`, `write()` and `end()`, or `reset()`.
 *
 * @internal
 */
export class H2Stream {
  /** A DATA payload (a view over the received bytes, valid as long as it is referenced). */
  onData: (chunk: Buffer) => void = noop;
  /** The client finished sending (END_STREAM). */
  onEnd: () => void = noop;
  /** The stream ended without an answer: RST_STREAM from the client, or the connection is gone. */
  onReset: (code: number) => void = noop;
  /** The queued DATA went out after `write()` returned false. */
  onDrain: () => void = noop;

  /** @internal */ sendWindow: number;
  /** @internal */ receiveAvailable: number;
  /** @internal */ receivedUnacked = 0;
  /** @internal */ remoteEnded = false;
  /** @internal */ localEnded = false;
  /** @internal */ readonly pending: Buffer[] = [];
  /** @internal */ pendingBytes = 0;
  /** @internal */ trailers: HeaderPairs | undefined;
  /** @internal */ ending = false;
  /** @internal */ needsDrain = false;
  /** @internal Counted against the stream limit until `release()`. */
  held = false;
  /** @internal Closed while held: counted in the connection's `heldClosed`. */
  countedClosed = false;
  /** The stream closed (answered, reset, or the connection gone); runs once. */
  onClose: () => void = noop;
  private headersSent = false;

  constructor(
    readonly id: number,
    readonly headers: HeaderPairs,
    /** Whether the request's header list was over the limit (`headers` is then empty). */
    readonly oversized: boolean,
    private readonly connection: H2Connection,
    sendWindow: number,
    receiveWindow: number,
  ) {
    this.sendWindow = sendWindow;
    this.receiveAvailable = receiveWindow;
  }

  /** Whether the stream is over (answered, reset, or the connection gone). */
  get closed(): boolean {
    return this.localEnded;
  }

  /** Whether queued DATA waits (for the client's windows or the socket). */
  get blocked(): boolean {
    return this.pendingBytes > 0;
  }

  /** The peer's address, `ip:port` (`[ip]:port` for IPv6). */
  get peer(): string {
    return this.connection.peer;
  }

  /** The value of a request header (the first when repeated), or `undefined`. */
  header(name: string): string | undefined {
    for (const [key, value] of this.headers) if (key === name) return value;
    return undefined;
  }

  /** Sends response headers; `endStream` makes them the whole answer (trailers-only). */
  respond(headers: HeaderPairs, endStream = false): void {
    if (this.localEnded || this.headersSent) return;
    this.headersSent = true;
    this.connection.sendHeaders(this.id, headers, endStream);
    if (endStream) this.connection.finishLocal(this);
  }

  /**
   * Queues DATA (sent as the flow-control windows allow; parts of one call may share a
   * frame). Returns false when the stream has over 1 MiB queued: wait for `onDrain`.
   */
  write(data: Buffer | readonly Buffer[]): boolean {
    if (this.localEnded || this.ending) return false;
    for (const part of Buffer.isBuffer(data) ? [data] : data) {
      if (part.length === 0) continue;
      this.pending.push(part);
      this.pendingBytes += part.length;
      this.connection.queuedBytes += part.length;
    }
    this.connection.pump(this);
    if (this.pendingBytes < STREAM_HIGH_WATER) return true;
    this.needsDrain = true;
    return false;
  }

  /** Sends `trailers` with END_STREAM once the queued DATA is out. */
  end(trailers: HeaderPairs): void {
    if (this.localEnded || this.ending) return;
    this.ending = true;
    this.trailers = trailers;
    this.connection.pump(this);
  }

  /** Ends the stream with RST_STREAM. */
  reset(code: number = H2_ERROR.CANCEL): void {
    if (this.localEnded) return;
    this.connection.resetStream(this, code);
  }

  /**
   * Keeps the stream counted against the stream limit after it closes, until `release()`.
   * No effect on a stream already closed.
   */
  hold(): void {
    if (!this.localEnded) this.held = true;
  }

  /** Ends a `hold()`. */
  release(): void {
    if (!this.held) return;
    this.held = false;
    if (this.countedClosed) {
      this.countedClosed = false;
      this.connection.released();
    }
  }
}

/**
 * The server side of one HTTP/2 connection on `socket`.
 *
 * @internal
 * @example
 * server.on('connection', (socket) => new H2Connection(socket, { windowBytes, maxConcurrentStreams: 1000, onStream }));
 */
export class H2Connection {
  readonly peer: string;
  private readonly decoder = new HpackDecoder(4096, MAX_HEADER_LIST_BYTES);
  private readonly streams = new Map<number, H2Stream>();
  /** Closed streams still held by their consumer (counted against the stream limit). */
  private heldClosed = 0;
  /** Bytes of an incomplete preface or frame, kept as received (joined once complete). */
  private held: Buffer[] = [];
  private heldBytes = 0;
  private prefaceSeen = false;
  private settingsSeen = false;
  private lastStreamId = 0;
  private sendWindow = DEFAULT_WINDOW;
  private peerInitialWindow = DEFAULT_WINDOW;
  private peerMaxFrameSize = DEFAULT_MAX_FRAME_SIZE;
  /**
   * The dynamic table size the peer's decoder assumes for our encoder: 4096 at first, 0 once
   * a smaller SETTINGS_HEADER_TABLE_SIZE was answered by a size update to 0.
   */
  private encoderTableSize = DEFAULT_HEADER_TABLE_SIZE;
  /** The next header block must open with a table size update (the peer lowered its size). */
  private tableSizeUpdatePending = false;
  private receiveAvailable: number;
  private receivedUnacked = 0;
  private resetTokens = RESET_BURST;
  private resetTokensAt = performance.now();
  /** A DATA frame whose payload is still arriving (see `startData`). */
  private partialData: PartialData | undefined;
  /** A header block waiting for CONTINUATION frames. */
  private headerBlock: { streamId: number; endStream: boolean; chunks: Buffer[] } | undefined;
  /** Streams waiting for the connection window or for the socket to drain. */
  private readonly blocked = new Set<H2Stream>();
  private readonly out: Buffer[] = [];
  private outBytes = 0;
  private flushScheduled = false;
  private readingPaused = false;
  private goingAway = false;
  private destroyed = false;
  private readonly onDrained = new Set<() => void>();
  /** @internal DATA queued on all streams (their `pendingBytes`), not yet given to the socket. */
  queuedBytes = 0;
  /** All bytes given to the socket (`flush`). */
  private flushedBytes = 0;
  private stallTimer: NodeJS.Timeout | undefined;
  /** Arm the stall watch once the bytes queued for the socket are written (`flush`). */
  private stallAfterFlush = false;
  /** An empty write is out to tell when the socket has emptied (see `flush`). */
  private stallWriteWatched = false;
  /** What the kernel had taken when the stall watch was last armed (`kernelTook()`). */
  private stallMark = 0;
  /** When a byte last arrived (`performance.now()`: no wall-clock steps), for keepalive. */
  private lastReceived = performance.now();
  /** When an unanswered keepalive PING went out; `undefined` when none is out. */
  private pingSentAt: number | undefined = undefined;
  private keepaliveTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly socket: Socket,
    private readonly options: H2ConnectionOptions,
  ) {
    const address = socket.remoteAddress ?? '';
    this.peer = `${address.includes(':') ? `[${address}]` : address}:${socket.remotePort ?? ''}`;
    this.receiveAvailable = options.windowBytes;
    socket.setNoDelay(true);
    const settings: Array<[number, number]> = [
      [SETTING.MAX_CONCURRENT_STREAMS, options.maxConcurrentStreams],
      [SETTING.ENABLE_PUSH, 0],
      [SETTING.MAX_HEADER_LIST_SIZE, MAX_HEADER_LIST_BYTES],
    ];
    if (options.windowBytes !== DEFAULT_WINDOW) {
      settings.push([SETTING.INITIAL_WINDOW_SIZE, options.windowBytes]);
    }
    this.queue(settingsFrame(settings));
    if (options.windowBytes > DEFAULT_WINDOW) {
      this.queue(windowUpdateFrame(0, options.windowBytes - DEFAULT_WINDOW));
    }
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('drain', () => this.drained());
    socket.on('error', noop);
    socket.on('close', () => this.closed());
    if (options.keepalive !== undefined) this.armKeepalive(options.keepalive.timeMs);
  }

  /** Open streams. */
  get streamCount(): number {
    return this.streams.size;
  }

  /**
   * Graceful close: GOAWAY naming the last stream taken, new streams refused, the socket
   * ended once the open streams are answered. `onIdle` runs when the connection is closed.
   */
  goAway(onIdle?: () => void): void {
    if (onIdle !== undefined) {
      if (this.destroyed) onIdle();
      else this.onDrained.add(onIdle);
    }
    if (this.goingAway || this.destroyed) return;
    this.goingAway = true;
    this.queue(goawayFrame(this.lastStreamId, H2_ERROR.NO_ERROR));
    this.endIfIdle();
  }

  /** Cuts the connection now: open streams are reset (their `onReset` runs). */
  destroy(): void {
    this.socket.destroy();
    this.closed();
  }

  // ---- keepalive ----

  private armKeepalive(delayMs: number): void {
    this.keepaliveTimer = setTimeout(() => this.keepaliveDue(), Math.max(1, delayMs));
    this.keepaliveTimer.unref();
  }

  /** Sends a PING after `timeMs` of silence; closes the connection if it goes unanswered. */
  private keepaliveDue(): void {
    this.keepaliveTimer = undefined;
    const keepalive = this.options.keepalive;
    if (this.destroyed || keepalive === undefined) return;
    if (this.readingPaused) {
      // Not reading (the peer does not read our answers): its acknowledgement could not be
      // seen. TCP's own timeouts end a dead peer's connection with unsent data.
      this.pingSentAt = undefined;
      this.armKeepalive(keepalive.timeMs);
      return;
    }
    const now = performance.now();
    if (this.pingSentAt !== undefined) {
      const waited = now - this.pingSentAt;
      if (waited < keepalive.timeoutMs) {
        this.armKeepalive(keepalive.timeoutMs - waited);
        return;
      }
      // Node runs timers before it reads sockets: after a stall of the event loop the answer
      // may be waiting unread. Decide after this turn's reads (`receive()` clears the PING).
      setImmediate(() => this.keepaliveExpired());
      return;
    }
    const idle = now - this.lastReceived;
    if (idle < keepalive.timeMs) {
      this.armKeepalive(keepalive.timeMs - idle);
      return;
    }
    this.pingSentAt = now;
    const payload = Buffer.alloc(8);
    payload.writeDoubleBE(now);
    this.queue(frame(FRAME.PING, 0, 0, payload));
    this.armKeepalive(keepalive.timeoutMs);
  }

  /** The keepalive PING went unanswered: GOAWAY, and the connection is cut. */
  private keepaliveExpired(): void {
    const keepalive = this.options.keepalive;
    if (this.destroyed || keepalive === undefined) return;
    if (this.pingSentAt === undefined) {
      // Answered after all (read in this turn): wait for the next silence.
      this.armKeepalive(keepalive.timeMs);
      return;
    }
    this.queue(goawayFrame(this.lastStreamId, H2_ERROR.NO_ERROR, 'keepalive timeout'));
    this.flush();
    this.destroy();
  }

  // ---- input ----

  private receive(chunk: Buffer): void {
    if (this.destroyed) return;
    // Anything from the peer shows it is there (a PING acknowledgement included).
    this.lastReceived = performance.now();
    this.pingSentAt = undefined;
    let data = chunk;
    let offset = 0;
    try {
      if (this.partialData !== undefined) {
        offset = this.continueData(chunk);
        if (this.destroyed) return;
      }
      if (this.heldBytes > 0) {
        // An incomplete preface or frame: keep the reads as they are until it is complete,
        // then join only its own bytes (a frame trickled in byte by byte costs one join).
        this.held.push(chunk);
        this.heldBytes += chunk.length;
        const need = this.bytesToComplete();
        if (need === undefined || need > this.heldBytes) return;
        const before = this.heldBytes - chunk.length;
        const parts = this.held;
        parts[parts.length - 1] = chunk.subarray(0, need - before);
        this.held = [];
        this.heldBytes = 0;
        const joined = Buffer.concat(parts, need);
        if (this.parse(joined, 0) !== joined.length && !this.destroyed) {
          throw new Error('a completed frame was not consumed');
        }
        if (this.destroyed) return;
        offset = need - before;
      }
      offset = this.parse(data, offset);
      if (this.destroyed) return;
    } catch (error) {
      this.fail(error);
      return;
    }
    if (offset < data.length) {
      data = data.subarray(offset);
      this.held = [data];
      this.heldBytes = data.length;
    }
    this.flush();
  }

  /**
   * How many bytes from the start of `held` complete the preface or frame it starts, or
   * `undefined` while the frame header is incomplete.
   */
  private bytesToComplete(): number | undefined {
    if (!this.prefaceSeen) return CLIENT_PREFACE.length;
    if (this.heldBytes < FRAME_HEADER_BYTES) return undefined;
    // The 24-bit length, read across the held reads without joining them.
    let length = 0;
    let read = 0;
    for (const part of this.held) {
      for (let index = 0; index < part.length && read < 3; index++, read++) {
        length = (length << 8) | part[index]!;
      }
      if (read === 3) break;
    }
    if (length > DEFAULT_MAX_FRAME_SIZE) {
      throw new Http2ProtocolError('FRAME_SIZE_ERROR', `frame of ${length} bytes`);
    }
    return FRAME_HEADER_BYTES + length;
  }

  /** Handles the preface and the whole frames in `data` from `start`; returns where it stopped. */
  private parse(data: Buffer, start: number): number {
    let offset = start;
    if (!this.prefaceSeen) {
      const compared = Math.min(data.length - offset, CLIENT_PREFACE.length);
      if (data.compare(CLIENT_PREFACE, 0, compared, offset, offset + compared) !== 0) {
        throw new Http2ProtocolError('PROTOCOL_ERROR', 'not an HTTP/2 connection preface');
      }
      if (compared < CLIENT_PREFACE.length) return offset;
      this.prefaceSeen = true;
      offset += CLIENT_PREFACE.length;
    }
    while (data.length - offset >= FRAME_HEADER_BYTES) {
      const length = (data[offset]! << 16) | (data[offset + 1]! << 8) | data[offset + 2]!;
      if (length > DEFAULT_MAX_FRAME_SIZE) {
        throw new Http2ProtocolError('FRAME_SIZE_ERROR', `frame of ${length} bytes`);
      }
      const type = data[offset + 3]!;
      const flags = data[offset + 4]!;
      const streamId = data.readUInt32BE(offset + 5) & 0x7fffffff;
      if (data.length - offset < FRAME_HEADER_BYTES + length) {
        // An unpadded DATA frame is streamed; any other frame waits until it is whole.
        if (type !== FRAME.DATA || flags & FLAG.PADDED || !this.settingsSeen) break;
        if (this.headerBlock !== undefined) {
          throw new Http2ProtocolError('PROTOCOL_ERROR', 'expected CONTINUATION');
        }
        this.startData(flags, streamId, length, data.subarray(offset + FRAME_HEADER_BYTES));
        return data.length;
      }
      const payloadStart = offset + FRAME_HEADER_BYTES;
      offset = payloadStart + length;
      this.frame(type, flags, streamId, data.subarray(payloadStart, offset));
      if (this.destroyed) return offset;
    }
    return offset;
  }

  private frame(type: number, flags: number, streamId: number, payload: Buffer): void {
    if (!this.settingsSeen) {
      if (type !== FRAME.SETTINGS || flags & FLAG.ACK) {
        throw new Http2ProtocolError('PROTOCOL_ERROR', 'the first frame must be SETTINGS');
      }
      this.settingsSeen = true;
    }
    if (this.headerBlock !== undefined && type !== FRAME.CONTINUATION) {
      throw new Http2ProtocolError('PROTOCOL_ERROR', 'expected CONTINUATION');
    }
    switch (type) {
      case FRAME.DATA:
        this.data(flags, streamId, payload);
        return;
      case FRAME.HEADERS:
        this.headers(flags, streamId, payload);
        return;
      case FRAME.CONTINUATION:
        this.continuation(flags, streamId, payload);
        return;
      case FRAME.PRIORITY: {
        if (streamId === 0) throw new Http2ProtocolError('PROTOCOL_ERROR', 'PRIORITY on stream 0');
        if (payload.length === 5) return;
        const stream = this.streams.get(streamId);
        if (stream !== undefined) this.resetStream(stream, H2_ERROR.FRAME_SIZE_ERROR, true);
        else this.queue(rstStreamFrame(streamId, H2_ERROR.FRAME_SIZE_ERROR));
        return;
      }
      case FRAME.RST_STREAM:
        this.rstStream(streamId, payload);
        return;
      case FRAME.SETTINGS:
        this.settings(flags, streamId, payload);
        return;
      case FRAME.PUSH_PROMISE:
        throw new Http2ProtocolError('PROTOCOL_ERROR', 'PUSH_PROMISE from a client');
      case FRAME.PING:
        if (streamId !== 0) throw new Http2ProtocolError('PROTOCOL_ERROR', 'PING on a stream');
        if (payload.length !== 8) throw new Http2ProtocolError('FRAME_SIZE_ERROR', 'PING size');
        if ((flags & FLAG.ACK) === 0) this.queue(frame(FRAME.PING, FLAG.ACK, 0, payload));
        return;
      case FRAME.GOAWAY:
        if (streamId !== 0) throw new Http2ProtocolError('PROTOCOL_ERROR', 'GOAWAY on a stream');
        if (payload.length < 8) throw new Http2ProtocolError('FRAME_SIZE_ERROR', 'GOAWAY size');
        this.goAway();
        return;
      case FRAME.WINDOW_UPDATE:
        this.windowUpdate(streamId, payload);
        return;
      default:
        // Unknown frame types are ignored (RFC 9113 section 4.1).
        return;
    }
  }

  /** A frame's payload without its padding (PADDED flag) and `skip` leading bytes. */
  private unpadded(flags: number, payload: Buffer, skip = 0): Buffer {
    const padded = (flags & FLAG.PADDED) !== 0;
    const padding = padded ? (payload[0] ?? 0) : 0;
    const start = (padded ? 1 : 0) + skip;
    if (start > payload.length) throw new Http2ProtocolError('FRAME_SIZE_ERROR', 'frame too short');
    if (start + padding > payload.length) {
      throw new Http2ProtocolError('PROTOCOL_ERROR', 'padding longer than the frame');
    }
    return start === 0 && padding === 0
      ? payload
      : payload.subarray(start, payload.length - padding);
  }

  private data(flags: number, streamId: number, payload: Buffer): void {
    const stream = this.dataHeader(flags, streamId, payload.length);
    if (stream === undefined) return;
    const body = this.unpadded(flags, payload);
    const ended = (flags & FLAG.END_STREAM) !== 0;
    // Marked before the consumer runs: an answer it completes now needs no RST_STREAM.
    if (ended) stream.remoteEnded = true;
    if (body.length > 0) this.guard(stream, () => stream.onData(body));
    if (ended) this.endRemote(stream);
  }

  /**
   * A DATA frame's header: flow-control accounting for its `length` bytes (padding included)
   * and the stream its payload goes to, or `undefined` when the payload is dropped.
   */
  private dataHeader(flags: number, streamId: number, length: number): H2Stream | undefined {
    if (streamId === 0) throw new Http2ProtocolError('PROTOCOL_ERROR', 'DATA on stream 0');
    this.receiveAvailable -= length;
    if (this.receiveAvailable < 0) {
      throw new Http2ProtocolError('FLOW_CONTROL_ERROR', 'connection window exceeded');
    }
    this.receivedUnacked += length;
    if (this.receivedUnacked >= this.options.windowBytes / 2) {
      this.queue(windowUpdateFrame(0, this.receivedUnacked));
      this.receiveAvailable += this.receivedUnacked;
      this.receivedUnacked = 0;
    }
    const stream = this.streams.get(streamId);
    if (stream === undefined || stream.remoteEnded) {
      if (streamId > this.lastStreamId) {
        throw new Http2ProtocolError('PROTOCOL_ERROR', `DATA on idle stream ${streamId}`);
      }
      // A stream already answered or reset: its late DATA is dropped.
      if (stream !== undefined) this.resetStream(stream, H2_ERROR.STREAM_CLOSED, true);
      return undefined;
    }
    stream.receiveAvailable -= length;
    if (stream.receiveAvailable < 0) {
      this.resetStream(stream, H2_ERROR.FLOW_CONTROL_ERROR, true);
      return undefined;
    }
    if ((flags & FLAG.END_STREAM) === 0) {
      stream.receivedUnacked += length;
      if (stream.receivedUnacked >= this.options.windowBytes / 2) {
        this.queue(windowUpdateFrame(streamId, stream.receivedUnacked));
        stream.receiveAvailable += stream.receivedUnacked;
        stream.receivedUnacked = 0;
      }
    }
    return stream;
  }

  /**
   * Starts a DATA frame whose payload is not all here yet: what is here goes to the stream
   * now, the rest as it arrives (`continueData`), so a large message's frames are never
   * joined across reads.
   */
  private startData(flags: number, streamId: number, length: number, available: Buffer): void {
    const stream = this.dataHeader(flags, streamId, length);
    this.partialData = { stream, flags, left: length - available.length };
    if (stream !== undefined && available.length > 0) {
      this.guard(stream, () => stream.onData(available));
    }
  }

  /** Feeds the rest of a started DATA frame from `chunk`; returns the bytes it took. */
  private continueData(chunk: Buffer): number {
    const partial = this.partialData as PartialData;
    const take = Math.min(partial.left, chunk.length);
    partial.left -= take;
    const { stream } = partial;
    if (partial.left === 0) this.partialData = undefined;
    if (stream === undefined || stream.remoteEnded) return take;
    const ended = partial.left === 0 && (partial.flags & FLAG.END_STREAM) !== 0;
    if (ended) stream.remoteEnded = true;
    if (take > 0) {
      const piece = take === chunk.length ? chunk : chunk.subarray(0, take);
      this.guard(stream, () => stream.onData(piece));
    }
    if (ended) this.endRemote(stream);
    return take;
  }

  private headers(flags: number, streamId: number, payload: Buffer): void {
    if (streamId === 0) throw new Http2ProtocolError('PROTOCOL_ERROR', 'HEADERS on stream 0');
    const fragment = this.unpadded(flags, payload, flags & FLAG.PRIORITY ? 5 : 0);
    const endStream = (flags & FLAG.END_STREAM) !== 0;
    if ((flags & FLAG.END_HEADERS) === 0) {
      this.headerBlock = { streamId, endStream, chunks: [fragment] };
      return;
    }
    this.headerBlockDone(streamId, endStream, fragment);
  }

  private continuation(flags: number, streamId: number, payload: Buffer): void {
    const block = this.headerBlock;
    if (block === undefined || block.streamId !== streamId) {
      throw new Http2ProtocolError('PROTOCOL_ERROR', 'unexpected CONTINUATION');
    }
    block.chunks.push(payload);
    if (block.chunks.length > 64) {
      throw new Http2ProtocolError('ENHANCE_YOUR_CALM', 'too many CONTINUATION frames');
    }
    if ((flags & FLAG.END_HEADERS) === 0) return;
    this.headerBlock = undefined;
    this.headerBlockDone(streamId, block.endStream, Buffer.concat(block.chunks));
  }

  private headerBlockDone(streamId: number, endStream: boolean, block: Buffer): void {
    // Every block is decoded, refused streams' too: the HPACK table is shared.
    const headers = this.decoder.decode(block);
    const open = this.streams.get(streamId);
    if (open !== undefined) {
      // Trailers: they must end the stream.
      if (!endStream || open.remoteEnded) {
        this.resetStream(open, H2_ERROR.PROTOCOL_ERROR, true);
        return;
      }
      open.remoteEnded = true;
      this.endRemote(open);
      return;
    }
    if (streamId % 2 === 0) throw new Http2ProtocolError('PROTOCOL_ERROR', 'even stream id');
    if (streamId <= this.lastStreamId) {
      // Trailers of a stream this side already answered or reset, sent before the client
      // knew, are dropped; anything else reuses an old id.
      if (endStream) return;
      throw new Http2ProtocolError('PROTOCOL_ERROR', `stream id ${streamId} is not above the last`);
    }
    this.lastStreamId = streamId;
    if (
      this.goingAway ||
      this.streams.size + this.heldClosed >= this.options.maxConcurrentStreams ||
      this.queuedBytes >= (this.options.maxQueuedBytes ?? DEFAULT_GRPC_OPTIONS.maxQueuedBytes)
    ) {
      this.queue(rstStreamFrame(streamId, H2_ERROR.REFUSED_STREAM));
      return;
    }
    const stream = new H2Stream(
      streamId,
      headers ?? [],
      headers === undefined,
      this,
      this.peerInitialWindow,
      this.options.windowBytes,
    );
    this.streams.set(streamId, stream);
    if (endStream) stream.remoteEnded = true;
    this.guard(stream, () => this.options.onStream(stream));
    if (endStream) this.endRemote(stream);
  }

  /** The client ended the stream (`remoteEnded` already set): tell the consumer. */
  private endRemote(stream: H2Stream): void {
    if (stream.localEnded) {
      this.forget(stream);
      return;
    }
    this.guard(stream, () => stream.onEnd());
    if (stream.localEnded) this.forget(stream);
  }

  /**
   * Runs a consumer callback of `stream`: an exception resets that stream (INTERNAL_ERROR)
   * and nothing else; the connection and its other streams go on.
   */
  private guard(stream: H2Stream, callback: () => void): void {
    try {
      callback();
    } catch (error) {
      if (error instanceof Http2ProtocolError) throw error;
      this.resetStream(stream, H2_ERROR.INTERNAL_ERROR);
    }
  }

  private rstStream(streamId: number, payload: Buffer): void {
    if (streamId === 0) throw new Http2ProtocolError('PROTOCOL_ERROR', 'RST_STREAM on stream 0');
    if (payload.length !== 4) throw new Http2ProtocolError('FRAME_SIZE_ERROR', 'RST_STREAM size');
    if (streamId > this.lastStreamId) {
      throw new Http2ProtocolError('PROTOCOL_ERROR', `RST_STREAM on idle stream ${streamId}`);
    }
    const stream = this.streams.get(streamId);
    if (stream === undefined) return;
    this.spendResetToken();
    const wasOpen = !stream.localEnded;
    stream.localEnded = true;
    stream.remoteEnded = true;
    this.forget(stream);
    if (wasOpen) this.guard(stream, () => stream.onReset(payload.readUInt32BE(0)));
  }

  /** Rate-limits the client's stream resets (the "rapid reset" attack, CVE-2023-44487). */
  private spendResetToken(): void {
    // Monotonic: a wall-clock step back would otherwise drain the burst at once.
    const now = performance.now();
    this.resetTokens = Math.min(
      RESET_BURST,
      this.resetTokens + ((now - this.resetTokensAt) * RESETS_PER_SECOND) / 1000,
    );
    this.resetTokensAt = now;
    if (this.resetTokens < 1) {
      throw new Http2ProtocolError('ENHANCE_YOUR_CALM', 'too many stream resets');
    }
    this.resetTokens -= 1;
  }

  private settings(flags: number, streamId: number, payload: Buffer): void {
    if (streamId !== 0) throw new Http2ProtocolError('PROTOCOL_ERROR', 'SETTINGS on a stream');
    if (flags & FLAG.ACK) {
      if (payload.length !== 0) throw new Http2ProtocolError('FRAME_SIZE_ERROR', 'SETTINGS ACK');
      return;
    }
    if (payload.length % 6 !== 0) throw new Http2ProtocolError('FRAME_SIZE_ERROR', 'SETTINGS');
    for (let offset = 0; offset < payload.length; offset += 6) {
      const id = payload.readUInt16BE(offset);
      const value = payload.readUInt32BE(offset + 2);
      if (id === SETTING.ENABLE_PUSH && value > 1) {
        throw new Http2ProtocolError('PROTOCOL_ERROR', 'ENABLE_PUSH above 1');
      } else if (id === SETTING.INITIAL_WINDOW_SIZE) {
        if (value > MAX_WINDOW) {
          throw new Http2ProtocolError('FLOW_CONTROL_ERROR', 'INITIAL_WINDOW_SIZE too large');
        }
        const delta = value - this.peerInitialWindow;
        this.peerInitialWindow = value;
        for (const stream of this.streams.values()) {
          stream.sendWindow += delta;
          if (stream.sendWindow > MAX_WINDOW) {
            throw new Http2ProtocolError('FLOW_CONTROL_ERROR', 'stream window overflow');
          }
        }
        if (delta > 0) for (const stream of [...this.streams.values()]) this.pump(stream);
      } else if (id === SETTING.MAX_FRAME_SIZE) {
        if (value < DEFAULT_MAX_FRAME_SIZE || value > 0xffffff) {
          throw new Http2ProtocolError('PROTOCOL_ERROR', 'MAX_FRAME_SIZE out of range');
        }
        this.peerMaxFrameSize = value;
      } else if (id === SETTING.HEADER_TABLE_SIZE && value < this.encoderTableSize) {
        // The encoder never uses the dynamic table, but a peer that lowered its size must see
        // the encoder acknowledge it (RFC 7541, 4.2): nghttp2 (Node's http2, curl, Envoy)
        // drops a response whose header block does not. Once at 0, no later value needs one.
        this.encoderTableSize = 0;
        this.tableSizeUpdatePending = true;
      }
      // The other settings are advisory.
    }
    this.queue(frame(FRAME.SETTINGS, FLAG.ACK, 0));
  }

  private windowUpdate(streamId: number, payload: Buffer): void {
    if (payload.length !== 4)
      throw new Http2ProtocolError('FRAME_SIZE_ERROR', 'WINDOW_UPDATE size');
    const increment = payload.readUInt32BE(0) & 0x7fffffff;
    if (streamId === 0) {
      if (increment === 0) throw new Http2ProtocolError('PROTOCOL_ERROR', 'WINDOW_UPDATE of 0');
      this.sendWindow += increment;
      if (this.sendWindow > MAX_WINDOW) {
        throw new Http2ProtocolError('FLOW_CONTROL_ERROR', 'connection window overflow');
      }
      this.unblock();
      return;
    }
    const stream = this.streams.get(streamId);
    if (stream === undefined) {
      if (streamId > this.lastStreamId) {
        throw new Http2ProtocolError('PROTOCOL_ERROR', `WINDOW_UPDATE on idle stream ${streamId}`);
      }
      return;
    }
    if (increment === 0) {
      this.resetStream(stream, H2_ERROR.PROTOCOL_ERROR, true);
      return;
    }
    stream.sendWindow += increment;
    if (stream.sendWindow > MAX_WINDOW) {
      this.resetStream(stream, H2_ERROR.FLOW_CONTROL_ERROR, true);
      return;
    }
    this.pump(stream);
  }

  // ---- output ----

  /** @internal Sends a header block (split into CONTINUATION frames when needed). */
  sendHeaders(streamId: number, headers: HeaderPairs, endStream: boolean): void {
    const block = encodeHeaders(headers, this.tableSizeUpdatePending);
    this.tableSizeUpdatePending = false;
    const max = this.peerMaxFrameSize;
    const endFlag = endStream ? FLAG.END_STREAM : 0;
    // One HEADERS frame, then CONTINUATION frames for what does not fit (an empty block is
    // one empty HEADERS frame).
    let offset = 0;
    do {
      const last = offset + max >= block.length;
      const type = offset === 0 ? FRAME.HEADERS : FRAME.CONTINUATION;
      const flags = (last ? FLAG.END_HEADERS : 0) | (offset === 0 ? endFlag : 0);
      this.queue(frame(type, flags, streamId, block.subarray(offset, offset + max)));
      offset += max;
    } while (offset < block.length);
  }

  /** Whether the socket has so much to send that DATA should wait. */
  private get congested(): boolean {
    return this.socket.writableLength + this.outBytes > SOCKET_HIGH_WATER;
  }

  /**
   * @internal Sends what the windows (and the socket) allow of the stream's queued DATA,
   * then its trailers.
   */
  pump(stream: H2Stream): void {
    if (stream.localEnded) return;
    const pending = stream.pending;
    while (pending.length > 0) {
      const allowed = Math.min(stream.sendWindow, this.sendWindow, this.peerMaxFrameSize);
      if (allowed <= 0 || this.congested) {
        // A stream window opens with its own WINDOW_UPDATE; the others are waited for here.
        if (this.sendWindow <= 0 || this.congested) this.blocked.add(stream);
        // Bytes queued for the socket are written first, and the watch measured from there.
        if (this.outBytes > 0) this.stallAfterFlush = true;
        else this.watchStall();
        return;
      }
      // One frame may span queued buffers (a message's 5-byte prefix and its body).
      const size = Math.min(allowed, stream.pendingBytes);
      const header = Buffer.allocUnsafe(FRAME_HEADER_BYTES);
      writeFrameHeader(header, 0, size, FRAME.DATA, 0, stream.id);
      this.queue(header);
      let left = size;
      while (left > 0) {
        const chunk = pending[0]!;
        if (chunk.length <= left) {
          this.queue(chunk);
          pending.shift();
          left -= chunk.length;
        } else {
          this.queue(chunk.subarray(0, left));
          pending[0] = chunk.subarray(left);
          left = 0;
        }
      }
      stream.pendingBytes -= size;
      this.queuedBytes -= size;
      stream.sendWindow -= size;
      this.sendWindow -= size;
    }
    if (stream.needsDrain) {
      stream.needsDrain = false;
      this.guard(stream, () => stream.onDrain());
    }
    if (stream.ending && !stream.localEnded) {
      this.sendHeaders(stream.id, stream.trailers ?? [], true);
      this.finishLocal(stream);
    }
  }

  /** Resumes the streams waiting for the connection window or the socket. */
  private unblock(): void {
    const waiting = [...this.blocked];
    this.blocked.clear();
    for (const stream of waiting) this.pump(stream);
  }

  /** The socket sent what it had: DATA and reading go on. */
  private drained(): void {
    if (this.destroyed) return;
    this.unblock();
    this.stallEnded();
    if (this.readingPaused && !this.congested) {
      this.readingPaused = false;
      this.socket.resume();
    }
  }

  /** @internal The server's side of the stream is done. */
  finishLocal(stream: H2Stream): void {
    stream.localEnded = true;
    this.blocked.delete(stream);
    if (!stream.remoteEnded) {
      // The answer is complete before the request: tell the client to stop sending.
      this.queue(rstStreamFrame(stream.id, H2_ERROR.NO_ERROR));
      stream.remoteEnded = true;
    }
    this.forget(stream);
  }

  /**
   * @internal Resets a stream. `clientCaused` (a frame of the client's broke the stream's
   * rules) spends a reset token as the client's own RST_STREAM does: otherwise a client could
   * have the server reset streams for it and dodge the rapid-reset limit.
   */
  resetStream(stream: H2Stream, code: number, clientCaused = false): void {
    if (clientCaused) this.spendResetToken();
    const wasOpen = !stream.localEnded;
    stream.localEnded = true;
    stream.remoteEnded = true;
    this.queue(rstStreamFrame(stream.id, code));
    this.forget(stream);
    if (wasOpen) quietly(() => stream.onReset(code));
  }

  /** @internal A stream closed while held was released by its consumer. */
  released(): void {
    this.heldClosed--;
  }

  private forget(stream: H2Stream): void {
    this.queuedBytes -= stream.pendingBytes;
    stream.pending.length = 0;
    stream.pendingBytes = 0;
    this.blocked.delete(stream);
    if (this.streams.get(stream.id) === stream) {
      this.streams.delete(stream.id);
      if (stream.held) {
        stream.countedClosed = true;
        this.heldClosed++;
      }
      this.notifyClosed(stream);
    }
    // Its answer may have been all that waited (a reset stream's DATA is dropped).
    this.stallEnded();
    this.endIfIdle();
  }

  private notifyClosed(stream: H2Stream): void {
    quietly(() => stream.onClose());
  }

  private endIfIdle(): void {
    if (!this.goingAway || this.streams.size > 0 || this.destroyed) return;
    this.flush();
    this.endSocket();
  }

  /**
   * Ends the socket. Once what was queued is written (`'finish'`), a peer that does not
   * close within a second is cut; after a protocol error (`failed`) nothing of value is
   * queued, and a peer that reads nothing is cut after 10 s either way. A graceful close of
   * a peer that does not read is left to `forceShutdown` after the grace period.
   */
  private endSocket(failed = false): void {
    const socket = this.socket;
    socket.end();
    socket.once('finish', () => setTimeout(() => socket.destroy(), LINGER_MS).unref());
    setTimeout(() => socket.destroy(), failed ? FAILED_LINGER_MS : ENDED_LINGER_MS).unref();
    this.closed();
  }

  private queue(bytes: Buffer): void {
    if (this.destroyed) return;
    this.out.push(bytes);
    this.outBytes += bytes.length;
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      // Answers finished in the same tick go out in one write.
      process.nextTick(() => this.flush());
    }
  }

  private flush(): void {
    this.flushScheduled = false;
    const out = this.out;
    if (out.length === 0 || this.destroyed) return;
    if (out.length === 1) this.socket.write(out[0]!);
    else if (this.outBytes < JOIN_BELOW_BYTES) this.socket.write(Buffer.concat(out, this.outBytes));
    else {
      this.socket.cork();
      for (const bytes of out) this.socket.write(bytes);
      this.socket.uncork();
    }
    this.flushedBytes += this.outBytes;
    out.length = 0;
    this.outBytes = 0;
    const unsent = this.socket.writableLength;
    // A client that does not read: stop reading it until the socket drains.
    if (!this.readingPaused && unsent > SOCKET_HIGH_WATER) {
      this.readingPaused = true;
      this.socket.pause();
    }
    // Bytes the kernel did not take at once, or DATA waiting for a window: watched from here.
    if (this.stallAfterFlush || unsent > 0) {
      this.stallAfterFlush = false;
      this.watchStall();
      // The socket emits 'drain' only after a write it refused: under its high-water mark, an
      // empty write's callback says when what was queued before it is out.
      if (unsent > 0 && this.stallTimer !== undefined && !this.stallWriteWatched) {
        this.stallWriteWatched = true;
        this.socket.write(NOTHING, () => {
          this.stallWriteWatched = false;
          this.stallEnded();
        });
      }
    }
    // All in the kernel: the wait is over, unless DATA still waits for a window.
    if (unsent === 0) this.stallEnded();
  }

  // ---- a client that stopped reading ----

  /**
   * Arms the stall watch (once): answers wait, for the client's windows or in the socket.
   * When it fires, the kernel must have taken a frame's worth of bytes since (`kernelTook()`),
   * as nginx's `send_timeout` counts from the last write the client took: a client that reads
   * nothing fills the kernel's buffers, and then nothing moves, whatever we queue behind them
   * (DATA its windows let out, acknowledgements of its PINGs). Once nothing waits, the watch
   * stops (`stallEnded`): a later wait is timed from its own start.
   */
  private watchStall(): void {
    const limit = this.options.sendStallMs ?? DEFAULT_GRPC_OPTIONS.sendStallMs;
    if (this.stallTimer !== undefined || this.destroyed || limit === 0) return;
    this.stallMark = this.kernelTook();
    this.stallTimer = setTimeout(() => this.stallDue(), Math.min(limit, MAX_TIMER_MS));
    this.stallTimer.unref();
  }

  /** Nothing waits any more (all DATA out, the socket empty): the stall watch stops. */
  private stallEnded(): void {
    if (this.stallTimer === undefined || this.queuedBytes > 0) return;
    if (this.socket.writableLength > 0 || this.outBytes > 0) return;
    clearTimeout(this.stallTimer);
    this.stallTimer = undefined;
  }

  /**
   * Bytes the kernel has taken from this socket: what was handed to libuv (Node's
   * `_bytesDispatched`) less what libuv still holds (`writeQueueSize`, which falls while the
   * client reads one large write). Without those internals: what was given to the socket
   * less what it still holds (moves only when a whole write completes).
   */
  private kernelTook(): number {
    const socket = this.socket as CountingSocket;
    const dispatched = socket._bytesDispatched;
    const unwritten = socket._handle?.writeQueueSize;
    if (typeof dispatched === 'number' && typeof unwritten === 'number') {
      return dispatched - unwritten;
    }
    return this.flushedBytes - socket.writableLength;
  }

  private stallDue(): void {
    this.stallTimer = undefined;
    if (this.destroyed) return;
    if (this.queuedBytes === 0 && this.socket.writableLength === 0) return; // nothing waits
    if (this.kernelTook() - this.stallMark >= STALL_PROGRESS_BYTES) {
      this.watchStall(); // slow, but taking bytes
      return;
    }
    this.queue(goawayFrame(this.lastStreamId, H2_ERROR.NO_ERROR, 'the client stopped reading'));
    this.flush();
    this.destroy();
  }

  private fail(error: unknown): void {
    // Protocol errors name their cause; anything else is this server's fault, kept private.
    const known = error instanceof Http2ProtocolError;
    const code = known ? error.code : H2_ERROR.INTERNAL_ERROR;
    const message = known ? error.message.slice(0, 256) : 'internal error';
    this.queue(goawayFrame(this.lastStreamId, code, message));
    this.flush();
    this.endSocket(true);
  }

  /** The socket is gone (or going): every open stream is reset. */
  private closed(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    if (this.keepaliveTimer !== undefined) clearTimeout(this.keepaliveTimer);
    if (this.stallTimer !== undefined) clearTimeout(this.stallTimer);
    this.out.length = 0;
    this.queuedBytes = 0;
    const open = [...this.streams.values()];
    this.streams.clear();
    this.blocked.clear();
    for (const stream of open) {
      stream.localEnded = true;
      stream.remoteEnded = true;
      quietly(() => stream.onReset(H2_ERROR.CANCEL));
      this.notifyClosed(stream);
    }
    this.outBytes = 0;
    for (const onIdle of this.onDrained) onIdle();
    this.onDrained.clear();
  }
}
