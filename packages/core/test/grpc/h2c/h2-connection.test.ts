import { createServer as createNetServer, type Server, type Socket } from 'node:net';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import {
  CLIENT_PREFACE,
  FLAG,
  FRAME,
  frame,
  H2_ERROR,
  rstStreamFrame,
  SETTING,
  settingsFrame,
  windowUpdateFrame,
} from '../../../src/grpc/h2c/frames';
import {
  H2Connection,
  type H2ConnectionOptions,
  type H2Stream,
} from '../../../src/grpc/h2c/h2-connection';
import { encodeHeaders, HpackDecoder } from '../../../src/grpc/h2c/hpack';
import { dataFrame, type FrameClient, frameClient, headersFrame } from './frame-client';

const REQUEST: Array<[string, string]> = [
  [':method', 'POST'],
  [':scheme', 'http'],
  [':path', '/echo'],
  [':authority', 'localhost'],
];

interface Harness {
  port: number;
  connections: H2Connection[];
  sockets: Socket[];
  streams: H2Stream[];
  resets: number[];
}

const servers: Server[] = [];
const clients: FrameClient[] = [];
afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  await Promise.all(
    servers
      .splice(0)
      .map((server) => new Promise<void>((resolve) => server.close(() => resolve()))),
  );
});

/**
 * A server of H2Connections whose streams echo their body back with a trailer, unless
 * `answer` is false (the test answers them itself).
 */
