import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type InferServer, serve } from '@infer/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, type FetchLike } from '../src/index';
import { retrySuite } from './suites/retry.suite';
import { nodeHost, startTestServer, testModels } from './test-server';

let server: InferServer;

beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

// The suite body is shared with the headless Chromium run (test/browser/).
retrySuite(
  { describe, it, expect },
  nodeHost(() => ({ test: server })),
);

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
