/**
 * Requests an adapter answers before the service sees them (a body over the limit, a
 * content coding it cannot decode) are counted in the service's metrics under their route
 * and model, like every other answer: an error-rate alert must see a client that sends
 * too much or sends what cannot be read.
 */
import { createServer, request } from 'node:http';
import { createMetrics, InferenceService, ModelRepository, serve } from '@infer/core';
import { inferRouter } from '@infer/core/express';
import { inferPlugin } from '@infer/core/fastify';
import { createNextHandlers } from '@infer/core/next';
import { createNodeHandler } from '@infer/core/node';
import express from 'express';
import Fastify from 'fastify';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { echoModel } from '../helpers/echo-model';
import { listen } from './listen';

const LIMIT = 1024;

const echo = echoModel;

async function serviceWithMetrics() {
  const metrics = createMetrics({ registry: new Registry() });
  const repository = new ModelRepository().add(echo());
  await repository.loadAll();
  const service = new InferenceService({ repository, metrics });
  cleanups.push(() => repository.close());
  return { service, metrics };
}

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Three requests no model sees: 413 (too large), 400 (not gzip), 415 (an unknown coding). */
async function sendUnreadable(base: string): Promise<number[]> {
  const post = (headers: Record<string, string>, body: string) =>
    fetch(`${base}/v2/models/echo/infer`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body,
    }).then((response) => response.status);
  return [
    await post({}, ' '.repeat(LIMIT + 1)),
    await post({ 'content-encoding': 'gzip' }, '{"inputs":[]}'),
    await post({ 'content-encoding': 'zstd' }, '{"inputs":[]}'),
  ];
}

async function counted(metrics: ReturnType<typeof createMetrics>): Promise<string[]> {
  const text = await metrics.render();
  return text
    .split('\n')
    .filter((line) => line.startsWith('infer_requests_total{'))
    .map((line) => line.replace(/ \d+$/, ''));
}

/** The status a POST declaring a body over the limit, with `Expect: 100-continue`, gets. */
function continueTooLarge(url: string): Promise<number | undefined> {
  return new Promise((resolve, reject) => {
    const sent = request(url, {
      method: 'POST',
      headers: { 'content-length': String(LIMIT + 1), expect: '100-continue' },
    });
    sent.on('response', (response) => {
      response.resume();
      resolve(response.statusCode);
    });
    sent.on('error', reject);
    sent.flushHeaders();
  });
}

const EXPECTED = [413, 400, 415].map(
  (status) => `infer_requests_total{model="echo",version="",route="infer",status="${status}"}`,
);

describe('requests an adapter cannot read are counted as the service answers them', () => {
  it('node:http handler', async () => {
    const { service, metrics } = await serviceWithMetrics();
    const server = await listen(createServer(createNodeHandler(service, { maxBodySize: LIMIT })));
    cleanups.push(server.close);
    expect(await sendUnreadable(server.url)).toEqual([413, 400, 415]);
    expect(await counted(metrics)).toEqual(EXPECTED);
  });

  it('Express router', async () => {
    const { service, metrics } = await serviceWithMetrics();
    const app = express();
    app.use('/ml', inferRouter(service, { maxBodySize: LIMIT }));
    const server = await listen(createServer(app), '/ml');
    cleanups.push(server.close);
    expect(await sendUnreadable(server.url)).toEqual([413, 400, 415]);
    expect(await counted(metrics)).toEqual(EXPECTED);
  });

  it('Fastify plugin', async () => {
    const { service, metrics } = await serviceWithMetrics();
    const app = Fastify();
    await app.register(inferPlugin, { service, maxBodySize: LIMIT, prefix: '/ml' });
    const address = await app.listen({ port: 0, host: '127.0.0.1' });
    cleanups.push(() => app.close());
    expect(await sendUnreadable(`${address}/ml`)).toEqual([413, 400, 415]);
    expect(await counted(metrics)).toEqual(EXPECTED);
  });

  it('Next handlers', async () => {
    const { service, metrics } = await serviceWithMetrics();
    const { POST } = createNextHandlers(service, { maxBodySize: LIMIT, prefix: '/api' });
    const statuses: number[] = [];
    for (const [headers, body] of [
      [{}, ' '.repeat(LIMIT + 1)],
      [{ 'content-encoding': 'gzip' }, '{"inputs":[]}'],
      [{ 'content-encoding': 'zstd' }, '{"inputs":[]}'],
    ] as const) {
      const request = new Request('http://127.0.0.1/api/v2/models/echo/infer', {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body,
      });
      statuses.push((await POST(request)).status);
    }
    expect(statuses).toEqual([413, 400, 415]);
    expect(await counted(metrics)).toEqual(EXPECTED);
  });

  it('serve(), the early 413 of Expect: 100-continue included', async () => {
    const metrics = createMetrics({ registry: new Registry() });
    const server = await serve({ models: [echo()], port: 0, maxBodySize: LIMIT, metrics });
    cleanups.push(() => server.close());
    expect(await sendUnreadable(server.url)).toEqual([413, 400, 415]);
    expect(await continueTooLarge(`${server.url}/v2/models/echo/infer`)).toBe(413);
    const lines = await counted(metrics);
    expect(lines).toEqual(EXPECTED);
    const text = await metrics.render();
    expect(text).toContain(
      'infer_requests_total{model="echo",version="",route="infer",status="413"} 2',
    );
  });

  it('serve() under a prefix: an early 413 outside it is answered but counted under no route', async () => {
    const metrics = createMetrics({ registry: new Registry() });
    const server = await serve({
      models: [echo()],
      port: 0,
      maxBodySize: LIMIT,
      metrics,
      prefix: '/ml',
    });
    cleanups.push(() => server.close());
    const origin = new URL(server.url).origin;
    expect(await continueTooLarge(`${origin}/v2/models/made-up/infer`)).toBe(413);
    expect(await counted(metrics)).toEqual([]);
  });
});
