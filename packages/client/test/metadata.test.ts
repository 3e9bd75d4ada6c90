import { defineModel, type InferServer, serve } from '@infer/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// The CLI's generator is internal to core; imported from source to check both agree.
import { schemaSource } from '../../core/src/cli/describe-command';
import { createClient, schemaFromMetadata, schemaToTypeScript } from '../src/index';
import { healthSuite } from './suites/health.suite';
import { nodeHost, startTestServer } from './test-server';

let server: InferServer;

beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

// The suite body is shared with the headless Chromium run (test/browser/).
healthSuite(
  { describe, it, expect },
  nodeHost(() => ({ test: server })),
);

describe('health and metadata (Node only)', () => {
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

  it('prints the same source as `infer describe --ts` (core writes it without depending on the client)', async () => {
    const metadata = await createClient({ baseUrl: server.url }).model('pair').metadata();
    expect(schemaSource(metadata as Parameters<typeof schemaSource>[0], 'pair')).toBe(
      schemaToTypeScript(schemaFromMetadata(metadata), 'pairSchema'),
    );
  });

  it('sends any custom header (x-trace) when no CORS preflight stands in the way', async () => {
    const client = createClient({ baseUrl: server.url, headers: { 'x-trace': '1' } });
    await client.model('pair').metadata({ headers: { 'x-span': '2' } });
    expect(await nodeHost(() => ({ test: server })).seenHeaders('pair')).toMatchObject({
      'x-trace': '1',
      'x-span': '2',
    });
  });
});

describe('metadata answers that are not OIP metadata', () => {
  const answering = (body: string | Uint8Array) =>
    createClient({
      baseUrl: 'http://metadata.test',
      fetch: async () => new Response(body, { status: 200 }),
    });

  it.each([
    ['not JSON', '{"name":', /^server metadata is not valid JSON: /],
    ['empty', '', 'server metadata is empty; expected a JSON object'],
    ['bad UTF-8', new Uint8Array([0x7b, 0xff, 0x7d]), /^server metadata is not valid UTF-8/],
    ['an array', '[]', 'server metadata must be a JSON object, got an array'],
    ['without a name', '{"version":"1","extensions":[]}', 'server metadata: name must be a string'],
    [
      'without extensions',
      '{"name":"s","version":"1"}',
      'server metadata: extensions must be an array',
    ],
  ])('rejects an answer that is %s with INFER_CLIENT_ERR_DECODE', async (_, body, message) => {
    const error = await answering(body)
      .metadata()
      .catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'INFER_CLIENT_ERR_DECODE' });
    expect((error as Error).message).toMatch(message);
  });
});
