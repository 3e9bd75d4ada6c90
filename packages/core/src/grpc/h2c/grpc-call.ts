/**
 * gRPC calls over an {@link H2Stream}: length-prefixed messages in, messages and a status
 * out, and call objects shaped as grpc-js's server calls (`request`, `metadata`,
 * `getDeadline()`, `'cancelled'`, `write()`, `end()`, `'data'` / `'end'`), so the OIP
 * handlers, `grpc-health-check` and `@grpc/reflection` run unchanged on the h2c server.
 *
 * @internal
 */
import { constants as bufferConstants } from 'node:buffer';
import { EventEmitter } from 'node:events';
import { gunzip, inflate } from 'node:zlib';
import type * as GrpcJs from '@grpc/grpc-js';
import { GRPC_STATUS } from '@infer/codecs';
import { MAX_TIMER_MS } from '../max-timer';
import { limitStatusMessage } from '../status-message';
import { H2_ERROR } from './frames';
import type { H2Stream } from './h2-connection';
import type { HeaderPairs } from './hpack';

/** What a call needs from its method (a grpc-js `MethodDefinition`). */
export interface GrpcMethod {
  path: string;
  requestStream: boolean;
  responseStream: boolean;
  requestDeserialize(bytes: Buffer): unknown;
  responseSerialize(value: unknown): Buffer;
  /**
   * The serialized message as buffers sent one after the other, when the method has a
   * serializer that leaves large byte fields out of the copy (see `model-infer-parts.ts`).
   */
  responseSerializeParts?(value: unknown): Buffer[];
}

/** Limits and helpers shared by a server's calls. */
export interface GrpcCallContext {
  maxMessageBytes: number;
  Metadata: typeof GrpcJs.Metadata;
  /** Runs inflations of compressed messages a few at a time, server-wide. */
  inflate: InflateQueue;
}

/** The largest buffer (and zlib `maxOutputLength`) this Node allows. */
const MAX_LENGTH = bufferConstants.MAX_LENGTH;

/**
 * Compressed messages are inflated at most `limit` at a time per server: each may grow to
 * `maxMessageBytes`, and a few bytes of gzip can ask for that.
 *
 * @internal
 */
export class InflateQueue {
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(private readonly limit = 2) {}

  /**
   * Inflates `bytes`, resolving with the plain message (`undefined` when `skip()` says, at
   * its turn, that the message is no longer wanted) or rejecting with zlib's error.
   */
  run(
    encoding: 'gzip' | 'deflate',
    bytes: Buffer,
    maxBytes: number,
    skip: () => boolean,
  ): Promise<Buffer | undefined> {
    return new Promise<void>((start) => {
      if (this.running < this.limit) {
        this.running++;
        start();
      } else this.waiting.push(start);
    }).then(
      () =>
        new Promise<Buffer | undefined>((resolve, reject) => {
          const done = (error: Error | null, result: Buffer | undefined) => {
            const next = this.waiting.shift();
            if (next === undefined) this.running--;
            else next();
            if (error) reject(error);
            else resolve(result);
          };
          if (skip()) {
            done(null, undefined);
            return;
          }
          // zlib takes at most a buffer's largest size (4 GiB on Node 20): a larger limit
          // (none, in effect) is clamped, else zlib throws ERR_OUT_OF_RANGE.
          const options = { maxOutputLength: Math.min(maxBytes, MAX_LENGTH) };
          try {
            if (encoding === 'gzip') gunzip(bytes, options, done);
            else inflate(bytes, options, done);
          } catch (error) {
            // Thrown before zlib started (bad options or input): the slot must still be freed.
            done(error instanceof Error ? error : new Error(String(error)), undefined);
          }
        }),
    );
  }
}

/** A gRPC error as handlers pass it to callbacks (`{ code, details, metadata }`). */
interface StatusLike {
  code?: number | undefined;
  details?: string | undefined;
  message?: string | undefined;
  metadata?: GrpcJs.Metadata | undefined;
}

/** Headers that are gRPC's or HTTP/2's own, not call metadata (as grpc-js drops them). */
const RESERVED = new Set([
  'content-type',
  'te',
  'grpc-timeout',
  'grpc-encoding',
  'grpc-accept-encoding',
  'accept-encoding',
  'content-length',
]);

