/**
 * Request bodies read into reused buffers (`body-pool.ts`): the pool itself, the node body
 * reader with a pool, and the lease between adapter and service over real HTTP. The answers
 * must stay right when bodies are reused: each request carries its own values and every
 * answer is compared with them.
 */
import { createServer, request as httpRequest, type Server } from 'node:http';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { BINARY_HEADER, decodeInferenceResponse, encodeInferenceRequest } from '@infer/codecs';
import { inferPlugin } from '@infer/core/fastify';
import { createNodeHandler } from '@infer/core/node';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BodyPool, sharedBodyPool } from '../../src/adapters/body-pool';
import { readNodeBody } from '../../src/adapters/read-body';
import type { InferenceHandler } from '../../src/adapters/service-contract';
import { defineModel } from '../../src/define-model';
import { InferenceService } from '../../src/inference-service';
import { ModelRepository } from '../../src/model-repository';
import { listen } from './listen';

const FIXTURE = fileURLToPath(new URL('../fixtures/pool-runtime.mjs', import.meta.url));
const ELEMENTS = 40_000; // 160 kB of FP32: over the pool's 64 KiB minimum

describe('BodyPool', () => {
  it('hands back a released buffer for the next body of the same length', () => {
    const pool = new BodyPool();
    const first = pool.acquire(100_000);
    expect(first.byteLength).toBe(100_000);
    expect(first.byteOffset).toBe(0);
    expect(first.buffer.byteLength).toBe(100_000);
    pool.release(first);
    expect(pool.idleBytes).toBe(100_000);
    expect(pool.acquire(100_001).buffer).not.toBe(first.buffer);
    expect(pool.acquire(100_000).buffer).toBe(first.buffer);
    expect(pool.idleBytes).toBe(0);
    expect({ reused: pool.reused, allocated: pool.allocated }).toEqual({ reused: 1, allocated: 2 });
    pool.clear();
  });

  it('refuses what it must not reuse: views, detached, small, twice; keeps under its total', () => {
    const pool = new BodyPool({ maxBytes: 300_000 });
    const whole = pool.acquire(100_000);
    pool.release(whole.subarray(1)); // a view into a larger buffer
    pool.release(Buffer.alloc(1000)); // under minBytes
    const moved = pool.acquire(100_000);
    structuredClone(moved, { transfer: [moved.buffer as ArrayBuffer] }); // detached, as a move to a worker
    pool.release(moved);
    expect(pool.idleBytes).toBe(0);
    pool.release(whole);
    pool.release(whole);
    expect(pool.idleBytes).toBe(100_000);
    pool.release(Buffer.allocUnsafeSlow(150_000));
    expect(pool.idleBytes).toBe(250_000);
    pool.release(Buffer.allocUnsafeSlow(100_000)); // 350_000 in all: the 150_000 one makes room
    expect(pool.idleBytes).toBe(200_000);
    expect(pool.takes(400_000)).toBe(false);
    pool.clear();
  });

  it('makes room from the lengths used longest ago: one-off lengths cannot crowd out the common one', () => {
    const pool = new BodyPool({ maxBytes: 400_000 });
    const common = pool.acquire(100_000);
    pool.release(common);
    for (let i = 1; i <= 5; i++) pool.release(Buffer.allocUnsafeSlow(100_000 + i)); // one-offs
    expect(pool.idleBytes).toBeLessThanOrEqual(400_000);
    const again = pool.acquire(100_000); // the common buffer was evicted by the one-offs...
    pool.release(again);
    pool.release(Buffer.allocUnsafeSlow(100_000)); // ...but the common length gets room back
    expect(pool.acquire(100_000).buffer).not.toBe(pool.acquire(100_000).buffer);
    expect(pool.reused).toBe(2);
    pool.clear();
  });

  it('refuses a buffer that could not fit even alone before it evicts anything', () => {
    const pool = new BodyPool({ maxBytes: 270_000 });
    pool.release(Buffer.allocUnsafeSlow(70_000));
    pool.release(Buffer.allocUnsafeSlow(100_000));
    pool.release(Buffer.allocUnsafeSlow(100_000));
    pool.release(Buffer.allocUnsafeSlow(100_000)); // 3 x 100_000 > 270_000 on its own
    expect(pool.idleBytes).toBe(270_000); // the 70_000 one stays
    pool.clear();
  });

  it('drops a length unused for idleMs while a length in use stays', async () => {
    const pool = new BodyPool({ idleMs: 40 });
    pool.release(pool.acquire(70_000));
    for (let i = 0; i < 8; i++) {
      pool.release(pool.acquire(80_000));
      await new Promise((resolve) => setTimeout(resolve, 15));
    }
    expect(pool.idleBytes).toBe(80_000);
    pool.clear();
  });

  it('drops its idle buffers once no body was read for idleMs', async () => {
    const pool = new BodyPool({ idleMs: 30 });
    pool.release(pool.acquire(70_000));
    expect(pool.idleBytes).toBe(70_000);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(pool.idleBytes).toBe(0);
  });
});

