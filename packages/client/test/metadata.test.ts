import { defineModel, type InferServer, serve } from '@infer/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// The CLI's generator is internal to core; imported from source to check both agree.
import { schemaSource } from '../../core/src/cli/describe-command';
import {
  createClient,
  type InferClient,
  schemaFromMetadata,
  schemaToTypeScript,
} from '../src/index';
import { startTestServer } from './test-server';

let server: InferServer;
let client: InferClient;

beforeAll(async () => {
  server = await startTestServer();
  client = createClient({ baseUrl: `${server.url}/` });
});
afterAll(() => server.close());

describe('health and metadata', () => {
  it('reports live and ready', async () => {
    expect(client.baseUrl).toBe(server.url);
    expect(await client.live()).toBe(true);
    expect(await client.ready()).toBe(true);
  });

  it('reports a model ready, and rejects 404 for an unknown one', async () => {
    expect(await client.model('pair').ready()).toBe(true);
    await expect(client.model('nope').ready()).rejects.toMatchObject({ status: 404 });
  });

  it('reports not ready (false, no rejection) for a model that failed to load', async () => {
    const broken = defineModel({
      name: 'broken',
      inputs: [],
      outputs: [],
      load: () => {
        throw new Error('no weights');
      },
      predict: () => [],
    });
    const other = await serve({ models: [broken], port: 0, host: '127.0.0.1' });
    try {
      const probe = createClient({ baseUrl: other.url, retry: true });
      expect(await probe.model('broken').ready()).toBe(false);
      expect(await probe.ready()).toBe(false);
      expect(await probe.live()).toBe(true);
    } finally {
      await other.close();
    }
  });

  it('returns server metadata', async () => {
    const metadata = await client.metadata();
    expect(typeof metadata.name).toBe('string');
    expect(Array.isArray(metadata.extensions)).toBe(true);
  });

  it('returns model metadata and its schema', async () => {
    const metadata = await client.model('pair').metadata();
    expect(metadata.name).toBe('pair');
    expect(metadata.inputs.map((input) => input.name)).toEqual(['a', 'tag']);
    expect(await client.model('pair').schema()).toEqual({
      inputs: { a: { datatype: 'FP32', shape: [-1, 2] }, tag: { datatype: 'BYTES', shape: [-1] } },
      outputs: {
        sum: { datatype: 'FP32', shape: [-1] },
        label: { datatype: 'BYTES', shape: [-1] },
        count: { datatype: 'INT64', shape: [1] },
      },
    });
  });

  it('prints a live schema as defineSchema() source', async () => {
    const source = schemaToTypeScript(await client.model('pair').schema(), 'pairSchema');
    expect(source).toBe(
      [
        "import { defineSchema } from '@infer/client';",
        '',
        'export const pairSchema = defineSchema({',
        '  inputs: {',
        "    a: { datatype: 'FP32', shape: [-1, 2] },",
        "    tag: { datatype: 'BYTES', shape: [-1] },",
        '  },',
        '  outputs: {',
        "    sum: { datatype: 'FP32', shape: [-1] },",
        "    label: { datatype: 'BYTES', shape: [-1] },",
        "    count: { datatype: 'INT64', shape: [1] },",
        '  },',
        '} as const);',
        '',
      ].join('\n'),
    );
  });

  it('prints the same source as `infer describe --ts` (core writes it without depending on the client)', async () => {
    const metadata = await client.model('pair').metadata();
    expect(schemaSource(metadata as Parameters<typeof schemaSource>[0], 'pair')).toBe(
      schemaToTypeScript(schemaFromMetadata(metadata), 'pairSchema'),
    );
  });

  it('puts the version in the path and sends the client and call headers', async () => {
    const seen: Array<{ url: string; headers: Record<string, string> }> = [];
    const spied = createClient({
      baseUrl: server.url,
      headers: () => ({ authorization: 'Bearer t' }),
      fetch: (url, init) => {
        seen.push({ url, headers: init.headers as Record<string, string> });
        return fetch(url, init);
      },
    });
    await expect(
      spied.model('pair', '7').metadata({ headers: { 'x-trace': '1' } }),
    ).rejects.toMatchObject({
      status: 404,
    });
    expect(seen[0]?.url).toBe(`${server.url}/v2/models/pair/versions/7`);
    expect(seen[0]?.headers).toMatchObject({ authorization: 'Bearer t', 'x-trace': '1' });
  });
});