const RESPONSE_HEADERS: HeaderPairs = [
  [':status', '200'],
  ['content-type', 'application/grpc'],
  ['grpc-accept-encoding', 'identity,deflate,gzip'],
];

const TIMEOUT_UNITS: Record<string, number> = {
  H: 3_600_000,
  M: 60_000,
  S: 1000,
  m: 1,
  u: 0.001,
  n: 0.000001,
};

/**
 * The deadline of a `grpc-timeout` value (`<1-8 digits><unit>`) as epoch ms, `Infinity`
 * without one, or `undefined` when the value is malformed.
 *
 * @example
 * deadlineOf('100m', 1000); // 1100
 */
export function deadlineOf(timeout: string | undefined, now = Date.now()): number | undefined {
  if (timeout === undefined) return Number.POSITIVE_INFINITY;
  const match = /^(\d{1,8})([HMSmun])$/.exec(timeout);
  if (match === null) return undefined;
  return now + Number(match[1]) * (TIMEOUT_UNITS[match[2] as string] as number);
}

const HEX = Buffer.from('0123456789ABCDEF', 'latin1');

/**
 * `grpc-message` as the protocol wants it: UTF-8, percent-encoding every byte outside
 * printable ASCII and `%` itself. Linear: one pass over the UTF-8 bytes into one buffer.
 *
 * @example
 * percentEncode('100% sure'); // '100%25 sure'
 */
export function percentEncode(text: string): string {
  let plain = true;
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (code < 0x20 || code > 0x7e || code === 0x25) {
      plain = false;
      break;
    }
  }
  if (plain) return text;
  const bytes = Buffer.from(text, 'utf8');
  const out = Buffer.allocUnsafe(bytes.length * 3);
  let at = 0;
  for (let index = 0; index < bytes.length; index++) {
    const byte = bytes[index] as number;
    if (byte >= 0x20 && byte <= 0x7e && byte !== 0x25) out[at++] = byte;
    else {
      out[at++] = 0x25;
      out[at++] = HEX[byte >> 4] as number;
      out[at++] = HEX[byte & 0x0f] as number;
    }
  }
  return out.toString('latin1', 0, at);
}

/**
 * A status message as sent in `grpc-message`: cut to `MAX_STATUS_MESSAGE_BYTES` encoded
 * (see `limitStatusMessage`), then percent-encoded.
 *
 * @example
 * statusMessageHeader('x'.repeat(1e6)).length; // 2048
 */
export function statusMessageHeader(text: string): string {
  return percentEncode(limitStatusMessage(text));
}

function metadataHeaders(metadata: GrpcJs.Metadata | undefined): HeaderPairs {
  if (metadata === undefined) return [];
  const out: HeaderPairs = [];
  for (const [key, values] of Object.entries(metadata.toHttp2Headers())) {
    for (const value of Array.isArray(values) ? values : [values]) {
      if (value !== undefined) out.push([key, String(value)]);
    }
  }
  return out;
}

/**
 * A new buffer of `size` bytes that ends on an 8-byte boundary of its memory. Raw tensor
 * contents are length-delimited fields at the end of a request message, each a whole number
 * of elements long: when the message ends aligned, the last (usually the only) one starts
 * aligned too, and decoding can view it as a `Float32Array` (or `Float64Array`,
 * `BigInt64Array`) instead of copying it to an aligned buffer.
 */
function endAligned(size: number): Buffer {
  const backing = Buffer.allocUnsafe(size + 7);
  const shift = (8 - ((backing.byteOffset + size) % 8)) % 8;
  return backing.subarray(shift, shift + size);
}

/**
 * A message spread over chunks gets its whole buffer once this fraction (1/8) of it arrived:
 * a client must send an eighth of what it declares before the server allocates it.
 */
const ALLOCATE_AT = 8;

/**
 * Reads length-prefixed gRPC messages out of DATA chunks; a message inside one chunk is a
 * view over it (no copy). A message spread over chunks is kept as the chunks until an eighth
 * of it arrived, then joined into its buffer, which takes the rest as it comes: memory
 * follows the bytes received (at most 8x), not the size a 5-byte prefix declares.
 *
 * @internal
 * @example
 * const reader = new MessageReader(maxBytes, (bytes) => messages.push(bytes), onTooLarge);
 * reader.push(chunk);
 */