async function start(
  options: Partial<H2ConnectionOptions> & {
    answer?: boolean;
    /** Each stream is held (counted against the limit) and never released. */
    hold?: boolean;
    /** `onData` of this stream id throws. */
    throwOnDataOf?: number;
    /** Answer (trailers-only) as soon as the stream opens, or on its first DATA. */
    answerAt?: 'stream' | 'data';
  } = {},
): Promise<Harness> {
  const harness: Harness = { port: 0, connections: [], sockets: [], streams: [], resets: [] };
  const server = createNetServer((socket) => {
    harness.sockets.push(socket);
    harness.connections.push(
      new H2Connection(socket, {
        windowBytes: options.windowBytes ?? 65_535,
        maxConcurrentStreams: options.maxConcurrentStreams ?? 100,
        keepalive: options.keepalive,
        maxQueuedBytes: options.maxQueuedBytes,
        sendStallMs: options.sendStallMs,
        onStream: (stream) => {
          harness.streams.push(stream);
          const chunks: Buffer[] = [];
          if (options.hold) stream.hold();
          if (options.answerAt === 'stream') stream.respond([[':status', '405']], true);
          stream.onData = (chunk) => {
            if (stream.id === options.throwOnDataOf) throw new Error('consumer bug');
            if (options.answerAt === 'data') stream.respond([[':status', '413']], true);
            chunks.push(Buffer.from(chunk));
          };
          stream.onReset = (code) => harness.resets.push(code);
          stream.onEnd = () => {
            if (options.answer === false) return;
            stream.respond([[':status', '200']]);
            stream.write(Buffer.concat(chunks));
            stream.end([['x-trailer', 'done']]);
          };
        },
      }),
    );
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  harness.port = (server.address() as { port: number }).port;
  return harness;
}

async function client(port: number, options?: Parameters<typeof frameClient>[1]) {
  const connected = await frameClient(port, options);
  clients.push(connected);
  return connected;
}

/**
 * A client whose stream windows are 10 bytes, with stream 1 open (its request ended or not),
 * and the server's side of that stream.
 */
async function tenByteWindows(harness: Harness, endStream: boolean) {
  const c = await client(harness.port, { settings: [[SETTING.INITIAL_WINDOW_SIZE, 10]] });
  await c.waitFor((f) => f.type === FRAME.SETTINGS && f.flags === FLAG.ACK);
  c.send(headersFrame(1, REQUEST, endStream));
  await expect.poll(() => harness.streams.length).toBe(1);
  return { c, stream: harness.streams[0] as H2Stream };
}

/**
 * A client with the largest stream windows (and connection window, if `openConnection`) that
 * reads nothing once stream 1 is open; the server's side of the stream and its socket.
 */
async function readsNothing(harness: Harness, openConnection: boolean) {
  const c = await client(harness.port, { settings: [[SETTING.INITIAL_WINDOW_SIZE, 0x7fffffff]] });
  await c.waitFor((f) => f.type === FRAME.SETTINGS && f.flags === FLAG.ACK);
  if (openConnection) c.send(windowUpdateFrame(0, 0x7fffffff - 65_535));
  c.socket.pause();
  c.send(headersFrame(1, REQUEST, true));
  await expect.poll(() => harness.streams.length).toBe(1);
  const stream = harness.streams[0] as H2Stream;
  stream.respond([[':status', '200']]);
  return { c, stream, socket: harness.sockets[0] as Socket };
}

/** The client sends a PING every 100 ms (their acks only add bytes) until it is cut. */
async function cutDespitePings(c: FrameClient, socket: Socket) {
  const pings = setInterval(() => c.send(frame(FRAME.PING, 0, 0, Buffer.alloc(8))), 100);
  try {
    await expect.poll(() => socket.destroyed, { timeout: 5_000 }).toBe(true);
  } finally {
    clearInterval(pings);
  }
}

/**
 * Opens stream 3 on a client with 10-byte stream windows: its 20-byte answer leaves 10 bytes
 * waiting for the window, a new wait from now.
 */
async function secondWait(harness: Harness, c: FrameClient): Promise<void> {
  c.send(headersFrame(3, REQUEST, true));
  await expect.poll(() => harness.streams.length).toBe(2);
  const second = harness.streams[1] as H2Stream;
  second.respond([[':status', '200']]);
  second.write(Buffer.alloc(20));
  second.end([]);
}

/** Whether a frame ends stream `id` with its trailers. */
const ends = (id: number) => (f: { type: number; flags: number; streamId: number }) =>
  f.streamId === id && f.type === FRAME.HEADERS && (f.flags & FLAG.END_STREAM) !== 0;

const goawayCode = (payload: Buffer) => payload.readUInt32BE(4);
const isGoaway = (f: { type: number }) => f.type === FRAME.GOAWAY;

describe('H2Connection: the handshake', () => {
  it('announces its settings and connection window, and acknowledges the client', async () => {
    const harness = await start({ windowBytes: 1 << 20, maxConcurrentStreams: 7 });
    const c = await client(harness.port);
    const settings = await c.waitFor((f) => f.type === FRAME.SETTINGS && f.flags === 0);
    const values = new Map<number, number>();
    for (let offset = 0; offset < settings.payload.length; offset += 6) {
      values.set(settings.payload.readUInt16BE(offset), settings.payload.readUInt32BE(offset + 2));
    }
    expect(values.get(SETTING.MAX_CONCURRENT_STREAMS)).toBe(7);
    expect(values.get(SETTING.INITIAL_WINDOW_SIZE)).toBe(1 << 20);
    const update = await c.waitFor((f) => f.type === FRAME.WINDOW_UPDATE && f.streamId === 0);
    expect(update.payload.readUInt32BE(0)).toBe((1 << 20) - 65_535);
    await c.waitFor((f) => f.type === FRAME.SETTINGS && f.flags === FLAG.ACK);
  });

  it('answers PING with the same payload', async () => {
    const c = await client((await start()).port);
    c.send(frame(FRAME.PING, 0, 0, Buffer.from('12345678')));
    const pong = await c.waitFor((f) => f.type === FRAME.PING);
    expect(pong.flags).toBe(FLAG.ACK);
    expect(pong.payload.toString()).toBe('12345678');
  });

  it('a bad preface, or a first frame that is not SETTINGS, is a PROTOCOL_ERROR', async () => {
    const harness = await start();
    const http1 = await client(harness.port, { handshake: false });
    http1.send(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
    expect(goawayCode((await http1.waitFor(isGoaway)).payload)).toBe(H2_ERROR.PROTOCOL_ERROR);
    await http1.waitClosed();
    const noSettings = await client(harness.port, { handshake: false });
    noSettings.send(CLIENT_PREFACE, frame(FRAME.PING, 0, 0, Buffer.alloc(8)));
    expect(goawayCode((await noSettings.waitFor(isGoaway)).payload)).toBe(H2_ERROR.PROTOCOL_ERROR);
  });

  it('a preface split across reads is accepted', async () => {
    const c = await client((await start()).port, { handshake: false });
    c.send(CLIENT_PREFACE.subarray(0, 5));
    await new Promise((resolve) => setTimeout(resolve, 20));
    c.send(CLIENT_PREFACE.subarray(5), settingsFrame([]));
    await c.waitFor((f) => f.type === FRAME.SETTINGS && f.flags === FLAG.ACK);
  });
});

describe('H2Connection: streams', () => {
  it('echoes a request split into many frames and reads, with trailers', async () => {
    const harness = await start();
    const c = await client(harness.port);
    const body = Buffer.from(Array.from({ length: 40_000 }, (_, i) => i % 251));
    const bytes = Buffer.concat([
      headersFrame(1, REQUEST),
      dataFrame(1, body.subarray(0, 16_384)),
      dataFrame(1, body.subarray(16_384, 32_768)),
      dataFrame(1, body.subarray(32_768), true),
    ]);
    // Byte-sized and odd-sized writes: frames straddle reads everywhere.
    for (let offset = 0; offset < bytes.length; offset += 997)
      c.send(bytes.subarray(offset, offset + 997));
    const trailers = await c.waitFor(
      (f) => f.type === FRAME.HEADERS && (f.flags & FLAG.END_STREAM) !== 0,
    );
    const echoed = Buffer.concat(
      c.frames.filter((f) => f.type === FRAME.DATA && f.streamId === 1).map((f) => f.payload),
    );
    expect(echoed.equals(body)).toBe(true);
    expect(new HpackDecoder().decode(trailers.payload)).toEqual([['x-trailer', 'done']]);
  });

  it('any cutting of the bytes into reads gives the same answers (random cuts)', async () => {
    const harness = await start();
    const body = Buffer.from(Array.from({ length: 20_000 }, (_, i) => (i * 7) % 256));
    const bytes = Buffer.concat([
      headersFrame(1, REQUEST),
      frame(
        FRAME.DATA,
        FLAG.PADDED,
        1,
        Buffer.concat([Buffer.from([3]), body.subarray(0, 100), Buffer.alloc(3)]),
      ),
      dataFrame(1, body.subarray(100, 16_484)),
      frame(FRAME.PING, 0, 0, Buffer.from('pingping')),
      dataFrame(1, body.subarray(16_484), true),
      headersFrame(3, REQUEST, true),
    ]);
    const cutsList = fc.sample(
      fc.uniqueArray(fc.integer({ min: 1, max: bytes.length - 1 }), { maxLength: 40 }),
      { seed: 5, numRuns: 25 },
    );
    for (const cuts of cutsList) {
      const c = await client(harness.port);
      const points = [0, ...cuts.sort((a, b) => a - b), bytes.length];
      for (let i = 1; i < points.length; i++) {
        c.send(bytes.subarray(points[i - 1], points[i]));
        if (i % 4 === 0) await new Promise((resolve) => setTimeout(resolve, 1));
      }
      await c.waitFor(ends(3));
      await c.waitFor(ends(1));
      const echoed = Buffer.concat(
        c.frames.filter((f) => f.type === FRAME.DATA && f.streamId === 1).map((f) => f.payload),
      );
      expect(echoed.equals(body), cuts.join(',')).toBe(true);
      expect(c.frames.some((f) => f.type === FRAME.PING && f.flags === FLAG.ACK)).toBe(true);
      c.close();
    }
  });

  it('reads padded frames, HEADERS with priority, and header blocks in CONTINUATION frames', async () => {
    const harness = await start();
    const c = await client(harness.port);
    const block = encodeHeaders([...REQUEST, ['x-long', 'v'.repeat(300)]]);
    const priorityAndPadding = Buffer.concat([
      Buffer.from([3]), // pad length
      Buffer.from([0, 0, 0, 0, 16]), // stream dependency + weight
      block.subarray(0, 100),
      Buffer.alloc(3),
    ]);
    c.send(
      frame(FRAME.HEADERS, FLAG.PADDED | FLAG.PRIORITY, 1, priorityAndPadding),
      frame(FRAME.CONTINUATION, 0, 1, block.subarray(100, 200)),
      frame(FRAME.CONTINUATION, FLAG.END_HEADERS, 1, block.subarray(200)),
      frame(FRAME.DATA, FLAG.PADDED | FLAG.END_STREAM, 1, Buffer.from([2, 0x61, 0x62, 0, 0])),
    );
    await c.waitFor((f) => f.type === FRAME.DATA && f.streamId === 1);
    expect(harness.streams[0]?.header('x-long')).toBe('v'.repeat(300));
    const data = c.frames.find((f) => f.type === FRAME.DATA);
    expect(data?.payload.toString()).toBe('ab');
  });

  it('DATA frames cut across reads, padded or not, arrive whole and in order', async () => {
    const harness = await start();
    const c = await client(harness.port);
    const padded = frame(
      FRAME.DATA,
      FLAG.PADDED,
      1,
      Buffer.concat([Buffer.from([4]), Buffer.from('padded;'), Buffer.alloc(4)]),
    );
    const plain = dataFrame(1, Buffer.from('x'.repeat(5000)), true);
    c.send(headersFrame(1, REQUEST));
    for (const bytes of [padded, plain]) {
      // In the frame header, in the padding length, in the payload.
      const cuts = [0, 3, 10, 2000, bytes.length];
      for (let i = 1; i < cuts.length; i++) {
        const piece = bytes.subarray(cuts[i - 1], cuts[i]);
        if (piece.length === 0) continue;
        c.send(piece);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    }
    await c.waitFor((f) => f.type === FRAME.HEADERS && (f.flags & FLAG.END_STREAM) !== 0);
    const echoed = Buffer.concat(
      c.frames.filter((f) => f.type === FRAME.DATA).map((f) => f.payload),
    ).toString();
    expect(echoed).toBe(`padded;${'x'.repeat(5000)}`);
  });

  it('a frame between HEADERS and its CONTINUATION is a PROTOCOL_ERROR', async () => {
    const c = await client((await start()).port);
    const block = encodeHeaders(REQUEST);
    c.send(
      frame(FRAME.HEADERS, 0, 1, block.subarray(0, 4)),
      frame(FRAME.PING, 0, 0, Buffer.alloc(8)),
    );
    expect(goawayCode((await c.waitFor(isGoaway)).payload)).toBe(H2_ERROR.PROTOCOL_ERROR);
  });

  it('refuses streams over MAX_CONCURRENT_STREAMS with REFUSED_STREAM', async () => {
    const harness = await start({ maxConcurrentStreams: 1, answer: false });
    const c = await client(harness.port);
    c.send(headersFrame(1, REQUEST), headersFrame(3, REQUEST));
    const reset = await c.waitFor((f) => f.type === FRAME.RST_STREAM);
    expect(reset.streamId).toBe(3);
    expect(reset.payload.readUInt32BE(0)).toBe(H2_ERROR.REFUSED_STREAM);
    expect(harness.streams.map((s) => s.id)).toEqual([1]);
  });

  it("RST_STREAM from the client resets the stream's consumer", async () => {
    const harness = await start({ answer: false });
    const c = await client(harness.port);
    c.send(headersFrame(1, REQUEST), rstStreamFrame(1, H2_ERROR.CANCEL));
    await expect.poll(() => harness.resets).toEqual([H2_ERROR.CANCEL]);
    expect(harness.streams[0]?.closed).toBe(true);
  });

  it('an answer that ends before the request tells the client to stop (RST_STREAM NO_ERROR)', async () => {
    const harness = await start({ answer: false });
    const c = await client(harness.port);
    c.send(headersFrame(1, REQUEST));
    await expect.poll(() => harness.streams.length).toBe(1);
    harness.streams[0]?.respond([[':status', '413']], true);
    const reset = await c.waitFor((f) => f.type === FRAME.RST_STREAM);
    expect(reset.payload.readUInt32BE(0)).toBe(H2_ERROR.NO_ERROR);
    // Late DATA for it is dropped; the connection stays up.
    c.send(dataFrame(1, Buffer.from('late'), true), frame(FRAME.PING, 0, 0, Buffer.alloc(8)));
    await c.waitFor((f) => f.type === FRAME.PING);
    expect(c.frames.some(isGoaway)).toBe(false);
  });

  it('even stream ids, DATA on idle streams and oversized frames end the connection', async () => {
    const harness = await start();
    const cases: Array<[Buffer, number]> = [
      [headersFrame(2, REQUEST), H2_ERROR.PROTOCOL_ERROR],
      [dataFrame(5, Buffer.from('x')), H2_ERROR.PROTOCOL_ERROR],
      [frame(FRAME.DATA, 0, 1, Buffer.alloc(16_385)), H2_ERROR.FRAME_SIZE_ERROR],
      [frame(FRAME.PUSH_PROMISE, FLAG.END_HEADERS, 1, Buffer.alloc(4)), H2_ERROR.PROTOCOL_ERROR],
      [frame(FRAME.WINDOW_UPDATE, 0, 0, Buffer.alloc(4)), H2_ERROR.PROTOCOL_ERROR],
      [frame(FRAME.SETTINGS, 0, 0, Buffer.alloc(5)), H2_ERROR.FRAME_SIZE_ERROR],
      [frame(FRAME.HEADERS, FLAG.END_HEADERS, 1, Buffer.from([0x80])), H2_ERROR.COMPRESSION_ERROR],
      // A stream id below the last one opened, not as trailers.
      [
        Buffer.concat([headersFrame(9, REQUEST), headersFrame(7, REQUEST)]),
        H2_ERROR.PROTOCOL_ERROR,
      ],
      [frame(FRAME.GOAWAY, 0, 0, Buffer.alloc(4)), H2_ERROR.FRAME_SIZE_ERROR],
      [
        frame(FRAME.HEADERS, FLAG.PRIORITY | FLAG.END_HEADERS, 1, Buffer.alloc(3)),
        H2_ERROR.FRAME_SIZE_ERROR,
      ],
    ];
    for (const [bytes, code] of cases) {
      const c = await client(harness.port);
      c.send(bytes);
      expect(
        goawayCode((await c.waitFor(isGoaway)).payload),
        bytes.toString('hex').slice(0, 20),
      ).toBe(code);
      await c.waitClosed();
    }
  });
});

describe('H2Connection: flow control', () => {
  it("sends no more DATA than the client's stream window, and the rest after WINDOW_UPDATE", async () => {
    const harness = await start({ answer: false });
    const { c, stream } = await tenByteWindows(harness, true);
    stream.respond([[':status', '200']]);
    stream.write(Buffer.from('0123456789abcdefghij'));
    stream.end([]);
    await c.waitFor((f) => f.type === FRAME.DATA);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const sent = () =>
      Buffer.concat(c.frames.filter((f) => f.type === FRAME.DATA).map((f) => f.payload)).toString();
    expect(sent()).toBe('0123456789');
    expect(c.frames.some((f) => f.type === FRAME.HEADERS && f.flags & FLAG.END_STREAM)).toBe(false);
    c.send(windowUpdateFrame(1, 100));
    await c.waitFor((f) => f.type === FRAME.HEADERS && (f.flags & FLAG.END_STREAM) !== 0);
    expect(sent()).toBe('0123456789abcdefghij');
  });

  it("refuses new streams while the answers queued for the client's windows pass maxQueuedBytes", async () => {
    const harness = await start({ answer: false, maxQueuedBytes: 100 });
    const { c, stream: first } = await tenByteWindows(harness, true);
    first.respond([[':status', '200']]);
    first.write(Buffer.alloc(200)); // 10 bytes go out, 190 wait for the window
    c.send(headersFrame(3, REQUEST, true));
    const reset = await c.waitFor((f) => f.type === FRAME.RST_STREAM);
    expect(reset.streamId).toBe(3);
    expect(reset.payload.readUInt32BE(0)).toBe(H2_ERROR.REFUSED_STREAM);
    // Once the window opens and the answer goes out, streams are taken again.
    c.send(windowUpdateFrame(1, 1000));
    first.end([]);
    await c.waitFor((f) => f.type === FRAME.HEADERS && (f.flags & FLAG.END_STREAM) !== 0);
    c.send(headersFrame(5, REQUEST, true));
    await expect.poll(() => harness.streams.map((s) => s.id)).toEqual([1, 5]);
  });

  it('closes a connection whose client takes no DATA for sendStallMs, and resets its streams', async () => {
    const harness = await start({ answer: false, sendStallMs: 100 });
    const { c, stream } = await tenByteWindows(harness, false);
    const started = Date.now();
    stream.respond([[':status', '200']]);
    stream.write(Buffer.alloc(100));
    await c.waitClosed(3000);
    expect(Date.now() - started).toBeGreaterThanOrEqual(90);
    expect(harness.resets).toEqual([H2_ERROR.CANCEL]);
    expect(harness.connections[0]!.queuedBytes).toBe(0);
  });

  it('keeps a slow client that opens its windows a frame at a time, and one with nothing waiting', async () => {
    const harness = await start({ answer: false, sendStallMs: 150 });
    const { c, stream } = await tenByteWindows(harness, true);
    stream.respond([[':status', '200']]);
    stream.write(Buffer.alloc(200_000));
    stream.end([]);
    // 20 kB of window every 60 ms: the answer takes about 600 ms, four stall periods.
    for (let sent = 10; sent < 200_000; sent += 20_000) {
      await new Promise((resolve) => setTimeout(resolve, 60));
      c.send(windowUpdateFrame(1, 20_000), windowUpdateFrame(0, 20_000));
    }
    await c.waitFor((f) => f.type === FRAME.HEADERS && (f.flags & FLAG.END_STREAM) !== 0);
    // Idle with nothing to send: kept.
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(c.closed()).toBe(false);
  });

  it('times each wait from its own start: an earlier wait that ended does not count', async () => {
    const harness = await start({ answer: false, sendStallMs: 400 });
    const { c, stream: first } = await tenByteWindows(harness, true);
    first.respond([[':status', '200']]);
    first.write(Buffer.alloc(20)); // 10 bytes out, 10 wait: the watch starts
    first.end([]);
    await c.waitFor((f) => f.type === FRAME.DATA);
    c.send(windowUpdateFrame(1, 10));
    await c.waitFor(ends(1));
    await new Promise((resolve) => setTimeout(resolve, 300)); // nothing waits
    await secondWait(harness, c); // from 300 ms into the first watch's period
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(c.closed()).toBe(false);
    c.send(windowUpdateFrame(3, 10));
    await c.waitFor(ends(3));
    expect(c.closed()).toBe(false);
  });

  it('a wait ended by the client resetting its stream does not time the next one', async () => {
    const harness = await start({ answer: false, sendStallMs: 600 });
    const { c, stream: first } = await tenByteWindows(harness, true);
    first.respond([[':status', '200']]);
    first.write(Buffer.alloc(20)); // 10 bytes out, 10 wait: the watch starts
    await c.waitFor((f) => f.type === FRAME.DATA);
    c.send(rstStreamFrame(1, H2_ERROR.CANCEL)); // nothing waits any more
    await expect.poll(() => harness.connections[0]!.queuedBytes).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 250));
    await secondWait(harness, c); // 600 ms allowed from here
    await new Promise((resolve) => setTimeout(resolve, 450));
    expect(c.closed()).toBe(false);
  });

  it('a wait that ended as the socket emptied, without a drain, does not time the next one', async () => {
    const harness = await start({ answer: false, sendStallMs: 400 });
    const { c, stream: first, socket } = await readsNothing(harness, true);
    // The kernel's buffers fill, 4 KiB at a time, until some bytes stay in the socket: under
    // its high-water mark, so no 'drain' follows when they go.
    while (socket.writableLength === 0) {
      first.write(Buffer.alloc(4096));
      await new Promise((resolve) => setImmediate(resolve));
    }
    const started = performance.now();
    first.end([]);
    c.send(settingsFrame([[SETTING.INITIAL_WINDOW_SIZE, 10]])); // its ack stays there too
    await new Promise((resolve) => setTimeout(resolve, 20));
    c.socket.resume(); // the client reads everything
    await c.waitFor(ends(1), 5_000);
    expect(socket.writableLength).toBe(0);
    await new Promise((resolve) =>
      setTimeout(resolve, Math.max(0, 300 - (performance.now() - started))),
    );
    await secondWait(harness, c); // 400 ms allowed from here
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(c.closed()).toBe(false);
  }, 20_000);

  it('closes a client that opens its windows a few bytes at a time (not a frame per period)', async () => {
    const harness = await start({ answer: false, sendStallMs: 150 });
    const { c, stream } = await tenByteWindows(harness, true);
    stream.respond([[':status', '200']]);
    stream.write(Buffer.alloc(100_000));
    const trickle = setInterval(() => c.send(windowUpdateFrame(1, 10)), 30);
    try {
      await c.waitClosed(3000);
    } finally {
      clearInterval(trickle);
    }
    expect(harness.connections[0]!.queuedBytes).toBe(0);
  });

  it('closes a client that reads nothing though it opens its windows a frame per period', async () => {
    const harness = await start({ answer: false, sendStallMs: 300 });
    const { c, stream, socket } = await readsNothing(harness, false);
    stream.write(Buffer.alloc(64 * 1024 * 1024));
    while (socket.writableLength === 0) {
      c.send(windowUpdateFrame(0, 256 * 1024));
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    // More DATA goes behind the full socket each time; none of it is taken.
    const drip = setInterval(() => c.send(windowUpdateFrame(0, 20 * 1024)), 100);
    try {
      await expect.poll(() => socket.destroyed, { timeout: 5_000 }).toBe(true);
    } finally {
      clearInterval(drip);
    }
  }, 20_000);

  it('closes a client that reads nothing of an answer the socket holds, though it sends PINGs', async () => {
    const harness = await start({ answer: false, sendStallMs: 300 });
    const { c, stream, socket } = await readsNothing(harness, true);
    // Written 256 KiB at a time until the kernel's buffers are full: the rest of the answer
    // sits in the socket (under the 4 MiB where the server stops reading), none of it waits
    // for a window.
    while (socket.writableLength === 0) {
      stream.write(Buffer.alloc(256 * 1024));
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    stream.write(Buffer.alloc(1024 * 1024));
    expect(harness.connections[0]!.queuedBytes).toBe(0);
    await cutDespitePings(c, socket);
  }, 20_000);

  it('waits for the connection window too', async () => {
    const harness = await start({ answer: false });
    const c = await client(harness.port);
    c.send(headersFrame(1, REQUEST, true));
    await expect.poll(() => harness.streams.length).toBe(1);
    const stream = harness.streams[0] as H2Stream;
    stream.respond([[':status', '200']]);
    stream.write(Buffer.alloc(70_000, 1));
    stream.end([]);
    const sentBytes = () =>
      c.frames.filter((f) => f.type === FRAME.DATA).reduce((sum, f) => sum + f.payload.length, 0);
    await expect.poll(sentBytes).toBe(65_535);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(sentBytes()).toBe(65_535);
    c.send(windowUpdateFrame(0, 10_000), windowUpdateFrame(1, 10_000));
    await c.waitFor((f) => f.type === FRAME.HEADERS && (f.flags & FLAG.END_STREAM) !== 0);
    expect(sentBytes()).toBe(70_000);
  });

  it('opens its receive windows again as it reads', async () => {
    const harness = await start({ answer: false });
    const c = await client(harness.port);
    c.send(headersFrame(1, REQUEST));
    for (let i = 0; i < 3; i++) c.send(dataFrame(1, Buffer.alloc(16_000)));
    // Half the 65,535-byte window read: both windows are opened again by what was read.
    const connection = await c.waitFor((f) => f.type === FRAME.WINDOW_UPDATE && f.streamId === 0);
    const stream = await c.waitFor((f) => f.type === FRAME.WINDOW_UPDATE && f.streamId === 1);
    expect(connection.payload.readUInt32BE(0)).toBe(48_000);
    expect(stream.payload.readUInt32BE(0)).toBe(48_000);
    // A client that keeps within the windows can send far more than one window's worth.
    for (let i = 0; i < 12; i++) c.send(dataFrame(1, Buffer.alloc(16_000)));
    const opened = () =>
      c.frames
        .filter((f) => f.type === FRAME.WINDOW_UPDATE && f.streamId === 0)
        .reduce((sum, f) => sum + f.payload.readUInt32BE(0), 0);
    await expect.poll(opened).toBe(15 * 16_000);
    expect(c.frames.some(isGoaway)).toBe(false);
  });
});

describe('H2Connection: defences', () => {
  it('answered or reset streams still held by their consumer count against the stream limit', async () => {
    const harness = await start({ maxConcurrentStreams: 5, answer: false, hold: true });
    const c = await client(harness.port);
    for (let id = 1; id <= 19; id += 2) {
      c.send(headersFrame(id, REQUEST, true), rstStreamFrame(id, H2_ERROR.CANCEL));
    }
    await expect.poll(() => c.frames.filter((f) => f.type === FRAME.RST_STREAM).length).toBe(5);
    expect(harness.streams.map((stream) => stream.id)).toEqual([1, 3, 5, 7, 9]);
    // Released: room again.
    for (const stream of harness.streams) stream.release();
    c.send(headersFrame(21, REQUEST, true));
    await expect.poll(() => harness.streams.length).toBe(6);
  });

  it('a flood of stream resets ends the connection (rapid reset)', async () => {
    const harness = await start({ maxConcurrentStreams: 10_000, answer: false });
    const c = await client(harness.port);
    const frames: Buffer[] = [];
    for (let i = 0; i < 1200; i++) {
      const id = 2 * i + 1;
      frames.push(headersFrame(id, REQUEST, true), rstStreamFrame(id, H2_ERROR.CANCEL));
    }
    c.send(Buffer.concat(frames));
    const goaway = await c.waitFor(isGoaway);
    expect(goawayCode(goaway.payload)).toBe(H2_ERROR.ENHANCE_YOUR_CALM);
    // A burst of 1000, plus what 33 per second refilled while they came in.
    expect(harness.streams.length).toBeGreaterThan(1000);
    expect(harness.streams.length).toBeLessThan(1100);
  });

  it('resets the server makes for a misbehaving client spend its reset budget too', async () => {
    const harness = await start({ maxConcurrentStreams: 10_000, answer: false });
    const c = await client(harness.port);
    const frames: Buffer[] = [];
    for (let i = 0; i < 1200; i++) {
      const id = 2 * i + 1;
      // WINDOW_UPDATE of 0 on an open stream: the server resets it (PROTOCOL_ERROR).
      frames.push(headersFrame(id, REQUEST), frame(FRAME.WINDOW_UPDATE, 0, id, Buffer.alloc(4)));
    }
    c.send(Buffer.concat(frames));
    const goaway = await c.waitFor(isGoaway);
    expect(goawayCode(goaway.payload)).toBe(H2_ERROR.ENHANCE_YOUR_CALM);
  });

  it('stops reading a client that sends but does not read', async () => {
    const harness = await start();
    const c = await client(harness.port);
    await c.waitFor((f) => f.type === FRAME.SETTINGS && f.flags === FLAG.ACK);
    c.socket.pause();
    // 24 MB of PINGs, each answered with as many bytes: more than the kernel buffers hold.
    const ping = frame(FRAME.PING, 0, 0, Buffer.alloc(8));
    const flood = Buffer.concat(Array.from({ length: 1_500_000 }, () => ping));
    c.send(flood);
    const socket = harness.sockets[0] as Socket;
    await expect.poll(() => socket.isPaused(), { timeout: 10_000 }).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(socket.writableLength).toBeLessThan(5 * 1024 * 1024);
    // Reading again lets it go on.
    c.socket.resume();
    await expect.poll(() => socket.isPaused(), { timeout: 10_000 }).toBe(false);
  });

  it('keeps a client that reads a large answer slowly from a full socket', async () => {
    const harness = await start({ answer: false, sendStallMs: 1000 });
    const c = await client(harness.port, { settings: [[SETTING.INITIAL_WINDOW_SIZE, 0x7fffffff]] });
    await c.waitFor((f) => f.type === FRAME.SETTINGS && f.flags === FLAG.ACK);
    c.send(windowUpdateFrame(0, 0x7fffffff - 65_535));
    // One read, then 40 ms of rest (about 1.5 MB/s): the socket stays full, and each of its
    // 4 MiB writes is taken bit by bit, none completing within a stall period.
    c.socket.on('data', () => {
      c.socket.pause();
      setTimeout(() => c.socket.resume(), 40);
    });
    c.send(headersFrame(1, REQUEST, true));
    await expect.poll(() => harness.streams.length).toBe(1);
    const stream = harness.streams[0] as H2Stream;
    stream.respond([[':status', '200']]);
    stream.write(Buffer.alloc(10 * 1024 * 1024));
    stream.end([]);
    await c.waitFor(ends(1), 30_000);
    expect(c.closed()).toBe(false);
  }, 40_000);

  it('closes a client that reads nothing though it sends PINGs (their acks only add bytes)', async () => {
    const harness = await start({ answer: false, sendStallMs: 300 });
    const { c, stream, socket } = await readsNothing(harness, false);
    stream.write(Buffer.alloc(64 * 1024 * 1024));
    // Open the connection window until the kernel's buffers are full and the server's socket
    // holds bytes of its own, below the 4 MiB where the server stops reading.
    while (socket.writableLength === 0) {
      c.send(windowUpdateFrame(0, 256 * 1024));
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(socket.isPaused()).toBe(false);
    await cutDespitePings(c, socket);
  }, 20_000);

  it('closes a client that stopped reading its socket once nothing went out for sendStallMs', async () => {
    const harness = await start({ sendStallMs: 300 });
    const c = await client(harness.port);
    await c.waitFor((f) => f.type === FRAME.SETTINGS && f.flags === FLAG.ACK);
    c.socket.pause();
    const ping = frame(FRAME.PING, 0, 0, Buffer.alloc(8));
    c.send(Buffer.concat(Array.from({ length: 1_500_000 }, () => ping)));
    const socket = harness.sockets[0] as Socket;
    await expect.poll(() => socket.isPaused(), { timeout: 10_000 }).toBe(true);
    await expect.poll(() => socket.destroyed, { timeout: 10_000 }).toBe(true);
  });

  it('refuses an oversized header list on its stream only', async () => {
    const harness = await start({ answer: false });
    const c = await client(harness.port);
    c.send(
      headersFrame(1, REQUEST),
      frame(
        FRAME.HEADERS,
        FLAG.END_STREAM,
        3,
        encodeHeaders([...REQUEST, ['x-big', 'b'.repeat(16_000)]]),
      ),
      ...Array.from({ length: 4 }, (_, i) =>
        frame(
          FRAME.CONTINUATION,
          i === 3 ? FLAG.END_HEADERS : 0,
          3,
          encodeHeaders([[`x-big${i}`, 'b'.repeat(16_000)]]),
        ),
      ),
    );
    await expect.poll(() => harness.streams.length).toBe(2);
    expect(harness.streams[0]?.oversized).toBe(false);
    expect(harness.streams[1]?.oversized).toBe(true);
    expect(harness.streams[1]?.headers).toEqual([]);
    harness.streams[0]?.respond([[':status', '200']], true);
    await c.waitFor((f) => f.type === FRAME.HEADERS && f.streamId === 1);
    expect(c.frames.some(isGoaway)).toBe(false);
  });

  it("a consumer's exception resets its stream only", async () => {
    const harness = await start({ throwOnDataOf: 3 });
    const c = await client(harness.port);
    c.send(headersFrame(1, REQUEST), headersFrame(3, REQUEST), dataFrame(3, Buffer.from('x')));
    const reset = await c.waitFor((f) => f.type === FRAME.RST_STREAM);
    expect(reset.streamId).toBe(3);
    expect(reset.payload.readUInt32BE(0)).toBe(H2_ERROR.INTERNAL_ERROR);
    c.send(dataFrame(1, Buffer.from('fine'), true));
    await c.waitFor((f) => f.type === FRAME.DATA && f.streamId === 1);
    expect(c.frames.some(isGoaway)).toBe(false);
  });

  it('an answer given in the frame that ends the request sends no RST_STREAM', async () => {
    for (const answerAt of ['stream', 'data'] as const) {
      const harness = await start({ answerAt });
      const c = await client(harness.port);
      if (answerAt === 'stream') c.send(headersFrame(1, REQUEST, true));
      else c.send(headersFrame(1, REQUEST), dataFrame(1, Buffer.from('x'), true));
      c.send(frame(FRAME.PING, 0, 0, Buffer.alloc(8)));
      await c.waitFor((f) => f.type === FRAME.HEADERS && (f.flags & FLAG.END_STREAM) !== 0);
      await c.waitFor((f) => f.type === FRAME.PING);
      expect(
        c.frames.some((f) => f.type === FRAME.RST_STREAM),
        answerAt,
      ).toBe(false);
    }
  });

  it('a malformed PRIORITY frame resets its open stream', async () => {
    const harness = await start({ answer: false });
    const c = await client(harness.port);
    c.send(headersFrame(1, REQUEST), frame(FRAME.PRIORITY, 0, 1, Buffer.alloc(4)));
    const reset = await c.waitFor((f) => f.type === FRAME.RST_STREAM);
    expect(reset.payload.readUInt32BE(0)).toBe(H2_ERROR.FRAME_SIZE_ERROR);
    expect(harness.streams[0]?.closed).toBe(true);
  });

  it('write() reports a full stream and onDrain when it emptied', async () => {
    const harness = await start({ answer: false });
    const c = await client(harness.port, { settings: [[SETTING.INITIAL_WINDOW_SIZE, 1000]] });
    await c.waitFor((f) => f.type === FRAME.SETTINGS && f.flags === FLAG.ACK);
    c.send(headersFrame(1, REQUEST, true));
    await expect.poll(() => harness.streams.length).toBe(1);
    const stream = harness.streams[0] as H2Stream;
    let drained = 0;
    stream.onDrain = () => drained++;
    stream.respond([[':status', '200']]);
    expect(stream.write(Buffer.alloc(1000))).toBe(true);
    expect(stream.write(Buffer.alloc(2 * 1024 * 1024))).toBe(false);
    c.send(windowUpdateFrame(0, 3 * 1024 * 1024), windowUpdateFrame(1, 3 * 1024 * 1024));
    await expect.poll(() => drained).toBe(1);
  });
});

describe('H2Connection: closing', () => {
  it('goAway() answers the open streams, refuses new ones, then closes', async () => {
    const harness = await start({ answer: false });
    const c = await client(harness.port);
    c.send(headersFrame(1, REQUEST, true));
    await expect.poll(() => harness.streams.length).toBe(1);
    let idle = false;
    harness.connections[0]?.goAway(() => {
      idle = true;
    });
    const goaway = await c.waitFor(isGoaway);
    expect(goaway.payload.readUInt32BE(0)).toBe(1);
    expect(goawayCode(goaway.payload)).toBe(H2_ERROR.NO_ERROR);
    c.send(headersFrame(3, REQUEST, true));
    const refused = await c.waitFor((f) => f.type === FRAME.RST_STREAM && f.streamId === 3);
    expect(refused.payload.readUInt32BE(0)).toBe(H2_ERROR.REFUSED_STREAM);
    expect(idle).toBe(false);
    harness.streams[0]?.respond([[':status', '200']], true);
    await c.waitClosed();
    expect(idle).toBe(true);
  });

  it('a client that goes away resets its open streams', async () => {
    const harness = await start({ answer: false });
    const c = await client(harness.port);
    c.send(headersFrame(1, REQUEST), headersFrame(3, REQUEST));
    await expect.poll(() => harness.streams.length).toBe(2);
    c.close();
    await expect.poll(() => harness.resets.length).toBe(2);
  });
});

describe('H2Connection: keepalive', () => {
  const isPing = (f: { type: number; flags: number }) => f.type === FRAME.PING && f.flags === 0;

  it('PINGs a silent peer after timeMs and closes the connection when no answer comes', async () => {
    const harness = await start({ keepalive: { timeMs: 80, timeoutMs: 120 } });
    const c = await client(harness.port);
    const started = Date.now();
    const ping = await c.waitFor(isPing);
    expect(Date.now() - started).toBeGreaterThanOrEqual(60);
    expect(ping.payload.length).toBe(8);
    await c.waitClosed(2000);
    expect(Date.now() - started).toBeGreaterThanOrEqual(180);
    const goaway = c.frames.find(isGoaway);
    expect(goaway === undefined || goawayCode(goaway.payload) === H2_ERROR.NO_ERROR).toBe(true);
  });

  it('an answer that arrived while the event loop stalled past the timeout still counts', async () => {
    const harness = await start({ keepalive: { timeMs: 60, timeoutMs: 100 } });
    const c = await client(harness.port);
    let stalled = false;
    c.socket.on('data', () => {
      const ping = c.frames.find(isPing);
      if (ping === undefined || stalled) return;
      stalled = true;
      c.send(frame(FRAME.PING, FLAG.ACK, 0, ping.payload));
      // The answer is in the server's socket; the loop stalls before the server reads it.
      setImmediate(() => {
        const until = performance.now() + 250;
        while (performance.now() < until) {}
      });
    });
    await c.waitFor(isPing);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(stalled).toBe(true);
    expect(c.closed()).toBe(false);
    expect(c.frames.some(isGoaway)).toBe(false);
  });

  it('keeps a peer that answers its PINGs, and does not PING one that keeps talking', async () => {
    // Margins for a loaded machine: an answer may take a stalled turn (timeoutMs), and the
    // talking client's 20 ms chatter may be late by a lot less than timeMs. After an answer
    // the next PING comes when the timeout would have, at the earliest.
    const harness = await start({ keepalive: { timeMs: 60, timeoutMs: 150 } });
    const quiet = await start({ keepalive: { timeMs: 300, timeoutMs: 400 } });
    const answering = await client(harness.port);
    let acked = 0;
    answering.socket.on('data', () => {
      // Acknowledge each PING once (the client has parsed the frames of this read already).
      const pings = answering.frames.filter(isPing);
      for (const f of pings.slice(acked)) answering.send(frame(FRAME.PING, FLAG.ACK, 0, f.payload));
      acked = pings.length;
    });
    const talking = await client(quiet.port);
    const chatter = setInterval(() => talking.send(frame(FRAME.PING, 0, 0, Buffer.alloc(8))), 20);
    try {
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(answering.closed()).toBe(false);
      expect(answering.frames.filter(isPing).length).toBeGreaterThanOrEqual(2);
      expect(talking.closed()).toBe(false);
      expect(talking.frames.filter(isPing)).toEqual([]);
    } finally {
      clearInterval(chatter);
    }
  });
});
