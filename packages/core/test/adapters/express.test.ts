import { createServer } from 'node:http';
import { createMetrics, defineModel, InferenceService, ModelRepository } from '@infer/core';
import { inferRouter } from '@infer/core/express';
import { runAdapterConformance } from '@infer/core/testing';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bodyParserSkips } from './body-parser-skips';
import { listen } from './listen';

runAdapterConformance({
  name: 'express 5 router at /ml',
  start: async ({ service, maxBodySize }) => {
    const app = express();
    app.use('/ml', inferRouter(service, { maxBodySize }));
    return listen(createServer(app), '/ml');
  },
});

runAdapterConformance({
  name: 'express 5 router after express.json()',
  start: async ({ service, maxBodySize }) => {
    const app = express();
    app.use(express.json({ limit: '10mb' }));
    app.use(inferRouter(service, { maxBodySize }));
    return listen(createServer(app));
  },
  skip: bodyParserSkips('json'),
});

describe('express router in a host app', () => {
  let server: Awaited<ReturnType<typeof listen>>;
  beforeAll(async () => {
    const service = {
      handle: async () => ({ status: 200, headers: { 'content-type': 'text/plain' }, body: 'oip' }),
    };
    const app = express();
    app.use(express.raw({ type: '*/*' }));
    app.use(inferRouter(service));
    app.get('/hello', (_request, response) => {
      response.send('host');
    });
    server = await listen(createServer(app));
  });
  afterAll(() => server.close());

  it('hands paths outside /v2 and /metrics on to the host app', async () => {
    const response = await fetch(`${server.url}/hello`);
    expect(await response.text()).toBe('host');
    expect((await fetch(`${server.url}/v2x`)).status).toBe(404);
  });

  it('serves /v2 paths when mounted at the root, after express.raw()', async () => {
    const response = await fetch(`${server.url}/v2/models/m/infer`, { method: 'POST', body: 'x' });
    expect(await response.text()).toBe('oip');
  });
});

describe('express router and /metrics', () => {
  const servers: Awaited<ReturnType<typeof listen>>[] = [];
  afterAll(() => Promise.all(servers.map((server) => server.close())));

  async function start(metricsRoute: boolean) {
    const repository = new ModelRepository().add(
      defineModel({ name: 'm', inputs: [], outputs: [], predict: () => [] }),
    );
    await repository.loadAll();
    const service = new InferenceService({ repository, metrics: createMetrics(), metricsRoute });
    const app = express();
    app.use(inferRouter(service));
    app.get('/metrics', (_request, response) => {
      response.send('host metrics');
    });
    const server = await listen(createServer(app));
    servers.push(server);
    return server;
  }

  it('routes /metrics to a service that serves metrics, by default', async () => {
    const server = await start(true);
    expect(await (await fetch(`${server.url}/metrics`)).text()).toContain('infer_requests_total');
  });

  it('hands /metrics on to the host app when the service does not serve it', async () => {
    const server = await start(false);
    expect(await (await fetch(`${server.url}/metrics`)).text()).toBe('host metrics');
  });
});