export class MessageReader {
  private header = Buffer.allocUnsafe(5);
  private headerBytes = 0;
  private compressed = false;
  private size = 0;
  private parts: Buffer[] = [];
  private partsBytes = 0;
  /** The whole message's buffer, once an eighth of it arrived (`ALLOCATE_AT`). */
  private body: Buffer | undefined;

  constructor(
    private readonly maxBytes: number,
    private readonly onMessage: (bytes: Buffer, compressed: boolean) => void,
    private readonly onTooLarge: (size: number) => void,
  ) {}

  /** Whether a message is partly read (the stream must not end here). */
  get partial(): boolean {
    return this.headerBytes > 0;
  }

  push(chunk: Buffer): void {
    let offset = 0;
    while (offset < chunk.length) {
      if (this.headerBytes < 5) {
        // The whole message in this chunk: a view, no copy.
        if (this.headerBytes === 0 && chunk.length - offset >= 5) {
          const size = chunk.readUInt32BE(offset + 1);
          if (size > this.maxBytes) {
            this.onTooLarge(size);
            return;
          }
          if (chunk.length - offset - 5 >= size) {
            const compressed = chunk[offset] === 1;
            offset += 5 + size;
            this.onMessage(chunk.subarray(offset - size, offset), compressed);
            continue;
          }
        }
        const take = Math.min(5 - this.headerBytes, chunk.length - offset);
        chunk.copy(this.header, this.headerBytes, offset, offset + take);
        this.headerBytes += take;
        offset += take;
        if (this.headerBytes < 5) return;
        this.size = this.header.readUInt32BE(1);
        if (this.size > this.maxBytes) {
          this.onTooLarge(this.size);
          return;
        }
        this.compressed = this.header[0] === 1;
        this.parts = [];
        this.partsBytes = 0;
        this.body = this.size === 0 ? Buffer.alloc(0) : undefined;
      }
      const take = Math.min(this.size - this.partsBytes, chunk.length - offset);
      if (this.body !== undefined) chunk.copy(this.body, this.partsBytes, offset, offset + take);
      else if (take > 0) {
        const piece = chunk.subarray(offset, offset + take);
        // A piece under an eighth of its read is copied (a view would keep the whole read
        // alive), so the reads kept are at most 8x the pieces: at most the declared size.
        this.parts.push(take * ALLOCATE_AT < piece.buffer.byteLength ? Buffer.from(piece) : piece);
      }
      this.partsBytes += take;
      offset += take;
      if (this.body === undefined && this.partsBytes * ALLOCATE_AT >= this.size) {
        // An eighth of the message is here: allocate it whole and copy the rest as it
        // comes, so the last bytes' arrival leaves one chunk to copy, not the message.
        this.body = endAligned(this.size);
        let at = 0;
        for (const part of this.parts) {
          this.body.set(part, at);
          at += part.length;
        }
        this.parts = [];
      }
      if (this.partsBytes === this.size) {
        const body = this.body as Buffer;
        this.headerBytes = 0;
        this.body = undefined;
        this.partsBytes = 0;
        this.onMessage(body, this.compressed);
      }
    }
  }
}

/**
 * One gRPC call on a stream, shaped as grpc-js's `ServerUnaryCall` / `ServerWritableStream`
 * / `ServerReadableStream` / `ServerDuplexStream` as far as handlers use them.
 *
 * @internal
 */
export class GrpcServerCall extends EventEmitter {
  /** The request message (unary and server-streaming calls). */
  request: unknown;
  /** The client's metadata. */
  readonly metadata: GrpcJs.Metadata;
  /** Whether the call ended without a status from the handler (client gone, deadline). */
  cancelled = false;
  private headersSent = false;
  private finished = false;
  private deadlineTimer: ReturnType<typeof setTimeout> | undefined;
  private responseMetadata: GrpcJs.Metadata | undefined;

