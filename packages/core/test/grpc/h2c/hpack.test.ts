import { connect } from 'node:http2';
import { createServer as createNetServer } from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Http2ProtocolError } from '../../../src/grpc/h2c/frames';
import { H2Connection, type H2Stream } from '../../../src/grpc/h2c/h2-connection';
import { encodeHeaders, HpackDecoder } from '../../../src/grpc/h2c/hpack';
import { decodeHuffman } from '../../../src/grpc/h2c/huffman';

const hex = (text: string) => Buffer.from(text.replace(/\s/g, ''), 'hex');

describe('HPACK decoding (RFC 7541 Appendix C)', () => {
  it('C.3: three requests without Huffman share the dynamic table', () => {
    const decoder = new HpackDecoder();
    expect(decoder.decode(hex('8286 8441 0f77 7777 2e65 7861 6d70 6c65 2e63 6f6d'))).toEqual([
      [':method', 'GET'],
      [':scheme', 'http'],
      [':path', '/'],
      [':authority', 'www.example.com'],
    ]);
    expect(decoder.decode(hex('8286 84be 5808 6e6f 2d63 6163 6865'))).toEqual([
      [':method', 'GET'],
      [':scheme', 'http'],
      [':path', '/'],
      [':authority', 'www.example.com'],
      ['cache-control', 'no-cache'],
    ]);
    expect(
      decoder.decode(
        hex('8287 85bf 400a 6375 7374 6f6d 2d6b 6579 0c63 7573 746f 6d2d 7661 6c75 65'),
      ),
    ).toEqual([
      [':method', 'GET'],
      [':scheme', 'https'],
      [':path', '/index.html'],
      [':authority', 'www.example.com'],
      ['custom-key', 'custom-value'],
    ]);
  });

  it('C.4: the same requests with Huffman-coded strings', () => {
    const decoder = new HpackDecoder();
    expect(decoder.decode(hex('8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff'))?.[3]).toEqual([
      ':authority',
      'www.example.com',
    ]);
    expect(decoder.decode(hex('8286 84be 5886 a8eb 1064 9cbf'))?.[4]).toEqual([
      'cache-control',
      'no-cache',
    ]);
    expect(
      decoder.decode(hex('8287 85bf 4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf'))?.[4],
    ).toEqual(['custom-key', 'custom-value']);
  });

  it('evicts the oldest entries when the table is full (C.5: a 256-byte table)', () => {
    const decoder = new HpackDecoder();
    // A size update to 256 first, then entries that overflow it.
    const first = decoder.decode(
      Buffer.concat([
        hex('3fe1 01'),
        hex(
          '4803 3330 3258 0770 7269 7661 7465 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133 2032 303a 3133 3a32 3120 474d 546e 1768 7474 7073 3a2f 2f77 7777 2e65 7861 6d70 6c65 2e63 6f6d',
        ),
      ]),
    );
    expect(first?.map(([name]) => name)).toEqual([':status', 'cache-control', 'date', 'location']);
    // ":status 307" pushes ":status 302" (the oldest) out: index 65 is now "cache-control".
    const second = decoder.decode(hex('4803 3330 37c1 c0bf'));
    expect(second).toEqual([
      [':status', '307'],
      ['cache-control', 'private'],
      ['date', 'Mon, 21 Oct 2013 20:13:21 GMT'],
      ['location', 'https://www.example.com'],
    ]);
    expect(() => decoder.decode(hex('c2'))).toThrow('index 66 is not in the table');
  });

  it('refuses malformed blocks with COMPRESSION_ERROR', () => {
    const cases: Array<[string, string]> = [
      ['80', 'index 0'],
      ['ff00', 'index 127 is not in the table'],
      ['3fe2 1f', 'table size update above the limit'],
      ['8220', 'table size update after a header field'],
      ['4005 61', 'truncated string'],
      ['ff ffff ffff ff', 'integer too large'],
      ['1f', 'truncated integer'],
    ];
    for (const [block, message] of cases) {
      let error: unknown;
      try {
        new HpackDecoder().decode(hex(block));
      } catch (caught) {
        error = caught;
      }
      expect(error, block).toBeInstanceOf(Http2ProtocolError);
      expect((error as Http2ProtocolError).codeName, block).toBe('COMPRESSION_ERROR');
      expect((error as Error).message, block).toContain(message);
    }
  });

  it('refuses a header list over the cap, and keeps its table in step', () => {
    const decoder = new HpackDecoder(4096, 1000);
    // Literal with incremental indexing ("x-a: 1"), then a value over the cap.
    const block = Buffer.concat([
      hex('4003 782d 6101 31'),
      encodeHeaders([['x-big', 'a'.repeat(2000)]]),
    ]);
    expect(decoder.decode(block)).toBeUndefined();
    // The entry the refused block added is still index 62.
    expect(decoder.decode(hex('be'))).toEqual([['x-a', '1']]);
  });
});

