import { constants as bufferConstants } from 'node:buffer';
import { deflateSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { InflateQueue, MessageReader } from '../../../src/grpc/h2c/grpc-call';

const framed = (body: Buffer, compressed = false) => {
  const out = Buffer.alloc(5 + body.length);
  out[0] = compressed ? 1 : 0;
  out.writeUInt32BE(body.length, 1);
  body.copy(out, 5);
  return out;
};

describe('MessageReader', () => {
  it('reads messages cut anywhere, and views a message inside one chunk', () => {
    const messages: Array<[Buffer, boolean]> = [];
    const reader = new MessageReader(
      1 << 20,
      (bytes, compressed) => messages.push([bytes, compressed]),
      () => {
        throw new Error('too large');
      },
    );
    const bodies = [Buffer.alloc(0), Buffer.from('abc'), Buffer.alloc(70_000, 7), Buffer.from('z')];
    const stream = Buffer.concat(bodies.map((body, i) => framed(body, i === 1)));
    for (const size of [1, 3, 5, 4096, stream.length]) {
      messages.length = 0;
      for (let offset = 0; offset < stream.length; offset += size)
        reader.push(stream.subarray(offset, offset + size));
      expect(messages.map(([bytes]) => bytes.toString('hex'))).toEqual(
        bodies.map((body) => body.toString('hex')),
      );
      expect(messages.map(([, compressed]) => compressed)).toEqual([false, true, false, false]);
      expect(reader.partial).toBe(false);
    }
    // Whole in one chunk: a view over it.
    const chunk = framed(Buffer.from('view'));
    messages.length = 0;
    reader.push(chunk);
    expect(messages[0]?.[0].buffer).toBe(chunk.buffer);
  });

  it('a large message spread over chunks ends 8-byte aligned (its raw tensor can be viewed)', () => {
    const got: Buffer[] = [];
    const reader = new MessageReader(
      1 << 24,
      (bytes) => got.push(bytes),
      () => {},
    );
    const message = framed(Buffer.alloc(100_003, 1));
    for (let offset = 0; offset < message.length; offset += 16_384)
      reader.push(message.subarray(offset, offset + 16_384));
    expect(got[0]?.length).toBe(100_003);
    expect(((got[0] as Buffer).byteOffset + 100_003) % 8).toBe(0);
  });

  it('does not allocate what a prefix declares before an eighth of it arrived', () => {
    const before = process.memoryUsage().arrayBuffers;
    const readers = Array.from(
      { length: 16 },
      () =>
        new MessageReader(
          64 << 20,
          () => {},
          () => {},
        ),
    );
    const prefix = Buffer.alloc(5);
    prefix.writeUInt32BE(32 << 20, 1);
    for (const reader of readers) reader.push(Buffer.concat([prefix, Buffer.alloc(1024)]));
    // 16 prefixes declaring 32 MiB each: 512 MiB if believed.
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(32 << 20);
    expect(readers.every((reader) => reader.partial)).toBe(true);
  });

  it('copies small pieces of large reads instead of keeping views of them', () => {
    const got: Buffer[] = [];
    const reader = new MessageReader(
      64 << 20,
      (bytes) => got.push(bytes),
      () => {},
    );
    const prefix = Buffer.alloc(5);
    prefix.writeUInt32BE(64, 1);
    reader.push(prefix);
    // 64 reads of 64 KiB, each with one byte of the message; each read is reused (zeroed)
    // after it was pushed. A kept view would see the zeros when the message is joined.
    const reads = Array.from({ length: 64 }, (_, i) => Buffer.alloc(65_536, i + 1));
    for (const read of reads) {
      reader.push(read.subarray(0, 1));
      read.fill(0);
    }
    expect(Array.from(got[0] ?? [])).toEqual(Array.from({ length: 64 }, (_, i) => i + 1));
  });

  it('calls onTooLarge for a message over the limit', () => {
    const sizes: number[] = [];
    const reader = new MessageReader(
      10,
      () => {},
      (size) => sizes.push(size),
    );
    reader.push(framed(Buffer.alloc(11)));
    expect(sizes).toEqual([11]);
  });
});

describe('InflateQueue', () => {
  const plain = Buffer.from('hello, inflated world');

  it('inflates with a limit beyond what zlib takes (clamped to buffer.constants.MAX_LENGTH)', async () => {
    const queue = new InflateQueue(1);
    for (const limit of [Number.MAX_SAFE_INTEGER, 2 ** 33, bufferConstants.MAX_LENGTH]) {
      expect(await queue.run('gzip', gzipSync(plain), limit, () => false)).toEqual(plain);
      expect(await queue.run('deflate', deflateSync(plain), limit, () => false)).toEqual(plain);
    }
  });

  it('frees its slot when zlib throws before it starts, so later messages are inflated', async () => {
    const queue = new InflateQueue(1);
    const notBytes = 42 as unknown as Buffer;
    for (let i = 0; i < 3; i++) {
      await expect(queue.run('gzip', notBytes, 1024, () => false)).rejects.toThrow();
      await expect(queue.run('deflate', notBytes, 1024, () => false)).rejects.toThrow();
    }
    // With the slot lost this never settles: the race would give 'stuck'.
    const next = queue.run('gzip', gzipSync(plain), 1024, () => false);
    const stuck = new Promise((resolve) => setTimeout(resolve, 1000, 'stuck'));
    expect(await Promise.race([next, stuck])).toEqual(plain);
  });
});
