import { createMetrics, type InferServer, serve } from '@infer/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { echoModel } from '../helpers/echo-model';

const echo = echoModel;

const infer = (url: string) =>
  fetch(`${url}/v2/models/echo/infer`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ inputs: [{ name: 'x', datatype: 'FP32', shape: [1], data: [1] }] }),
  });

describe('serve() with settings.metrics.port: metrics on their own port only', () => {
  let server: InferServer;
  beforeAll(async () => {
    server = await serve({
      models: [echo()],
      port: 0,
      metrics: createMetrics(),
      settings: { metrics: { port: 0, path: '/prom' } },
    });
  });
  afterAll(() => server.close());

  it('serves the scrape endpoint on the metrics port, counting main-port requests', async () => {
    expect((await infer(server.url)).status).toBe(200);
    expect(server.metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/prom$/);
    expect(new URL(server.metricsUrl!).port).not.toBe(new URL(server.url).port);
    const response = await fetch(server.metricsUrl!);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(await response.text()).toMatch(/infer_requests_total\{[^}]*model="echo"/);
  });

  it('does not serve /metrics on the main port (404), nor list the metrics extension there', async () => {
    const response = await fetch(`${server.url}/metrics`);
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ error: expect.any(String) });
    const metadata = (await (await fetch(`${server.url}/v2`)).json()) as { extensions: string[] };
    expect(metadata.extensions).not.toContain('metrics');
  });

  it('answers only its path on the metrics port (404 elsewhere, no OIP routes)', async () => {
    const base = new URL(server.metricsUrl!).origin;
    expect((await fetch(`${base}/metrics`)).status).toBe(404);
    expect((await fetch(`${base}/v2/health/live`)).status).toBe(404);
  });
});

describe('serve() with metrics and no metrics port', () => {
  let server: InferServer;
  beforeAll(async () => {
    server = await serve({ models: [echo()], port: 0, metrics: createMetrics() });
  });
  afterAll(() => server.close());

  it('serves /metrics on the main port', async () => {
    expect(server.metricsUrl).toBe(`${server.url}/metrics`);
    const response = await fetch(`${server.url}/metrics`);
    expect(response.status).toBe(200);
    const metadata = (await (await fetch(`${server.url}/v2`)).json()) as { extensions: string[] };
    expect(metadata.extensions).toContain('metrics');
  });
});

describe('serve() metrics option checks', () => {
  it('refuses a metrics path other than /metrics without a metrics port', async () => {
    await expect(
      serve({ port: 0, metrics: createMetrics(), settings: { metrics: { path: '/prom' } } }),
    ).rejects.toThrow(
      'options.settings.metrics.path needs settings.metrics.port: the main port serves /metrics only',
    );
  });

  it('closes the metrics port on close()', async () => {
    const server = await serve({
      port: 0,
      metrics: createMetrics(),
      settings: { metrics: { port: 0 } },
    });
    const metricsUrl = server.metricsUrl!;
    expect((await fetch(metricsUrl)).status).toBe(200);
    await server.close();
    await expect(fetch(metricsUrl)).rejects.toThrow();
  });
});
