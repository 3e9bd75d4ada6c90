/**
 * A raw HTTP/2 client for protocol tests of the h2c server: writes frames byte by byte as a
 * test builds them and collects the frames the server sends.
 */
import { connect, type Socket } from 'node:net';
import { CLIENT_PREFACE, FLAG, FRAME, frame, settingsFrame } from '../../../src/grpc/h2c/frames';
import { encodeHeaders, type HeaderPairs } from '../../../src/grpc/h2c/hpack';

/** A frame as received. */
export interface ReceivedFrame {
  type: number;
  flags: number;
  streamId: number;
  payload: Buffer;
}

/** A connected raw client. */
export interface FrameClient {
  socket: Socket;
  frames: ReceivedFrame[];
  /** Whether the server closed the connection. */
  closed: () => boolean;
  send(...buffers: Buffer[]): void;
  /** Resolves with the first frame (from the start) matching, waiting up to 2 s. */
  waitFor(match: (frame: ReceivedFrame) => boolean, timeoutMs?: number): Promise<ReceivedFrame>;
  /** Resolves once the server closed the connection. */
  waitClosed(timeoutMs?: number): Promise<void>;
  close(): void;
}

/** Connects to `port` and, unless `handshake` is false, sends the preface and SETTINGS. */
export async function frameClient(
  port: number,
  options: { handshake?: boolean; settings?: Array<[number, number]> } = {},
): Promise<FrameClient> {
  const socket = connect(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  const frames: ReceivedFrame[] = [];
  let buffered = Buffer.alloc(0);
  let isClosed = false;
  const waiters = new Set<() => void>();
  const wake = () => {
    for (const waiter of [...waiters]) waiter();
  };
  /** Resolves once `done()` holds, checked now and whenever a frame or the close comes. */
  const waitUntil = (done: () => boolean, what: string, timeoutMs: number) =>
    new Promise<void>((resolve, reject) => {
      const check = () => {
        try {
          if (!done()) return;
        } catch (error) {
          cleanup();
          reject(error);
          return;
        }
        cleanup();
        resolve();
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`timed out waiting for ${what}`));
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        waiters.delete(check);
      };
      waiters.add(check);
      check();
    });
  socket.on('data', (chunk: Buffer) => {
    buffered = Buffer.concat([buffered, chunk]);
    while (buffered.length >= 9) {
      const length = buffered.readUIntBE(0, 3);
      if (buffered.length < 9 + length) break;
      frames.push({
        type: buffered[3] as number,
        flags: buffered[4] as number,
        streamId: buffered.readUInt32BE(5) & 0x7fffffff,
        payload: Buffer.from(buffered.subarray(9, 9 + length)),
      });
      buffered = buffered.subarray(9 + length);
    }
    wake();
  });
  socket.on('error', () => {});
  socket.on('close', () => {
    isClosed = true;
    wake();
  });
  const client: FrameClient = {
    socket,
    frames,
    closed: () => isClosed,
    send: (...buffers) => {
      for (const buffer of buffers) socket.write(buffer);
    },
    waitFor(match, timeoutMs = 2000) {
      let found: ReceivedFrame | undefined;
      return waitUntil(
        () => {
          found = frames.find(match);
          if (found === undefined && isClosed) {
            throw new Error('connection closed before the frame came');
          }
          return found !== undefined;
        },
        'a frame',
        timeoutMs,
      ).then(() => found as ReceivedFrame);
    },
    waitClosed(timeoutMs = 2000) {
      return waitUntil(() => isClosed, 'the server to close the connection', timeoutMs);
    },
    close: () => socket.destroy(),
  };
  if (options.handshake !== false) {
    client.send(CLIENT_PREFACE, settingsFrame(options.settings ?? []));
  }
  return client;
}

/** A HEADERS frame carrying a whole header block. */
export function headersFrame(streamId: number, headers: HeaderPairs, endStream = false): Buffer {
  return frame(
    FRAME.HEADERS,
    FLAG.END_HEADERS | (endStream ? FLAG.END_STREAM : 0),
    streamId,
    encodeHeaders(headers),
  );
}

/** A DATA frame. */
export function dataFrame(streamId: number, data: Uint8Array, endStream = false): Buffer {
  return frame(FRAME.DATA, endStream ? FLAG.END_STREAM : 0, streamId, data);
}

/** The request headers of a gRPC call to `path`. */
export function grpcRequestHeaders(path: string): HeaderPairs {
  return [
    [':method', 'POST'],
    [':scheme', 'http'],
    [':path', path],
    [':authority', 'localhost'],
    ['content-type', 'application/grpc'],
    ['te', 'trailers'],
  ];
}

/** A gRPC length-prefixed message. */
export function grpcMessage(bytes: Uint8Array): Buffer {
  const out = Buffer.alloc(5 + bytes.length);
  out.writeUInt32BE(bytes.length, 1);
  out.set(bytes, 5);
  return out;
}
