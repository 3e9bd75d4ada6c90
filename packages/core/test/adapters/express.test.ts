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

describe('express router behind express.json()', () => {
  it('refuses INT64 numbers past 2^53 that express.json() rounded (400), and keeps them when it reads the body itself', async () => {
    const repository = new ModelRepository().add(
      defineModel({
        name: 'ids',
        inputs: [{ name: 'x', datatype: 'INT64', shape: [-1] }],
        outputs: [{ name: 'x', datatype: 'INT64', shape: [-1] }],
        predict: (request) => request.inputs,
      }),
    );
    await repository.loadAll();
    const service = new InferenceService({ repository });
    const behindJson = express();
    behindJson.use(express.json({ limit: '1mb' }));
    behindJson.use(inferRouter(service));
    const own = express();
    own.use(inferRouter(service));
    const servers = [await listen(createServer(behindJson)), await listen(createServer(own))];
    try {
      const body =
        '{"inputs":[{"name":"x","datatype":"INT64","shape":[1],"data":[9007199254740993]}]}';
      const send = (base: string) =>
        fetch(`${base}/v2/models/ids/infer`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
        });
      const rounded = await send(servers[0]!.url);
      expect(rounded.status).toBe(400);
      expect(((await rounded.json()) as { error: string }).error).toMatch(
        /must be an integer within ±\(2\^53-1\)/,
      );
      const exact = await send(servers[1]!.url);
      expect(exact.status).toBe(200);
      expect(await exact.json()).toMatchObject({ outputs: [{ data: ['9007199254740993'] }] });
    } finally {
      for (const server of servers) await server.close();
      await repository.close();
    }
  });
});
