import { afterAll, describe, expect, it } from 'vitest';
import { type InferServer, serve } from '../../src/serve';

const servers: InferServer[] = [];
afterAll(async () => {
  await Promise.all(servers.map((server) => server.close()));
});

async function start(origin?: boolean | string | string[]) {
  const server = await serve({
    port: 0,
    ...(origin === undefined ? {} : { settings: { cors: { origin } } }),
  });
  servers.push(server);
  return server;
}

describe('serve() CORS (settings.cors.origin)', () => {
  it('allows a listed origin on answers and answers its preflight with 204', async () => {
    const server = await start(['https://app.example', 'https://admin.example']);
    const answer = await fetch(`${server.url}/v2`, { headers: { origin: 'https://app.example' } });
    expect(answer.status).toBe(200);
    expect(answer.headers.get('access-control-allow-origin')).toBe('https://app.example');
    expect(answer.headers.get('vary')).toBe('origin');
    expect(answer.headers.get('access-control-expose-headers')).toContain('retry-after');

    const preflight = await fetch(`${server.url}/v2/models/m/infer`, {
      method: 'OPTIONS',
      headers: {
        origin: 'https://admin.example',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type',
      },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('https://admin.example');
    expect(preflight.headers.get('access-control-allow-methods')).toContain('POST');
    expect(preflight.headers.get('access-control-allow-headers')).toContain('content-type');
    expect(preflight.headers.get('access-control-allow-headers')).toContain('x-request-id');
    expect(preflight.headers.get('access-control-allow-headers')).toContain('traceparent');
  });

  it('sends no CORS headers to an origin that is not listed', async () => {
    const server = await start('https://app.example');
    const answer = await fetch(`${server.url}/v2`, { headers: { origin: 'https://evil.example' } });
    expect(answer.status).toBe(200);
    expect(answer.headers.get('access-control-allow-origin')).toBeNull();
    // Still `Vary: Origin`: a cache must not give this answer to an allowed origin.
    expect(answer.headers.get('vary')).toBe('origin');
    const none = await fetch(`${server.url}/v2`);
    expect(none.headers.get('vary')).toBe('origin');
    const preflight = await fetch(`${server.url}/v2`, {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
    });
    expect(preflight.status).not.toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('allows any origin with true, and none by default', async () => {
    const open = await start(true);
    const answer = await fetch(`${open.url}/v2/health/live`, {
      headers: { origin: 'https://x.example' },
    });
    expect(answer.headers.get('access-control-allow-origin')).toBe('*');
    const closed = await start();
    const plain = await fetch(`${closed.url}/v2/health/live`, {
      headers: { origin: 'https://x.example' },
    });
    expect(plain.headers.get('access-control-allow-origin')).toBeNull();
  });
});