  constructor(
    private readonly stream: H2Stream,
    private readonly method: GrpcMethod,
    private readonly context: GrpcCallContext,
    private readonly deadline: number,
  ) {
    super();
    this.metadata = new context.Metadata();
    for (const [name, value] of stream.headers) {
      if (name.charCodeAt(0) === 0x3a || RESERVED.has(name)) continue;
      try {
        if (name.endsWith('-bin')) {
          for (const part of value.split(',')) this.metadata.add(name, Buffer.from(part, 'base64'));
        } else this.metadata.add(name, value);
      } catch {
        // A key grpc-js does not accept as metadata: left out, as grpc-js leaves it out.
      }
    }
    const delay = deadline - Date.now();
    // Beyond setTimeout's range (about 24.8 days) a deadline is as good as none.
    if (delay <= MAX_TIMER_MS) {
      this.deadlineTimer = setTimeout(
        () => this.cancel(GRPC_STATUS.DEADLINE_EXCEEDED, 'Deadline exceeded'),
        Math.max(0, delay),
      );
    }
    stream.onDrain = () => this.emit('drain');
    // The deadline holds until the stream closes: an answer the client's window keeps back
    // is reset when it passes.
    stream.onClose = () => this.clearDeadline();
  }

  /** @internal Whether the call has its status (or was cancelled): nothing more happens. */
  get done(): boolean {
    return this.finished;
  }

  /** The deadline (epoch ms), `Infinity` without one. */
  getDeadline(): number {
    return this.deadline;
  }

  /** The client's address. */
  getPeer(): string {
    return this.stream.peer;
  }

  /** The method's path, e.g. `/inference.GRPCInferenceService/ModelInfer`. */
  getPath(): string {
    return this.method.path;
  }

  /** Sends the response headers with `metadata` (before the first message). */
  sendMetadata(metadata: GrpcJs.Metadata): void {
    if (this.headersSent || this.finished) return;
    this.responseMetadata = metadata;
    this.sendHeaders();
  }

  /** Sends one response message (streaming calls). */
  write(message: unknown, ...rest: unknown[]): boolean {
    const callback = rest.find((item) => typeof item === 'function') as
      | ((error?: Error | null) => void)
      | undefined;
    if (this.finished) {
      callback?.(new Error('the call has ended'));
      return false;
    }
    const framed = this.serialize(message);
    let room = false;
    if (framed !== undefined) {
      this.sendHeaders();
      // False when over 1 MiB waits to be sent: a streaming handler then waits for 'drain'.
      room = this.stream.write(framed);
    }
    callback?.(null);
    return room;
  }

  /** Ends a streaming call with status OK (and optional trailing metadata). */
  end(metadata?: GrpcJs.Metadata): this {
    this.sendStatus({ code: GRPC_STATUS.OK, details: 'OK', metadata });
    return this;
  }

  /** Ends the call with an error status. */
  destroy(error?: Error): this {
    if (error === undefined) this.sendStatus({ code: GRPC_STATUS.CANCELLED, details: 'Cancelled' });
    else this.sendStatus(error as StatusLike);
    return this;
  }

  /** @internal Answers a unary / client-streaming call (the grpc-js callback). */
  respond(error: StatusLike | null | undefined, value?: unknown, trailer?: GrpcJs.Metadata): void {
    if (error !== null && error !== undefined) {
      this.sendStatus(error);
      return;
    }
    if (this.finished) return;
    const framed = this.serialize(value);
    if (framed === undefined) return;
    this.sendHeaders();
    this.stream.write(framed);
    this.sendStatus({ code: GRPC_STATUS.OK, details: 'OK', metadata: trailer });
  }

  /** @internal Sends the status and ends the call (trailers-only when nothing was sent). */
  sendStatus(status: StatusLike): void {
    if (this.finished) return;
    this.finished = true;
    const code = typeof status.code === 'number' ? status.code : GRPC_STATUS.UNKNOWN;
    const details = String(status.details ?? status.message ?? '');
    const trailers: HeaderPairs = [
      ['grpc-status', String(code)],
      ['grpc-message', statusMessageHeader(details)],
      ...metadataHeaders(status.metadata),
    ];
    if (this.headersSent) this.stream.end(trailers);
    else {
      this.headersSent = true;
      this.stream.respond(
        [...RESPONSE_HEADERS, ...metadataHeaders(this.responseMetadata), ...trailers],
        true,
      );
    }
  }

