import { PassThrough } from 'node:stream';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { streamBody } from '../../src/adapters/read-body';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

describe('streamBody', () => {
  it('keeps no chunk of a body it joined, though its listeners stay on the ended stream', async () => {
    const stream = new PassThrough();
    let first: WeakRef<Buffer> | undefined;
    let body: Buffer | undefined = await new Promise<Buffer>((resolve, reject) => {
      streamBody(stream, 1 << 30, undefined, Number.NaN, (error, read) =>
        error ? reject(error) : resolve(read!),
      );
      const chunk = Buffer.alloc(1024 * 1024, 1);
      first = new WeakRef(chunk);
      stream.write(chunk);
      stream.end(Buffer.alloc(1024 * 1024, 2));
    });
    expect(body.length).toBe(2 * 1024 * 1024);
    expect([body[0], body.at(-1)]).toEqual([1, 2]);
    body = undefined;
    for (let i = 0; i < 3 && first!.deref() !== undefined; i++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      gc();
    }
    expect(first!.deref()).toBeUndefined();
    // The request lives on (as it does while its inference runs); a late 'close' or 'error'
    // changes nothing.
    expect(stream.readableEnded).toBe(true);
    stream.destroy(new Error('late'));
  });
});