describe('readNodeBody with a pool', () => {
  const servers: Server[] = [];
  afterEach(async () => {
    for (const server of servers.splice(0)) {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  /** A server that reads each body with `pool` and reports what it got (or the error). */
  async function reader(pool: BodyPool): Promise<{ port: number; got: (Buffer | Error)[] }> {
    const got: (Buffer | Error)[] = [];
    const server = createServer((request, response) => {
      readNodeBody(request, 1 << 20, pool).then(
        (body) => {
          got.push(body!);
          response.end();
        },
        (error: Error) => {
          got.push(error);
          response.destroy();
        },
      );
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return { port: (server.address() as { port: number }).port, got };
  }

  it('copies a Content-Length body into a pooled buffer; a chunked one is read as before', async () => {
    const pool = new BodyPool();
    const { port, got } = await reader(pool);
    const bytes = Buffer.alloc(200_000);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7) % 251;
    await fetch(`http://127.0.0.1:${port}/`, { method: 'POST', body: bytes });
    // fetch streams a ReadableStream body chunked (no Content-Length).
    const stream = new Blob([bytes]).stream();
    await fetch(`http://127.0.0.1:${port}/`, { method: 'POST', body: stream, duplex: 'half' });
    expect(got).toHaveLength(2);
    expect(Buffer.compare(got[0] as Buffer, bytes)).toBe(0);
    expect(Buffer.compare(got[1] as Buffer, bytes)).toBe(0);
    expect(pool.allocated).toBe(1);
    pool.clear();
  });

  it('takes no buffer until half the declared body is in: a slow client holds what it sent', async () => {
    const pool = new BodyPool({ maxBytes: 2 << 20 });
    const { port, got } = await reader(pool);
    const bytes = Buffer.alloc(1 << 20);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 13) % 251;
    const request = httpRequest({
      host: '127.0.0.1',
      port,
      method: 'POST',
      headers: { 'content-length': String(bytes.length) },
    });
    const answered = new Promise((resolve) => request.on('response', resolve));
    const sent = (part: Buffer) => new Promise((resolve) => request.write(part, resolve));
    const settle = () => new Promise((resolve) => setTimeout(resolve, 50));
    await sent(bytes.subarray(0, 300_000));
    await settle();
    expect(pool.allocated).toBe(0); // 29% in: nothing taken from the pool yet
    await sent(bytes.subarray(300_000, 600_000));
    await settle();
    expect(pool.allocated).toBe(1); // past half: the body goes on in a pooled buffer
    request.end(bytes.subarray(600_000));
    await answered;
    expect(Buffer.compare(got[0] as Buffer, bytes)).toBe(0);
    pool.clear();
  });

  it('gives the buffer back when the client goes away mid-body', async () => {
    const pool = new BodyPool();
    const { port, got } = await reader(pool);
    await new Promise<void>((resolve) => {
      const request = httpRequest({
        host: '127.0.0.1',
        port,
        method: 'POST',
        headers: { 'content-length': '200000' },
      });
      request.on('error', () => resolve());
      request.write(Buffer.alloc(100_000), () => setTimeout(() => request.destroy(), 50));
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(got[0]).toBeInstanceOf(Error);
    expect(pool.allocated).toBe(1);
    expect(pool.idleBytes).toBe(200_000);
    pool.clear();
  });
});

/** A model served by worker threads: the pool fixture with `parameters` (its behaviour). */
function workerModel(name: string, parameters: Record<string, unknown>) {
  return defineModel({
    name,
    inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, -1] }],
    outputs: [{ name: 'x', datatype: 'FP32', shape: [-1, -1] }],
    predict: () => {
      throw new Error('must run in a worker');
    },
    workerSource: () => ({ module: FIXTURE, settings: { name, parameters } }),
  });
}

/** An in-process model that answers with its own inputs after `delayMs`. */
function echoModel(name: string, delayMs: number) {
  return defineModel({
    name,
    inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, -1] }],
    outputs: [{ name: 'x', datatype: 'FP32', shape: [-1, -1] }],
    predict: async (request) => {
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      return { outputs: request.inputs };
    },
  });
}

