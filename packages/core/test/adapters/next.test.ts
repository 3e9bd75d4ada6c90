/**
 * The Next handlers run here under Web `Request`s: through a node:http server that turns
 * each request into a Web `Request` the way Next does (body stream, `request.signal`
 * aborted on disconnect) for the conformance suite, and called directly for the rest.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createNextHandlers, type NextRouteHandler } from '@infer/core/next';
import { runAdapterConformance } from '@infer/core/testing';
import { describe, expect, it } from 'vitest';
import { listen } from './listen';

function webBody(request: IncomingMessage): ReadableStream<Uint8Array> {
  let cancelled = false;
  return new ReadableStream<Uint8Array>({
    start(controller) {
      request.on('data', (chunk: Buffer) => {
        if (!cancelled) controller.enqueue(new Uint8Array(chunk));
      });
      request.on('end', () => {
        if (!cancelled) controller.close();
      });
      request.on('error', (error) => {
        if (!cancelled) controller.error(error);
      });
    },
    cancel() {
      // Discard the rest, as Next does, so the 413 can still be written.
      cancelled = true;
      request.resume();
    },
  });
}

/** A node:http server that serves App Router handlers the way `next start` calls them. */
function nextLikeServer(handlers: Record<string, NextRouteHandler>) {
  return createServer((request: IncomingMessage, response: ServerResponse) => {
    // As Next does: a route without its own HEAD answers HEAD through GET (the body dropped).
    const handler =
      handlers[request.method ?? 'GET'] ?? (request.method === 'HEAD' ? handlers.GET : undefined);
    if (handler === undefined) {
      response.statusCode = 405;
      response.end();
      return;
    }
    const controller = new AbortController();
    response.once('close', () => {
      if (!response.writableFinished) controller.abort();
    });
    const headers = new Headers();
    for (const [name, value] of Object.entries(request.headers)) {
      if (typeof value === 'string') headers.set(name, value);
    }
    const hasBody = request.method !== 'GET' && request.method !== 'HEAD';
    const init = {
      method: request.method ?? 'GET',
      headers,
      signal: controller.signal,
      ...(hasBody ? { body: webBody(request), duplex: 'half' } : {}),
    } as RequestInit;
    void handler(new Request(`http://${request.headers.host}${request.url}`, init)).then(
      async (web) => {
        response.statusCode = web.status;
        web.headers.forEach((value, name) => {
          response.setHeader(name, value);
        });
        response.end(Buffer.from(await web.arrayBuffer()));
      },
    );
  });
}

runAdapterConformance({
  name: 'next route handlers (Web Request via node:http)',
  start: ({ service, maxBodySize }) =>
    listen(nextLikeServer(createNextHandlers(service, { maxBodySize })), '/api'),
  skip: {
    'an unknown method on a known route is 405':
      'Next answers methods a route file does not export (DELETE here) itself, before the handlers',
  },
});

describe('next handlers called with Web Requests', () => {
  const seen: { path?: string; signal?: AbortSignal; body?: Uint8Array } = {};
  const service = {
    handle: async (request: { path: string; signal?: AbortSignal; body?: Uint8Array }) => {
      Object.assign(seen, request);
      return { status: 200, headers: { 'content-type': 'text/plain' }, body: 'ok' };
    },
  };

  it('strips the default /api prefix and passes request.signal through', async () => {
    const { GET } = createNextHandlers(service);
    const controller = new AbortController();
    const response = await GET(
      new Request('http://x/api/v2/health/live?a=1', { signal: controller.signal }),
    );
    expect(response.status).toBe(200);
    expect(seen.path).toBe('/v2/health/live?a=1');
    controller.abort();
    expect(seen.signal?.aborted).toBe(true);
  });

  it('answers 404 outside the prefix', async () => {
    const { GET } = createNextHandlers(service, { prefix: '/ml' });
    const response = await GET(new Request('http://x/api/v2/health/live'));
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ error: expect.any(String) });
  });

  it('answers 413 on a declared Content-Length over the limit without reading the body', async () => {
    const { POST } = createNextHandlers(service, { maxBodySize: 4 });
    // A body that never arrives: reading it would hang the test.
    const body = new ReadableStream({ pull: () => new Promise<void>(() => {}) });
    const request = new Request('http://x/api/v2/models/m/infer', {
      method: 'POST',
      headers: { 'content-length': '8' },
      body,
      duplex: 'half',
    } as RequestInit);
    const response = await POST(request);
    expect(response.status).toBe(413);
  });
});
