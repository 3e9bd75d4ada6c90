import type { InferServer } from '@infer/core';
import { createOipValidator } from '@infer/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, type FetchLike } from '../src/index';
import { startTestServer } from './test-server';

let server: InferServer;
const sent: Array<{ body: Uint8Array; headers: Record<string, string> }> = [];
const spy: FetchLike = (url, init) => {
  sent.push({ body: init.body as Uint8Array, headers: init.headers as Record<string, string> });
  return fetch(url, init);
};

beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

const inputs = {
  a: { data: new Float32Array([1, 2, 3, 4]), shape: [2, 2] },
  tag: ['p', 'q'],
};

describe('the client speaks the published protocol', () => {
  it('sends JSON requests that validate against the OIP REST schema', async () => {
    const client = createClient({
      baseUrl: server.url,
      fetch: spy,
      binaryThreshold: Number.POSITIVE_INFINITY,
    });
    sent.length = 0;
    await client.model('pair').infer(inputs, { outputs: ['sum'], id: 'r1', parameters: { p: 1 } });
    await client.model('echo-int64').infer({ x: new BigInt64Array([2n ** 60n]) });
    await client.model('echo-bool').infer({ x: [true, false] });
    const oip = createOipValidator();
    for (const { body } of sent) {
      oip.assert('inference_request', JSON.parse(new TextDecoder().decode(body)));
    }
    expect(sent).toHaveLength(3);
  });

  it('sends binary bodies as Triton documents: JSON header, binary_data_size, data in input order', async () => {
    const client = createClient({ baseUrl: server.url, fetch: spy, binaryThreshold: 0 });
    sent.length = 0;
    await client.model('pair').infer(inputs, { outputs: ['sum', 'label'] });
    const [{ body, headers }] = sent as [(typeof sent)[number]];
    const headerLength = Number(headers['inference-header-content-length']);
    expect(headers['content-type']).toBe('application/octet-stream');
    const header = JSON.parse(new TextDecoder().decode(body.subarray(0, headerLength)));
    expect(header.parameters).toEqual({ binary_data_output: true });
    expect(header.outputs).toEqual([
      { name: 'sum', parameters: { binary_data: true } },
      { name: 'label', parameters: { binary_data: true } },
    ]);
    expect(header.inputs.map((input: { name: string }) => input.name)).toEqual(['a', 'tag']);
    expect(header.inputs.every((input: object) => !('data' in input))).toBe(true);
    const [a, tag] = header.inputs as Array<{ parameters: { binary_data_size: number } }>;
    expect(a!.parameters.binary_data_size).toBe(16);
    // BYTES: a 4-byte little-endian length before each element.
    expect(tag!.parameters.binary_data_size).toBe(2 * (4 + 1));
    expect(body.byteLength).toBe(headerLength + 16 + 10);
    const data = body.subarray(headerLength);
    expect(new Float32Array(data.slice(0, 16).buffer)).toEqual(new Float32Array([1, 2, 3, 4]));
    expect(Array.from(data.subarray(16))).toEqual([1, 0, 0, 0, 0x70, 1, 0, 0, 0, 0x71]);
  });
});
