import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { inferRouter } from '@infer/core/express';
import { inferPlugin } from '@infer/core/fastify';
import { createNextHandlers } from '@infer/core/next';
import { createNodeHandler } from '@infer/core/node';
import {
  ADAPTER_CONFORMANCE_TESTS,
  OIP_REST_SCHEMAS,
  runAdapterConformance,
} from '@infer/core/testing';
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const service = { handle: async () => ({ status: 200, headers: {}, body: '' }) };

describe('adapter options', () => {
  it.each([
    [{ maxBodySize: 0 }, 'options.maxBodySize must be a positive integer (bytes)'],
    [{ maxBodySize: 1.5 }, 'options.maxBodySize must be a positive integer (bytes)'],
    [{ prefix: 'ml' }, 'options.prefix must start with "/" (got "ml")'],
    [{ prefix: '/ml?x' }, 'options.prefix must be a plain path without "?", "#" or spaces'],
    [{ prefix: 3 }, 'options.prefix must be a string'],
    [{ reuseBodyBuffers: 'yes' }, 'options.reuseBodyBuffers must be a boolean'],
  ])('createNodeHandler rejects %j', (options, message) => {
    expect(() => createNodeHandler(service, options as never)).toThrow(message);
    expect(() => createNextHandlers(service, options as never)).toThrow(message);
  });

  it('every adapter rejects something that is not a service', () => {
    const message = 'service must be an InferenceService (an object with handle())';
    expect(() => createNodeHandler({} as never)).toThrow(message);
    expect(() => inferRouter(null as never)).toThrow(message);
    expect(() => createNextHandlers({ handle: 1 } as never)).toThrow(message);
  });

  it('the fastify plugin validates its options at register', async () => {
    const app = Fastify();
    await expect(app.register(inferPlugin, { service, maxBodySize: -1 })).rejects.toThrow(
      'options.maxBodySize must be a positive integer (bytes)',
    );
    await app.close();
  });

  it('strips the prefix with or without a trailing slash and passes the query', async () => {
    const seen: string[] = [];
    const handler = createNodeHandler(
      {
        handle: async (request) => {
          seen.push(request.path);
          return { status: 204, headers: {}, body: '' };
        },
      },
      { prefix: '/ml/' },
    );
    const server = createServer(handler);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    for (const path of ['/ml', '/ml/v2?a=1', '/mlx/v2'])
      await fetch(`http://127.0.0.1:${port}${path}`);
    server.closeAllConnections();
    server.close();
    expect(seen).toEqual(['/', '/v2?a=1']);
  });
});

describe('runAdapterConformance options', () => {
  const start = async () => ({ url: '', close: async () => {} });
  it('rejects a skip without a reason', () => {
    expect(() =>
      runAdapterConformance({ name: 'x', start, skip: { 'GET /v2/health/live is 200': ' ' } }),
    ).toThrow(
      'options.skip["GET /v2/health/live is 200"] must give the reason as a non-empty string',
    );
  });
  it('rejects a skip of an unknown test', () => {
    expect(() =>
      runAdapterConformance({ name: 'x', start, skip: { nope: 'why' } as never }),
    ).toThrow('options.skip has an unknown test "nope"');
  });
  it('names every test once', () => {
    expect(new Set(ADAPTER_CONFORMANCE_TESTS).size).toBe(ADAPTER_CONFORMANCE_TESTS.length);
  });
});

describe('embedded OIP schemas', () => {
  it('equal the component schemas of spec/oip/open_inference_rest.yaml', () => {
    const yaml = readFileSync(
      new URL('../../../../spec/oip/open_inference_rest.yaml', import.meta.url),
      'utf8',
    );
    const strip = (value: unknown): unknown => {
      if (Array.isArray(value)) return value.map(strip);
      if (value === null || typeof value !== 'object') return value;
      return Object.fromEntries(
        Object.entries(value)
          .filter(([key]) => !['x-examples', 'description', 'title'].includes(key))
          .map(([key, inner]) => [key, strip(inner)]),
      );
    };
    expect(OIP_REST_SCHEMAS).toEqual(strip(parse(yaml).components.schemas));
  });
});
