import type { InferServer } from '@infer/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, type InferClient } from '../src/index';
import { overloadedCalls, startTestServer } from './test-server';

let server: InferServer;
let client: InferClient;

beforeAll(async () => {
  server = await startTestServer();
  client = createClient({ baseUrl: server.url });
});
afterAll(() => server.close());

const slow = (ms: number) => [{ x: new Float32Array([1]) }, { parameters: { ms } }] as const;

describe('AbortSignal', () => {
  it('aborts a running call with INFER_CLIENT_ERR_ABORTED and the reason as cause', async () => {
    const controller = new AbortController();
    const started = Date.now();
    setTimeout(() => controller.abort(new Error('user left')), 100);
    const [inputs, options] = slow(5000);
    const error = await client
      .model('slow')
      .infer(inputs, { ...options, signal: controller.signal })
      .catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'INFER_CLIENT_ERR_ABORTED' });
    expect(((error as Error).cause as Error).message).toBe('user left');
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('rejects at once for an already aborted signal and sends nothing', async () => {
    let sent = 0;
    const counted = createClient({
      baseUrl: server.url,
      fetch: (url, init) => {
        sent += 1;
        return fetch(url, init);
      },
    });
    const error = await counted
      .model('echo-fp32')
      .infer({ x: new Float32Array(1) }, { signal: AbortSignal.abort('gone') })
      .catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'INFER_CLIENT_ERR_ABORTED', cause: 'gone' });
    expect(sent).toBe(0);
  });

  it('stops a retry wait', async () => {
    overloadedCalls.count = 0;
    const retrying = createClient({ baseUrl: server.url, retry: true });
    const started = Date.now();
    const error = await retrying
      .model('overloaded-once')
      .infer({ x: new Float32Array(1) }, { signal: AbortSignal.timeout(200) })
      .catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'INFER_CLIENT_ERR_ABORTED' });
    expect(Date.now() - started).toBeLessThan(900);
  });

  it('works on the read-only calls too', async () => {
    await expect(client.live({ signal: AbortSignal.abort() })).rejects.toMatchObject({
      code: 'INFER_CLIENT_ERR_ABORTED',
    });
    await expect(
      client.model('slow').metadata({ signal: AbortSignal.abort() }),
    ).rejects.toMatchObject({
      code: 'INFER_CLIENT_ERR_ABORTED',
    });
  });
});

describe('timeoutMs', () => {
  it('rejects INFER_CLIENT_ERR_TIMEOUT after the client deadline', async () => {
    const timed = createClient({ baseUrl: server.url, timeoutMs: 200 });
    const started = Date.now();
    const [inputs, options] = slow(5000);
    const error = await timed
      .model('slow')
      .infer(inputs, options)
      .catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'INFER_CLIENT_ERR_TIMEOUT' });
    expect((error as Error).message).toMatch(/timed out after 200 ms/);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('takes a per-call timeoutMs over the client one', async () => {
    const [inputs, options] = slow(5000);
    await expect(
      client.model('slow').infer(inputs, { ...options, timeoutMs: 150 }),
    ).rejects.toMatchObject({ code: 'INFER_CLIENT_ERR_TIMEOUT' });
    const result = await client
      .model('slow')
      .infer(inputs, { parameters: { ms: 10 }, timeoutMs: 5000 });
    expect(result.outputs['y']).toBeDefined();
  });
});
