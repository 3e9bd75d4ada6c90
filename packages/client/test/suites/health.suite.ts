/** Health and metadata calls against the test server: live, ready, metadata, schema. */
import { createClient, schemaToTypeScript } from '@infer/client';
import type { SuiteApi, SuiteHost } from './suite-api';

export function healthSuite({ describe, it, expect }: SuiteApi, host: SuiteHost): void {
  describe('health and metadata', () => {
    it('reports live and ready (a trailing slash on baseUrl is dropped)', async () => {
      const client = createClient({ baseUrl: `${host.url}/` });
      expect(client.baseUrl).toBe(host.url);
      expect(await client.live()).toBe(true);
      expect(await client.ready()).toBe(true);
    });

    it('reports a model ready, and rejects 404 for an unknown one', async () => {
      const client = createClient({ baseUrl: host.url });
      expect(await client.model('pair').ready()).toBe(true);
      await expect(client.model('nope').ready()).rejects.toMatchObject({
        code: 'INFER_CLIENT_ERR_HTTP',
        status: 404,
      });
    });

    it('returns server metadata', async () => {
      const metadata = await createClient({ baseUrl: host.url }).metadata();
      expect(typeof metadata.name).toBe('string');
      expect(Array.isArray(metadata.extensions)).toBe(true);
    });

    it('returns model metadata and its schema', async () => {
      const pair = createClient({ baseUrl: host.url }).model('pair');
      const metadata = await pair.metadata();
      expect(metadata.name).toBe('pair');
      expect(metadata.inputs.map((input) => input.name)).toEqual(['a', 'tag']);
      expect(await pair.schema()).toEqual({
        inputs: {
          a: { datatype: 'FP32', shape: [-1, 2] },
          tag: { datatype: 'BYTES', shape: [-1] },
        },
        outputs: {
          sum: { datatype: 'FP32', shape: [-1] },
          label: { datatype: 'BYTES', shape: [-1] },
          count: { datatype: 'INT64', shape: [1] },
        },
      });
    });

    it('prints a live schema as defineSchema() source', async () => {
      const schema = await createClient({ baseUrl: host.url }).model('pair').schema();
      expect(schemaToTypeScript(schema, 'pairSchema')).toBe(
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

    it('puts the version in the path and sends the client and call headers to the server', async () => {
      const urls: string[] = [];
      const client = createClient({
        baseUrl: host.url,
        // A function runs before each attempt (refreshing tokens).
        headers: () => ({ authorization: 'Bearer t' }),
        fetch: (url, init) => {
          urls.push(url);
          return fetch(url, init);
        },
      });
      // accept-language: a header a browser sends cross-origin without widening CORS.
      await expect(
        client.model('pair', '7').metadata({ headers: { 'accept-language': 'x-test' } }),
      ).rejects.toMatchObject({ status: 404 });
      expect(urls).toEqual([`${host.url}/v2/models/pair/versions/7`]);
      expect(await host.seenHeaders('pair')).toMatchObject({
        authorization: 'Bearer t',
        'accept-language': 'x-test',
      });
    });
  });
}
