import { createServer, type Server } from 'node:http';
import { handleClientErrors } from '../adapters/client-error';
import type { InferMetrics } from './infer-metrics';

const JSON_TYPE = { 'content-type': 'application/json' } as const;

/**
 * Starts a `node:http` server that answers only `GET`/`HEAD` `path` with `metrics.render()`
 * (404 JSON elsewhere): the scrape endpoint on its own port, as `settings.metrics.port`
 * asks, so the inference port does not expose metrics.
 *
 * @internal
 * @example
 * const server = await startMetricsServer(metrics, { host: '127.0.0.1', port: 9100, path: '/metrics' });
 */
export async function startMetricsServer(
  metrics: InferMetrics,
  options: { host: string; port: number; path: string },
): Promise<Server> {
  const { host, port, path } = options;
  const server = createServer((request, response) => {
    const pathname = (request.url ?? '/').split('?')[0];
    if ((request.method === 'GET' || request.method === 'HEAD') && pathname === path) {
      metrics.render().then(
        (text) => {
          response.writeHead(200, { 'content-type': metrics.contentType });
          response.end(request.method === 'HEAD' ? undefined : text);
        },
        () => {
          response.writeHead(500, JSON_TYPE);
          response.end('{"error":"metrics failed"}');
        },
      );
      return;
    }
    response.writeHead(404, JSON_TYPE);
    response.end(JSON.stringify({ error: `Not found; metrics are at ${path}` }));
  });
  handleClientErrors(server);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return server;
}

/**
 * Closes a metrics server: stops listening and cuts its (keep-alive) connections.
 *
 * @internal
 * @example
 * await closeMetricsServer(server);
 */
export function closeMetricsServer(server: Server): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeAllConnections();
  return closed;
}
