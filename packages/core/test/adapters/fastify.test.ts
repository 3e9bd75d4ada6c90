import { request as httpRequest } from 'node:http';
import { gunzipSync, gzipSync } from 'node:zlib';
import compress from '@fastify/compress';
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

// @fastify/compress decodes request bodies itself unless a route opts out; the plugin's
// routes do, so a compressed body is decoded once (by the plugin), and answers still go
// through its compression.
runAdapterConformance({
  name: 'fastify 5 plugin beside @fastify/compress',
  start: async ({ service, maxBodySize }) => {
    const app = Fastify({ forceCloseConnections: true });
    await app.register(compress);
    await app.register(inferPlugin, { service, maxBodySize, prefix: '/ml' });
    return listenFastify(app, '/ml');
  },
});

describe('fastify plugin beside @fastify/compress', () => {
  it('decodes a gzip body once and has its answer compressed by @fastify/compress', async () => {
    const text = JSON.stringify({ values: Array.from({ length: 2000 }, (_, i) => i) });
    const service = {
      handle: async (request: { body?: Uint8Array }) => ({
        status: 200,
        headers: { 'content-type': 'application/json' },
        body: Buffer.from(request.body ?? []).toString('utf8'),
      }),
    };
    const app = Fastify({ forceCloseConnections: true });
    await app.register(compress);
    await app.register(inferPlugin, { service, prefix: '/ml' });
    const { url } = await listenFastify(app, '');
    try {
      const answer = await new Promise<{ headers: Record<string, unknown>; body: Buffer }>(
        (resolve, reject) => {
          const request = httpRequest(`${url}/ml/v2/models/m/infer`, {
            method: 'POST',
            headers: {
              'content-type': 'application/json',
              'content-encoding': 'gzip',
              'accept-encoding': 'gzip',
            },
          });
          request.on('response', (response) => {
            const chunks: Buffer[] = [];
            response.on('data', (chunk: Buffer) => chunks.push(chunk));
            response.on('end', () =>
              resolve({ headers: response.headers, body: Buffer.concat(chunks) }),
            );
          });
          request.on('error', reject);
          request.end(gzipSync(text));
        },
      );
      expect(answer.headers['content-encoding']).toBe('gzip');
      expect(gunzipSync(answer.body).toString('utf8')).toBe(text);
    } finally {
      await app.close();
    }
  });
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

describe("fastify plugin: the answer's headers", () => {
  it('gives JSON strings the type Fastify gives them, and other answers their own', async () => {
    const answers: Record<string, { type: string; body: string | Uint8Array }> = {
      '/v2/json': { type: 'application/json', body: '{"a":1}' },
      '/v2/bytes': { type: 'application/json', body: new TextEncoder().encode('{"a":1}') },
      '/v2/typed': { type: 'application/json; charset=latin1', body: '{"a":1}' },
      '/v2/text': { type: 'text/plain', body: 'ok' },
    };
    const service = {
      handle: async (request: { path: string }) => {
        const answer = answers[request.path]!;
        return {
          status: 200,
          headers: { 'content-type': answer.type, 'x-extra': 'kept' },
          body: answer.body,
        };
      },
    };
    const app = Fastify();
    await app.register(inferPlugin, { service });
    const typeOf = async (url: string) => {
      const response = await app.inject({ method: 'GET', url });
      expect(response.headers['x-extra']).toBe('kept');
      return response.headers['content-type'];
    };
    expect(await typeOf('/v2/json')).toBe('application/json; charset=utf-8');
    expect(await typeOf('/v2/bytes')).toBe('application/json');
    expect(await typeOf('/v2/typed')).toBe('application/json; charset=latin1');
    expect(await typeOf('/v2/text')).toBe('text/plain');
    await app.close();
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

describe('fastify plugin over a custom handler that fails', () => {
  async function appOver(handle: (request: { path?: string }) => unknown) {
    const app = Fastify({ logger: false });
    await app.register(inferPlugin, { service: { handle } as never, prefix: '/ml' });
    return app;
  }

  it('answers a sync throw and a rejection through its error handler, and serves on', async () => {
    let calls = 0;
    const app = await appOver((request) => {
      calls += 1;
      if (request.path === '/v2/throws') throw new Error('thrown');
      if (request.path === '/v2/rejects') return Promise.reject(new Error('rejected'));
      return Promise.resolve({
        status: 200,
        headers: { 'content-type': 'text/plain' },
        body: 'ok',
      });
    });
    for (const path of ['throws', 'rejects']) {
      const failed = await app.inject({ method: 'GET', url: `/ml/v2/${path}` });
      expect(failed.statusCode).toBe(500);
      expect(failed.headers['content-type']).toMatch(/^application\/json/);
      // A 500 names no internals: the message is logged, not sent.
      expect(failed.json()).toEqual({ error: expect.any(String) });
      expect(failed.body).not.toMatch(/thrown|rejected/);
    }
    const ok = await app.inject({ method: 'GET', url: '/ml/v2/fine' });
    expect([ok.statusCode, ok.body]).toEqual([200, 'ok']);
    expect(calls).toBe(3);
    await app.close();
  });

  it('answers 500 to rejections that are not Errors, and sends none of their content', async () => {
    const reasons: unknown[] = ['secret detail', { token: 'internal' }, undefined, null];
    for (const reason of reasons) {
      const app = await appOver(() => Promise.reject(reason));
      const answer = await app.inject({ method: 'GET', url: '/ml/v2/x' });
      expect(answer.statusCode).toBe(500);
      expect(answer.json()).toEqual({ error: expect.any(String) });
      expect(answer.body).not.toMatch(/secret|internal/);
      await app.close();
    }
  });

  it('takes an answer given without a promise, and a sync throw, gzip bodies included', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const app = await appOver((request) => {
        if (request.path === '/v2/throws') throw new Error('thrown');
        return { status: 200, headers: { 'content-type': 'text/plain' }, body: 'plain' };
      });
      for (const gzip of [false, true]) {
        const send = (path: string) =>
          app.inject({
            method: 'POST',
            url: `/ml/v2/${path}`,
            headers: {
              'content-type': 'application/json',
              ...(gzip ? { 'content-encoding': 'gzip' } : {}),
            },
            payload: gzip ? gzipSync('{}') : '{}',
          });
        const plain = await send('plain');
        expect([plain.statusCode, plain.body]).toEqual([200, 'plain']);
        expect((await send('throws')).statusCode).toBe(500);
      }
      await app.close();
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('answers 500 to a response it cannot send, without an unhandled rejection', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const answers = [
        { status: 1000, headers: {}, body: 'x' }, // a status Fastify refuses
        { status: 200, headers: {} }, // no body
      ];
      for (const response of answers) {
        const app = await appOver(() => Promise.resolve(response));
        const answer = await app.inject({ method: 'GET', url: '/ml/v2/x' });
        expect(answer.statusCode).toBe(500);
        await app.close();
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});

describe('fastify plugin: errors of the host app and of Fastify on its routes', () => {
  it('keep their status, in the protocol error body (4xx with its message, 5xx without)', async () => {
    const app = Fastify();
    app.addHook('onRequest', async (request, reply) => {
      const fail = (status: number, message: string) =>
        Object.assign(new Error(message), { statusCode: status });
      if (request.headers['x-fail'] === '401') throw fail(401, 'missing token');
      if (request.headers['x-fail'] === '429') {
        reply.header('retry-after', '5');
        throw fail(429, 'rate limit exceeded');
      }
      if (request.headers['x-fail'] === '503') throw fail(503, 'pool /tmp/x exhausted');
    });
    const service = {
      handle: async () => ({ status: 200, headers: { 'content-type': 'text/plain' }, body: 'ok' }),
    };
    await app.register(inferPlugin, { service, prefix: '/ml' });
    const get = (fail: string) =>
      app.inject({ method: 'GET', url: '/ml/v2/health/live', headers: { 'x-fail': fail } });
    const unauthorized = await get('401');
    expect([unauthorized.statusCode, unauthorized.json()]).toEqual([
      401,
      { error: 'missing token' },
    ]);
    const limited = await get('429');
    expect([limited.statusCode, limited.json()]).toEqual([429, { error: 'rate limit exceeded' }]);
    expect(limited.headers['retry-after']).toBe('5');
    const unavailable = await get('503');
    expect(unavailable.statusCode).toBe(503);
    expect(unavailable.json()).toEqual({ error: expect.any(String) });
    expect(unavailable.body).not.toMatch(/tmp/);
    // Fastify's own 415: a Content-Type it cannot parse.
    const malformed = await app.inject({
      method: 'POST',
      url: '/ml/v2/models/m/infer',
      headers: { 'content-type': ';;' },
      payload: '{}',
    });
    expect(malformed.statusCode).toBe(415);
    expect(malformed.json()).toEqual({ error: expect.any(String) });
    expect((await get('none')).statusCode).toBe(200);
    await app.close();
  });
});

describe('fastify plugin under router options that loosen the prefix match', () => {
  it.each([
    [{ caseSensitive: false }, '/ML/v2/models/Echo/ready?x=1', '/v2/models/Echo/ready?x=1'],
    [{ ignoreDuplicateSlashes: true }, '/ml//v2/models/Echo//ready', '/v2/models/Echo/ready'],
    [{}, '/ml/v2/models/Echo/ready/', '/v2/models/Echo/ready/'],
  ])('with %o, %s reaches the service as %s', async (routerOptions, url, expected) => {
    const paths: string[] = [];
    const app = Fastify({ routerOptions });
    const service = {
      handle: async (request: { path: string }) => {
        paths.push(request.path);
        return { status: 200, headers: { 'content-type': 'text/plain' }, body: 'ok' };
      },
    };
    await app.register(inferPlugin, { service, prefix: '/ml' });
    const answer = await app.inject({ method: 'GET', url });
    expect(answer.statusCode).toBe(200);
    expect(paths).toEqual([expected]);
    await app.close();
  });
});
