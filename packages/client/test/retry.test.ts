import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type InferServer, serve } from '@infer/core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createClient, type FetchLike, InferClientError } from '../src/index';
import { overloadedCalls, startTestServer, testModels } from './test-server';

let server: InferServer;

beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());
beforeEach(() => {
  overloadedCalls.count = 0;
});

/** A port nothing listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

function countingFetch(): { fetch: FetchLike; calls: () => number } {
  let calls = 0;
  return {
    fetch: (url, init) => {
      calls += 1;
      return fetch(url, init);
    },
    calls: () => calls,
  };
}

describe('503 with Retry-After', () => {
  it('without retry, rejects with status 503 and retryAfter', async () => {
    const client = createClient({ baseUrl: server.url });
    const error = await client
      .model('overloaded-once')
      .infer({ x: new Float32Array(1) })
      .catch((caught: unknown) => caught);
    expect(InferClientError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({
      code: 'INFER_CLIENT_ERR_HTTP',
      status: 503,
      retryAfter: 1,
      attempts: 1,
    });
    expect((error as InferClientError).serverMessage).toMatch(/retry after/);
  });

  it('with retry, waits Retry-After and succeeds', async () => {
    const counter = countingFetch();
    const client = createClient({ baseUrl: server.url, retry: true, fetch: counter.fetch });
    const started = Date.now();
    const result = await client.model('overloaded-once').infer({ x: new Float32Array([4]) });
    expect(Array.from(result.outputs['y']!.data as Float32Array)).toEqual([4]);
    expect(counter.calls()).toBe(2);
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
  });

  it('does not wait past the deadline: rejects at once when Retry-After exceeds timeoutMs', async () => {
    const client = createClient({ baseUrl: server.url, retry: true, timeoutMs: 500 });
    const started = Date.now();
    const error = await client
      .model('overloaded-once')
      .infer({ x: new Float32Array(1) })
      .catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'INFER_CLIENT_ERR_HTTP', status: 503 });
    expect(Date.now() - started).toBeLessThan(500);
  });
});

describe('network failures', () => {
  it('rejects INFER_CLIENT_ERR_NETWORK for a closed port after retries + 1 attempts', async () => {
    const port = await closedPort();
    const counter = countingFetch();
    const client = createClient({
      baseUrl: `http://127.0.0.1:${port}`,
      retry: { retries: 2, minDelayMs: 10, maxDelayMs: 20 },
      fetch: counter.fetch,
    });
    const error = await client.live().catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'INFER_CLIENT_ERR_NETWORK', attempts: 3 });
    expect((error as Error).message).toMatch(/ECONNREFUSED/);
    expect(counter.calls()).toBe(3);
  });

  it('retries until a server comes up on the port', async () => {
    const port = await closedPort();
    const client = createClient({
      baseUrl: `http://127.0.0.1:${port}`,
      retry: { retries: 10, minDelayMs: 100, maxDelayMs: 200 },
      timeoutMs: 10_000,
    });
    let late: InferServer | undefined;
    const starting = new Promise<void>((resolve) =>
      setTimeout(async () => {
        late = await serve({ models: testModels().slice(0, 13), port, host: '127.0.0.1' });
        resolve();
      }, 300),
    );
    try {
      const result = await client.model('echo-int32').infer({ x: new Int32Array([9]) });
      expect(result.outputs['y']!.data).toEqual(new Int32Array([9]));
    } finally {
      await starting;
      await late?.close();
    }
  });
});