describe('bodies lent to the service over HTTP', () => {
  const repository = new ModelRepository();
  const service = new InferenceService({ repository });
  let http: Awaited<ReturnType<typeof listen>>;
  let wrapped: Awaited<ReturnType<typeof listen>>;
  let fastify: FastifyInstance;
  let fastifyUrl: string;
  /** `request.body` as the opted-in Fastify app's onResponse hook sees it. */
  const fastifyBodiesAfter: unknown[] = [];

  beforeAll(async () => {
    repository.add(workerModel('pooled', { behaviour: 'identity' }), { workers: 1 });
    // In-process, answering with its inputs: its answers are views over the request body.
    repository.add(echoModel('echo', 2));
    // In-process and slow: a second request arrives while it still reads its first.
    repository.add(echoModel('slow-echo', 150), { batching: false });
    await repository.loadAll();
    http = await listen(createServer(createNodeHandler(service)));
    const wrapper: InferenceHandler = { handle: (request) => service.handle(request) };
    wrapped = await listen(createServer(createNodeHandler(wrapper)));
    fastify = Fastify();
    fastify.addHook('onResponse', async (request) => {
      fastifyBodiesAfter.push(request.body);
    });
    await fastify.register(inferPlugin, { service, reuseBodyBuffers: true });
    fastifyUrl = await fastify.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(async () => {
    await http?.close();
    await wrapped?.close();
    await fastify?.close();
    await repository.close();
  });
  afterEach(() => sharedBodyPool.clear());

  /** Posts a request whose every value is `seed`-based; resolves whether the answer echoed it. */
  async function echoes(
    url: string,
    model: string,
    seed: number,
    coding?: 'gzip' | 'identity',
  ): Promise<boolean> {
    const data = new Float32Array(ELEMENTS);
    for (let i = 0; i < ELEMENTS; i++) data[i] = seed * 100_000 + i;
    const encoded = encodeInferenceRequest(
      {
        inputs: [{ name: 'x', datatype: 'FP32', shape: [1, ELEMENTS], data }],
        parameters: { binary_data_output: true },
      },
      { binary: true },
    );
    const headers: Record<string, string> = { ...encoded.headers };
    let body: Uint8Array = encoded.body;
    if (coding !== undefined) headers['content-encoding'] = coding;
    if (coding === 'gzip') body = gzipSync(body);
    const response = await fetch(`${url}/v2/models/${model}/infer`, {
      method: 'POST',
      headers,
      body,
    });
    expect(response.status).toBe(200);
    const answer = decodeInferenceResponse(new Uint8Array(await response.arrayBuffer()), {
      headerLength: response.headers.get(BINARY_HEADER)!,
    });
    const got = answer.outputs[0]!.data as Float32Array;
    if (got.length !== ELEMENTS) return false;
    for (let i = 0; i < ELEMENTS; i++) if (got[i] !== data[i]) return false;
    return true;
  }

  /** Three requests through `app` to the worker-pool model: answered right, none pooled. */
  async function poolsNothingThrough(app: FastifyInstance): Promise<void> {
    const url = await app.listen({ port: 0, host: '127.0.0.1' });
    try {
      for (const seed of [1, 2, 3]) expect(await echoes(url, 'pooled', seed)).toBe(true);
    } finally {
      await app.close();
    }
    expect(sharedBodyPool.idleBytes).toBe(0);
  }

  it('reuses bodies that a worker pool served, and every answer stays right', async () => {
    const before = sharedBodyPool.reused;
    for (let round = 0; round < 3; round++) {
      const seeds = [1, 2, 3, 4, 5, 6].map((n) => round * 10 + n);
      const results = await Promise.all(seeds.map((seed) => echoes(http.url, 'pooled', seed)));
      expect(results).toEqual(seeds.map(() => true));
    }
    expect(sharedBodyPool.reused - before).toBeGreaterThan(0);
  });

  it('does the same through the Fastify plugin', async () => {
    const before = sharedBodyPool.reused;
    for (let round = 0; round < 3; round++) {
      const seeds = [1, 2, 3, 4].map((n) => round * 10 + n);
      const results = await Promise.all(seeds.map((seed) => echoes(fastifyUrl, 'pooled', seed)));
      expect(results).toEqual(seeds.map(() => true));
    }
    expect(sharedBodyPool.reused - before).toBeGreaterThan(0);
  });

  it.each([
    ['node:http', () => http.url],
    ['Fastify', () => fastifyUrl],
  ])(
    'never reuses a body an in-process model got, over %s (its answer is a view of it)',
    async (_name, url) => {
      const before = { reused: sharedBodyPool.reused, allocated: sharedBodyPool.allocated };
      for (let round = 0; round < 3; round++) {
        const seeds = [1, 2, 3, 4].map((n) => round * 10 + n);
        const results = await Promise.all(seeds.map((seed) => echoes(url(), 'echo', seed)));
        expect(results).toEqual(seeds.map(() => true));
      }
      expect(sharedBodyPool.reused).toBe(before.reused);
      expect(sharedBodyPool.allocated - before.allocated).toBe(12);
      expect(sharedBodyPool.idleBytes).toBe(0);
    },
  );

  it('reads a stream a Fastify preParsing hook put in place plainly, never pooled', async () => {
    const app = Fastify();
    const { PassThrough } = await import('node:stream');
    await app.register(async (scope) => {
      scope.addHook('preParsing', async (_request, _reply, payload) =>
        payload.pipe(new PassThrough()),
      );
      await scope.register(inferPlugin, { service, reuseBodyBuffers: true });
    });
    await poolsNothingThrough(app);
  });

  it('reuses nothing with reuseBodyBuffers: false', async () => {
    const off = await listen(createServer(createNodeHandler(service, { reuseBodyBuffers: false })));
    try {
      for (const seed of [1, 2, 3]) expect(await echoes(off.url, 'pooled', seed)).toBe(true);
    } finally {
      await off.close();
    }
    expect(sharedBodyPool.idleBytes).toBe(0);
  });

  it('lends nothing to a handler that is not an InferenceService', async () => {
    for (const seed of [1, 2, 3]) expect(await echoes(wrapped.url, 'pooled', seed)).toBe(true);
    expect(sharedBodyPool.idleBytes).toBe(0);
  });

  it('gives back a body once a failed request is answered', async () => {
    const before = sharedBodyPool.reused;
    const body = new Uint8Array(100_000).fill(0x7b); // '{' x 100k: not JSON
    for (let i = 0; i < 3; i++) {
      const response = await fetch(`${http.url}/v2/models/pooled/infer`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      });
      expect(response.status).toBe(400);
    }
    expect(sharedBodyPool.reused - before).toBe(2);
  });

  it('gives back a gzip body once decoded; answers from its decoded copy stay right', async () => {
    const results = await Promise.all(
      [7, 8, 9, 10].flatMap((seed) => [
        echoes(http.url, 'pooled', seed, 'gzip'),
        echoes(http.url, 'echo', seed + 100, 'gzip'),
        echoes(http.url, 'echo', seed + 200),
      ]),
    );
    expect(results.every(Boolean)).toBe(true);
    // The gzip bodies came back (the plain ones an in-process model got never do).
    expect(sharedBodyPool.idleBytes).toBeGreaterThan(0);
  });

  it('lends an identity-coded body like any other (never frees it while a model reads it)', async () => {
    const first = echoes(http.url, 'slow-echo', 1, 'identity');
    await new Promise((resolve) => setTimeout(resolve, 40));
    const second = echoes(http.url, 'slow-echo', 2);
    expect(await Promise.all([first, second])).toEqual([true, true]);
    const before = sharedBodyPool.reused;
    for (const seed of [3, 4, 5])
      expect(await echoes(http.url, 'pooled', seed, 'identity')).toBe(true);
    expect(sharedBodyPool.reused - before).toBe(2);
  });

  it('pools bodies through the Express router unless a body parser read them first', async () => {
    const express = (await import('express')).default;
    const { inferRouter } = await import('@infer/core/express');
    const plain = express();
    plain.use(inferRouter(service));
    const parsed = express();
    parsed.use(express.raw({ type: () => true, limit: '10mb' }));
    parsed.use(inferRouter(service));
    const plainServer = await listen(createServer(plain));
    const parsedServer = await listen(createServer(parsed));
    try {
      const before = sharedBodyPool.reused;
      for (const seed of [1, 2, 3])
        expect(await echoes(plainServer.url, 'pooled', seed)).toBe(true);
      expect(sharedBodyPool.reused - before).toBe(2);
      sharedBodyPool.clear();
      for (const seed of [1, 2, 3])
        expect(await echoes(parsedServer.url, 'pooled', seed)).toBe(true);
      expect(sharedBodyPool.idleBytes).toBe(0);
    } finally {
      await plainServer.close();
      await parsedServer.close();
    }
  });

  it('never pools a body a Fastify hook put in request.body', async () => {
    const app = Fastify();
    app.addHook('preHandler', async (request) => {
      request.body = Buffer.from(request.body as Buffer); // a whole buffer of the hook's own
    });
    await app.register(inferPlugin, { service, reuseBodyBuffers: true });
    await poolsNothingThrough(app);
  });

  it('pools nothing through Fastify unless asked, and clears request.body before reuse', async () => {
    const app = Fastify();
    await app.register(inferPlugin, { service });
    await poolsNothingThrough(app);
    fastifyBodiesAfter.length = 0;
    for (const seed of [1, 2]) expect(await echoes(fastifyUrl, 'pooled', seed)).toBe(true);
    expect(fastifyBodiesAfter).toEqual([undefined, undefined]);
    expect(await echoes(fastifyUrl, 'echo', 3)).toBe(true);
    expect(fastifyBodiesAfter[2]).toBeInstanceOf(Uint8Array); // kept: never reused
  });
});

describe('reused bodies under timeouts and client aborts', () => {
  const repository = new ModelRepository();
  const service = new InferenceService({ repository });
  let http: Awaited<ReturnType<typeof listen>>;

  beforeAll(async () => {
    // Slow enough that requests queue, and with a timeout that some of them hit: bodies of
    // requests answered 504 (or abandoned by their client) are reused while their batch runs.
    repository.add(workerModel('slow-pooled', { behaviour: 'slow', delayMs: 15 }), {
      workers: 1,
      timeoutMs: 40,
      batching: { maxBatchSize: 2 },
    });
    await repository.loadAll();
    http = await listen(createServer(createNodeHandler(service)));
  });
  afterAll(async () => {
    await http?.close();
    await repository.close();
  });

  it('answers every request it answers 200 with that request own values', async () => {
    const before = sharedBodyPool.reused;
    const outcomes: string[] = [];
    for (let wave = 0; wave < 4; wave++) {
      const calls = Array.from({ length: 10 }, async (_, n) => {
        const seed = wave * 100 + n;
        const data = new Float32Array(ELEMENTS).fill(seed);
        const encoded = encodeInferenceRequest(
          {
            inputs: [{ name: 'x', datatype: 'FP32', shape: [1, ELEMENTS], data }],
            parameters: { binary_data_output: true },
          },
          { binary: true },
        );
        const signal = n % 4 === 3 ? AbortSignal.timeout(10) : undefined;
        try {
          const response = await fetch(`${http.url}/v2/models/slow-pooled/infer`, {
            method: 'POST',
            headers: encoded.headers,
            body: encoded.body,
            ...(signal === undefined ? {} : { signal }),
          });
          const bytes = new Uint8Array(await response.arrayBuffer());
          if (response.status !== 200) return String(response.status);
          const answer = decodeInferenceResponse(bytes, {
            headerLength: response.headers.get(BINARY_HEADER)!,
          });
          const got = answer.outputs[0]!.data as Float32Array;
          return got.length === ELEMENTS && got.every((v) => v === seed) ? 'right' : 'WRONG';
        } catch {
          return 'aborted';
        }
      });
      outcomes.push(...(await Promise.all(calls)));
    }
    expect(outcomes).not.toContain('WRONG');
    expect(outcomes.filter((o) => !['right', '504', 'aborted'].includes(o))).toEqual([]);
    expect(outcomes).toContain('right');
    expect(outcomes).toContain('504');
    expect(sharedBodyPool.reused - before).toBeGreaterThan(0);
  });
});