describe('Huffman strings', () => {
  it("decodes RFC 7541's example and checks the padding", () => {
    const example = hex('f1e3 c2e5 f23a 6ba0 ab90 f4ff');
    expect(decodeHuffman(example, 0, example.length)).toBe('www.example.com');
    // 'a' is 00011: padded with ones it decodes, with zeros or a whole byte of ones it does not.
    expect(decodeHuffman(hex('1f'), 0, 1)).toBe('a');
    expect(() => decodeHuffman(hex('18'), 0, 1)).toThrow('invalid Huffman padding');
    expect(() => decodeHuffman(hex('1fff'), 0, 2)).toThrow('invalid Huffman padding');
    // EOS (30 ones) inside the string.
    expect(() => decodeHuffman(hex('ffff fffc'), 0, 4)).toThrow('Huffman EOS in a string');
  });
});

describe('HPACK encoding', () => {
  it('round-trips through the decoder, long values included', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(
            fc.stringMatching(/^[a-z][a-z0-9-]{0,200}$/),
            fc.string({
              unit: fc.integer({ min: 0x20, max: 0x7e }).map(String.fromCharCode),
              maxLength: 400,
            }),
          ),
          { maxLength: 12 },
        ),
        (pairs) => {
          expect(new HpackDecoder(4096, 1 << 20).decode(encodeHeaders(pairs))).toEqual(pairs);
        },
      ),
      { seed: 7, numRuns: 300 },
    );
  });

  it('sends ":status: 200" as one byte', () => {
    expect(encodeHeaders([[':status', '200']])).toEqual(Buffer.from([0x88]));
  });

  it('opens a block with a table size update to 0 when asked, which a decoder accepts', () => {
    const block = encodeHeaders([[':status', '200']], true);
    expect(block).toEqual(Buffer.from([0x20, 0x88]));
    expect(new HpackDecoder().decode(block)).toEqual([[':status', '200']]);
  });
});

describe("what Node's HTTP/2 client (nghttp2) sends decodes exactly", () => {
  let port = 0;
  const seen: H2Stream[] = [];
  const server = createNetServer((socket) => {
    new H2Connection(socket, {
      windowBytes: 65_535,
      maxConcurrentStreams: 100,
      onStream: (stream) => {
        seen.push(stream);
        stream.respond([[':status', '204']], true);
      },
    });
  });
  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as { port: number }).port;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('random headers over one connection (Huffman, dynamic table, evictions)', async () => {
    const session = connect(`http://127.0.0.1:${port}`);
    try {
      const cases = fc.sample(
        fc.dictionary(
          fc.stringMatching(/^x-[a-z0-9-]{1,30}$/),
          fc.string({
            unit: fc.integer({ min: 0x21, max: 0x7e }).map(String.fromCharCode),
            minLength: 1,
            maxLength: 300,
          }),
          { minKeys: 1, maxKeys: 8 },
        ),
        { seed: 11, numRuns: 200 },
      );
      for (const headers of cases) {
        const request = session.request({ ':method': 'POST', ':path': '/p', ...headers });
        request.end();
        await new Promise<void>((resolve, reject) => {
          request.on('response', () => resolve());
          request.on('error', reject);
        });
        request.close();
        const stream = seen.at(-1) as H2Stream;
        for (const [name, value] of Object.entries(headers)) {
          expect(stream.header(name)).toBe(value);
        }
        expect(stream.header(':path')).toBe('/p');
      }
      expect(seen.length).toBe(200);
    } finally {
      session.close();
    }
  });

  it('a client that lowers its header table (0, 1024) gets every answer: the first opens with the size update nghttp2 requires', async () => {
    for (const headerTableSize of [0, 1024]) {
      const session = connect(`http://127.0.0.1:${port}`, { settings: { headerTableSize } });
      try {
        for (let index = 0; index < 3; index++) {
          const request = session.request({ ':method': 'POST', ':path': `/t${index}` });
          request.end();
          const status = await new Promise<unknown>((resolve, reject) => {
            const timer = setTimeout(() => reject(new Error('no answer in 2 s')), 2000);
            request.on('response', (headers) => {
              clearTimeout(timer);
              resolve(headers[':status']);
            });
            request.on('error', (error) => {
              clearTimeout(timer);
              reject(error);
            });
          });
          expect(status).toBe(204);
          request.close();
        }
      } finally {
        session.close();
      }
    }
  });
});