  /** @internal The call is over without the handler's status: client gone or deadline passed. */
  cancel(code?: number, details?: string): void {
    if (this.finished) {
      // The deadline passed after the status, with the answer still held back: reset it.
      if (code !== undefined) this.stream.reset(H2_ERROR.CANCEL);
      return;
    }
    if (code !== undefined && !this.stream.blocked) this.sendStatus({ code, details });
    else {
      // Client gone, or answer data the client's windows hold back: the status could not
      // get out, so the stream is reset and its slot freed.
      this.finished = true;
      this.clearDeadline();
      this.stream.reset(H2_ERROR.CANCEL);
    }
    this.cancelled = true;
    this.emit('cancelled');
  }

  private sendHeaders(): void {
    if (this.headersSent) return;
    this.headersSent = true;
    this.stream.respond([...RESPONSE_HEADERS, ...metadataHeaders(this.responseMetadata)]);
  }

  /** The framed message: its 5-byte prefix, then the message's bytes in one or more parts. */
  private serialize(value: unknown): Buffer[] | undefined {
    let parts: Buffer[];
    try {
      parts = this.method.responseSerializeParts?.(value) ?? [this.method.responseSerialize(value)];
    } catch (error) {
      this.sendStatus({
        code: GRPC_STATUS.INTERNAL,
        details: `Error serializing response: ${error instanceof Error ? error.message : String(error)}`,
      });
      return undefined;
    }
    let size = 0;
    for (const part of parts) size += part.length;
    if (size > this.context.maxMessageBytes) {
      this.sendStatus({
        code: GRPC_STATUS.RESOURCE_EXHAUSTED,
        details: `Sent message larger than max (${size} vs. ${this.context.maxMessageBytes})`,
      });
      return undefined;
    }
    // The prefix and the parts go out as they are: no copy of the message.
    const prefix = Buffer.allocUnsafe(5);
    prefix[0] = 0;
    prefix.writeUInt32BE(size, 1);
    return [prefix, ...parts];
  }

  private clearDeadline(): void {
    if (this.deadlineTimer !== undefined) clearTimeout(this.deadlineTimer);
    this.deadlineTimer = undefined;
  }
}

/** A grpc-js handler of any of the four kinds. */
export type GrpcHandler = (call: GrpcServerCall, callback?: unknown) => void;

/**
 * Runs one call: reads its messages off `stream`, calls `handler` as grpc-js would for the
 * method's kind, and ends the stream with the status.
 *
 * @internal
 * @example
 * startCall(stream, method, handler, { maxMessageBytes, Metadata, inflate: new InflateQueue() });
 */
