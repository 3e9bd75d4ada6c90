/**
 * gRPC calls over an {@link H2Stream}: length-prefixed messages in, messages and a status
 * out, and call objects shaped as grpc-js's server calls (`request`, `metadata`,
 * `getDeadline()`, `'cancelled'`, `write()`, `end()`, `'data'` / `'end'`), so the OIP
 * handlers, `grpc-health-check` and `@grpc/reflection` run unchanged on the h2c server.
 *
 * @internal
 */
import { EventEmitter } from 'node:events';
import { gunzipSync, inflateSync } from 'node:zlib';
import type * as GrpcJs from '@grpc/grpc-js';
import { GRPC_STATUS } from '@infer/codecs';
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

/**
 * `grpc-message` as the protocol wants it: UTF-8, percent-encoding every byte outside
 * printable ASCII and `%` itself.
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
  let out = '';
  for (const byte of Buffer.from(text, 'utf8')) {
    out +=
      byte >= 0x20 && byte <= 0x7e && byte !== 0x25
        ? String.fromCharCode(byte)
        : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
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
 * Reads length-prefixed gRPC messages out of DATA chunks; a message inside one chunk is a
 * view over it (no copy).
 */
class MessageReader {
  private header = Buffer.allocUnsafe(5);
  private headerBytes = 0;
  private compressed = false;
  private body: Buffer | undefined;
  private bodyBytes = 0;

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
        const size = this.header.readUInt32BE(1);
        if (size > this.maxBytes) {
          this.onTooLarge(size);
          return;
        }
        this.compressed = this.header[0] === 1;
        this.body = endAligned(size);
        this.bodyBytes = 0;
      }
      const body = this.body as Buffer;
      const take = Math.min(body.length - this.bodyBytes, chunk.length - offset);
      chunk.copy(body, this.bodyBytes, offset, offset + take);
      this.bodyBytes += take;
      offset += take;
      if (this.bodyBytes === body.length) {
        this.headerBytes = 0;
        this.body = undefined;
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
    if (Number.isFinite(deadline)) {
      this.deadlineTimer = setTimeout(
        () => this.cancel(GRPC_STATUS.DEADLINE_EXCEEDED, 'Deadline exceeded'),
        Math.max(0, deadline - Date.now()),
      );
    }
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
    if (framed !== undefined) {
      this.sendHeaders();
      for (const part of framed) this.stream.write(part);
    }
    callback?.(null);
    return true;
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
    for (const part of framed) this.stream.write(part);
    this.sendStatus({ code: GRPC_STATUS.OK, details: 'OK', metadata: trailer });
  }

  /** @internal Sends the status and ends the call (trailers-only when nothing was sent). */
  sendStatus(status: StatusLike): void {
    if (this.finished) return;
    this.finished = true;
    this.clearDeadline();
    const code = typeof status.code === 'number' ? status.code : GRPC_STATUS.UNKNOWN;
    const details = status.details ?? status.message ?? '';
    const trailers: HeaderPairs = [
      ['grpc-status', String(code)],
      ['grpc-message', percentEncode(details)],
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
    if (this.finished) return;
    if (code !== undefined) this.sendStatus({ code, details });
    else {
      this.finished = true;
      this.clearDeadline();
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
 * startCall(stream, method, handler, { maxMessageBytes, Metadata });
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
  let ended = false;

  const decode = (bytes: Buffer, compressed: boolean): { value: unknown } | undefined => {
    let plain = bytes;
    if (compressed) {
      try {
        if (encoding === 'gzip' || encoding === 'deflate') {
          const options = { maxOutputLength: context.maxMessageBytes };
          plain = encoding === 'gzip' ? gunzipSync(bytes, options) : inflateSync(bytes, options);
        } else {
          call.sendStatus({
            code: encoding === 'identity' ? GRPC_STATUS.INTERNAL : GRPC_STATUS.UNIMPLEMENTED,
            details:
              encoding === 'identity'
                ? 'Compressed message received with no encoding'
                : `Received message compressed with unsupported encoding "${encoding}"`,
          });
          return undefined;
        }
      } catch (error) {
        const tooLarge = (error as { code?: unknown }).code === 'ERR_BUFFER_TOO_LARGE';
        call.sendStatus({
          code: tooLarge ? GRPC_STATUS.RESOURCE_EXHAUSTED : GRPC_STATUS.INTERNAL,
          details: tooLarge
            ? `Received message that decompresses to a size larger than ${context.maxMessageBytes}`
            : 'Failed to decompress the message',
        });
        return undefined;
      }
    }
    try {
      return { value: method.requestDeserialize(plain) };
    } catch {
      call.sendStatus({ code: GRPC_STATUS.INTERNAL, details: 'Error deserializing request' });
      return undefined;
    }
  };

  const reader = new MessageReader(
    context.maxMessageBytes,
    (bytes, compressed) => {
      if (ended) return;
      received++;
      if (unaryRequest) {
        if (received > 1) {
          ended = true;
          call.sendStatus({
            code: GRPC_STATUS.UNIMPLEMENTED,
            details: `Received a second request message for server streaming method ${method.path}`,
          });
          return;
        }
        const decoded = decode(bytes, compressed);
        if (decoded === undefined) ended = true;
        else call.request = decoded.value;
        return;
      }
      const decoded = decode(bytes, compressed);
      if (decoded === undefined) ended = true;
      else call.emit('data', decoded.value);
    },
    (size) => {
      ended = true;
      call.sendStatus({
        code: GRPC_STATUS.RESOURCE_EXHAUSTED,
        details: `Received message larger than max (${size} vs. ${context.maxMessageBytes})`,
      });
      stream.reset(H2_ERROR.CANCEL);
    },
  );
  stream.onData = (chunk) => {
    if (!ended) reader.push(chunk);
  };

  if (!unaryRequest) {
    // Client- and bidi-streaming: the handler starts now and reads 'data' events.
    invoke(call, method, handler);
  }
  stream.onEnd = () => {
    if (ended) return;
    ended = true;
    if (reader.partial) {
      call.sendStatus({ code: GRPC_STATUS.INTERNAL, details: 'Received a truncated message' });
      return;
    }
    if (!unaryRequest) {
      call.emit('end');
      return;
    }
    if (received === 0) {
      call.sendStatus({
        code: GRPC_STATUS.UNIMPLEMENTED,
        details: `Received no request message for server streaming method ${method.path}`,
      });
      return;
    }
    invoke(call, method, handler);
  };
}

function invoke(call: GrpcServerCall, method: GrpcMethod, handler: GrpcHandler): void {
  try {
    if (method.responseStream) handler(call);
    else {
      handler(call, (error: StatusLike | null, value?: unknown, trailer?: GrpcJs.Metadata) =>
        call.respond(error, value, trailer),
      );
    }
  } catch (error) {
    call.sendStatus({
      code: GRPC_STATUS.UNKNOWN,
      details: `Server method handler threw error ${error instanceof Error ? error.message : String(error)}`,
    });
  }
}
