/**
 * The Express adapter under Express 4 (the `express4` alias of express@4): `express` is
 * mocked to Express 4 for this file, so the adapter's own `express.Router()` is Express 4's,
 * as in an app that installed express@4 as the peer.
 */
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { createMetrics, defineModel, InferenceService, ModelRepository } from '@infer/core';
import { inferRouter } from '@infer/core/express';
import { runAdapterConformance } from '@infer/core/testing';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { bodyParserSkips } from './body-parser-skips';
import { listen } from './listen';

vi.mock('express', async () => await import('express4'));

describe('express is Express 4 in this file', () => {
  it('runs express@4, the adapter’s Router included', async () => {
    const { version } = createRequire(import.meta.url)('express4/package.json') as {
      version: string;
    };
    expect(version).toMatch(/^4\./);
    expect(express).toBe((await import('express4')).default);
    const router = inferRouter({ handle: async () => ({ status: 200, headers: {}, body: '' }) });
    // Express 4's own Router keeps `_params` (an array); Express 5's (the router package) has none.
    expect(Array.isArray((router as unknown as { _params?: unknown })._params)).toBe(true);
  });
});

runAdapterConformance({
  name: 'express 4 router at /ml',
  start: async ({ service, maxBodySize }) => {
    const app = express();
    app.use('/ml', inferRouter(service, { maxBodySize }));
    return listen(createServer(app), '/ml');
  },
});

runAdapterConformance({
  name: 'express 4 router after express.json()',
  start: async ({ service, maxBodySize }) => {
    const app = express();
    app.use(express.json({ limit: '10mb' }));
    app.use(inferRouter(service, { maxBodySize }));
    return listen(createServer(app));
  },
  skip: bodyParserSkips('json'),
});

runAdapterConformance({
  name: 'express 4 router after express.raw()',
  start: async ({ service, maxBodySize }) => {
    const app = express();
    app.use(express.raw({ type: '*/*', limit: '10mb' }));
    app.use(inferRouter(service, { maxBodySize }));
    return listen(createServer(app));
  },
  skip: bodyParserSkips('raw'),
});

describe('express 4 router in a host app', () => {
  let server: Awaited<ReturnType<typeof listen>>;
  beforeAll(async () => {
    const repository = new ModelRepository().add(
      defineModel({
        name: 'echo',
        inputs: [{ name: 'x', datatype: 'FP32', shape: [-1] }],
        outputs: [{ name: 'x', datatype: 'FP32', shape: [-1] }],
        predict: (request) => request.inputs,
      }),
    );
    await repository.loadAll();
    const service = new InferenceService({ repository, metrics: createMetrics() });
    const app = express();
    app.use('/ml', inferRouter(service));
    app.get('/hello', (_request, response) => {
      response.send('host');
    });
    server = await listen(createServer(app));
  });
  afterAll(() => server.close());

  it('hands other paths on to the host app', async () => {
    expect(await (await fetch(`${server.url}/hello`)).text()).toBe('host');
    expect((await fetch(`${server.url}/ml/v2x`)).status).toBe(404);
  });

  it('routes /metrics to a service that has metrics, by default', async () => {
    const response = await fetch(`${server.url}/ml/metrics`);
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('infer_requests_total');
  });
});