export function startCall(
  stream: H2Stream,
  method: GrpcMethod,
  handler: GrpcHandler,
  context: GrpcCallContext,
): void {
  const deadline = deadlineOf(stream.header('grpc-timeout'));
  const call = new GrpcServerCall(stream, method, context, deadline ?? Number.POSITIVE_INFINITY);
  stream.onReset = () => call.cancel();
  if (deadline === undefined) {
    call.sendStatus({ code: GRPC_STATUS.INTERNAL, details: 'Invalid grpc-timeout value' });
    return;
  }
  const encoding = stream.header('grpc-encoding') ?? 'identity';
  const unaryRequest = !method.requestStream;
  let received = 0;
  /** No more messages are taken (the request is over, or the call failed). */
  let ended = false;
  /** Set once a compressed message is waiting: later steps wait their turn behind it. */
  let queue: Promise<void> | undefined;
  const inOrder = (step: () => void | Promise<void>) => {
    if (queue === undefined) {
      step();
      return;
    }
    queue = queue.then(step);
  };

  const fail = (code: number, details: string) => {
    ended = true;
    call.sendStatus({ code, details });
  };

  /** A whole, plain message: the unary request, or a 'data' event. */
  const deliver = (bytes: Buffer) => {
    if (call.done) return;
    let value: unknown;
    try {
      value = method.requestDeserialize(bytes);
    } catch {
      fail(GRPC_STATUS.INTERNAL, 'Error deserializing request');
      return;
    }
    if (unaryRequest) call.request = value;
    else emitSafely(call, 'data', value);
  };

  /** Inflates a compressed message when its turn comes; nothing once the call is over. */
  const inflateAndDeliver = async (kind: 'gzip' | 'deflate', bytes: Buffer) => {
    if (call.done) return;
    try {
      const plain = await context.inflate.run(
        kind,
        bytes,
        context.maxMessageBytes,
        () => call.done,
      );
      if (plain !== undefined) deliver(plain);
    } catch (error) {
      if (call.done) return;
      const tooLarge = (error as { code?: unknown }).code === 'ERR_BUFFER_TOO_LARGE';
      fail(
        tooLarge ? GRPC_STATUS.RESOURCE_EXHAUSTED : GRPC_STATUS.INTERNAL,
        tooLarge
          ? `Received message that decompresses to a size larger than ${context.maxMessageBytes}`
          : 'Failed to decompress the message',
      );
    }
  };

  const onMessage = (bytes: Buffer, compressed: boolean) => {
    if (ended || call.done) return;
    received++;
    if (unaryRequest && received > 1) {
      fail(
        GRPC_STATUS.UNIMPLEMENTED,
        `Received a second request message for server streaming method ${method.path}`,
      );
      return;
    }
    if (!compressed) {
      inOrder(() => deliver(bytes));
      return;
    }
    if (encoding !== 'gzip' && encoding !== 'deflate') {
      if (encoding === 'identity') {
        fail(GRPC_STATUS.INTERNAL, 'Compressed message received with no encoding');
      } else {
        fail(
          GRPC_STATUS.UNIMPLEMENTED,
          `Received message compressed with unsupported encoding "${encoding}"`,
        );
      }
      return;
    }
    // Sequential per call (order kept), and started only when its turn comes.
    queue = (queue ?? Promise.resolve()).then(() => inflateAndDeliver(encoding, bytes));
  };

  const reader = new MessageReader(context.maxMessageBytes, onMessage, (size) => {
    fail(
      GRPC_STATUS.RESOURCE_EXHAUSTED,
      `Received message larger than max (${size} vs. ${context.maxMessageBytes})`,
    );
    stream.reset(H2_ERROR.CANCEL);
  });
  stream.onData = (chunk) => {
    if (!ended && !call.done) reader.push(chunk);
  };

  if (!unaryRequest) {
    // Client- and bidi-streaming: the handler starts now and reads 'data' events.
    invoke(call, method, handler, stream);
  }
  stream.onEnd = () => {
    if (ended || call.done) return;
    if (reader.partial) {
      fail(GRPC_STATUS.INTERNAL, 'Received a truncated message');
      return;
    }
    ended = true;
    // A unary call (one message each way) counts against the stream limit from here until
    // its handler answers, through the inflation of its request too. Streaming calls are
    // not held: a handler that streams answers or reads a stream may never call back.
    if (unaryRequest && !method.responseStream) stream.hold();
    inOrder(() => {
      if (call.done) {
        stream.release();
        return;
      }
      if (!unaryRequest) emitSafely(call, 'end');
      else if (received === 0) {
        stream.release();
        call.sendStatus({
          code: GRPC_STATUS.UNIMPLEMENTED,
          details: `Received no request message for server streaming method ${method.path}`,
        });
      } else invoke(call, method, handler, stream);
    });
  };
}

/**
 * Emits a call event; a listener that throws fails the call (UNKNOWN, `Unknown error`: its
 * text stays in the server), nothing else.
 */
function emitSafely(call: GrpcServerCall, event: 'data' | 'end', value?: unknown): void {
  try {
    call.emit(event, value);
  } catch {
    call.sendStatus({ code: GRPC_STATUS.UNKNOWN, details: 'Unknown error' });
  }
}

/**
 * Calls the handler. A unary call keeps its stream counted against the connection's stream
 * limit until the handler answers, even when the client resets it first: resetting calls
 * cannot start more unary handlers than the limit. An exception's text stays in the server
 * (the client gets `Unknown error`, as from grpc-js).
 */
function invoke(
  call: GrpcServerCall,
  method: GrpcMethod,
  handler: GrpcHandler,
  stream: H2Stream,
): void {
  try {
    if (method.responseStream) handler(call);
    else {
      // A unary call is held until the callback (see `startCall`).
      handler(call, (error: StatusLike | null, value?: unknown, trailer?: GrpcJs.Metadata) => {
        stream.release();
        call.respond(error, value, trailer);
      });
    }
  } catch {
    stream.release();
    call.sendStatus({ code: GRPC_STATUS.UNKNOWN, details: 'Unknown error' });
  }
}
