import { inferPlugin } from '@infer/core/fastify';
import { runAdapterConformance } from '@infer/core/testing';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

async function listenFastify(app: FastifyInstance, prefix: string) {
  const address = await app.listen({ port: 0, host: '127.0.0.1' });
  return { url: `${address}${prefix}`, close: () => app.close() };
}

runAdapterConformance({
  name: 'fastify 5 plugin at /ml',
  start: async ({ service, maxBodySize }) => {
    const app = Fastify({ forceCloseConnections: true });
    await app.register(inferPlugin, { service, maxBodySize, prefix: '/ml' });
    return listenFastify(app, '/ml');
  },
});

describe('fastify plugin encapsulation', () => {
  let app: FastifyInstance;
  let url: string;
  beforeAll(async () => {
    const service = {
      handle: async (request: { body?: Uint8Array }) => ({
        status: 200,
        headers: { 'content-type': 'application/octet-stream' },
        body: request.body ?? new Uint8Array(),
      }),
    };
    app = Fastify({ forceCloseConnections: true });
    await app.register(inferPlugin, { service, prefix: '/ml' });
    app.post('/json', async (request) => ({ parsed: request.body }));
    ({ url } = await listenFastify(app, ''));
  });
  afterAll(() => app.close());

  it('keeps the host app JSON parser outside the plugin', async () => {
    const response = await fetch(`${url}/json`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"a":1}',
    });
    expect(await response.json()).toEqual({ parsed: { a: 1 } });
  });

  it('hands the service the raw bytes, whatever the content type', async () => {
    const response = await fetch(`${url}/ml/v2/models/m/infer`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: '{"a":  1}',
    });
    expect(await response.text()).toBe('{"a":  1}');
  });

  it('leaves paths outside the prefix to fastify', async () => {
    expect((await fetch(`${url}/v2/health/live`)).status).toBe(404);
  });
});

describe('fastify plugin /metrics', () => {
  it('routes /metrics to the service when asked', async () => {
    const { createMetrics, InferenceService, ModelRepository } = await import('@infer/core');
    const service = new InferenceService({
      repository: new ModelRepository(),
      metrics: createMetrics(),
    });
    const app = Fastify();
    await app.register(inferPlugin, { service, prefix: '/ml', metrics: true });
    const response = await app.inject({ method: 'GET', url: '/ml/metrics' });
    expect(response.statusCode).toBe(200);
    expect(response.body).toMatch(/# TYPE/);
    await app.close();
  });
});
