/**
 * Failures over gRPC: server statuses (NOT_FOUND, INVALID_ARGUMENT with the server's
 * message, UNAVAILABLE retried with backoff or `retry-after`, DEADLINE_EXCEEDED), the
 * caller's signal (the server sees the call cancelled), connection failures, malformed
 * answers, a closed client. Same error class and codes as REST, with `grpcCode`.
 */
import { createServer } from 'node:net';
import type { InferServer } from '@infer/core';
import { serve } from '@infer/core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createGrpcClient, GRPC_STATUS, type GrpcClient } from '../src/grpc/index';
import { InferClientError } from '../src/index';
import { type FakeServer, startFakeServer } from './grpc-fake-server';
import { grpcAddress, grpcProbe, startGrpcTestServer } from './grpc-test-server';
import { overloadedCalls, testModels } from './test-server';

let server: InferServer;
let client: GrpcClient;
let fake: FakeServer;
const opened: GrpcClient[] = [];

/** A client closed in afterAll. */
function grpcClient(options: Partial<Parameters<typeof createGrpcClient>[0]> = {}): GrpcClient {
  const made = createGrpcClient({ address: grpcAddress(server), ...options });
  opened.push(made);
  return made;
}

beforeAll(async () => {
  server = await startGrpcTestServer();
  fake = await startFakeServer();
  client = grpcClient();
});
afterAll(async () => {
  await Promise.all(opened.map((each) => each.close()));
  await fake?.close();
  await server?.close();
});
beforeEach(() => {
  overloadedCalls.count = 0;
});

async function rejection(promise: Promise<unknown>): Promise<InferClientError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (!InferClientError.isInstance(error)) {
    throw new Error(`expected an InferClientError, got ${String(error)}`);
  }
  return error;
}

/** A port nothing listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

async function eventually(check: () => boolean, ms = 3000): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return check();
}

describe('server statuses', () => {
  it('an unknown model is INFER_CLIENT_ERR_GRPC NOT_FOUND with the server message', async () => {
    const error = await rejection(client.model('nope').infer({ x: new Float32Array(1) }));
    expect(error).toBeInstanceOf(InferClientError);
    expect(error).toMatchObject({
      code: 'INFER_CLIENT_ERR_GRPC',
      grpcCode: GRPC_STATUS.NOT_FOUND,
      grpcStatus: 'NOT_FOUND',
      method: 'ModelInfer',
      url: grpcAddress(server),
      attempts: 1,
    });
    expect(error.serverMessage).toMatch(/nope/);
    expect(error.message).toContain('answered NOT_FOUND (5)');
    expect(error.status).toBeUndefined();
    await expect(client.model('nope').metadata()).rejects.toMatchObject({ grpcCode: 5 });
  });

  it('an input that does not fit the model is INVALID_ARGUMENT with the server message', async () => {
    const error = await rejection(client.model('echo-fp32').infer({ x: new Int32Array([1]) }));
    expect(error).toMatchObject({ code: 'INFER_CLIENT_ERR_GRPC', grpcCode: 3 });
    expect(error.grpcStatus).toBe('INVALID_ARGUMENT');
    expect(error.serverMessage).toMatch(/FP32/);
  });

  it('a bad input is rejected before anything is sent, as over REST', async () => {
    const error = await rejection(
      client.model('echo-fp32').infer({ x: { data: new Float32Array(3), shape: [2, 2] } }),
    );
    expect(error.code).toBe('INFER_CLIENT_ERR_INVALID_INPUT');
    expect(error.message).toMatch(/inputs\.x/);
    await expect(client.model('echo-fp32').infer(null as never)).rejects.toMatchObject({
      code: 'INFER_CLIENT_ERR_INVALID_INPUT',
    });
  });

  it("the server's own timeout is DEADLINE_EXCEEDED (INFER_CLIENT_ERR_GRPC), not a client timeout", async () => {
    const error = await rejection(client.model('late').infer({ x: new Float32Array(1) }));
    expect(error).toMatchObject({ code: 'INFER_CLIENT_ERR_GRPC', grpcCode: 4 });
  });
});

describe('UNAVAILABLE and retries', () => {
  it('without retry, UNAVAILABLE rejects with grpcCode 14 and the retry-after trailer', async () => {
    const error = await rejection(
      client.model('overloaded-once').infer({ x: new Float32Array(1) }),
    );
    expect(error).toMatchObject({
      code: 'INFER_CLIENT_ERR_GRPC',
      grpcCode: 14,
      grpcStatus: 'UNAVAILABLE',
      retryAfter: 1,
      attempts: 1,
    });
  });

  it('with retry, waits for retry-after and succeeds, like a REST 503', async () => {
    const retrying = grpcClient({ retry: true });
    const started = Date.now();
    const result = await retrying.model('overloaded-once').infer({ x: new Float32Array([4]) });
    expect(Array.from(result.outputs['y']!.data as Float32Array)).toEqual([4]);
    expect(overloadedCalls.count).toBe(2);
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
  });

  it('does not wait past the deadline: rejects at once when retry-after exceeds timeoutMs', async () => {
    const retrying = grpcClient({ retry: true, timeoutMs: 500 });
    const started = Date.now();
    const error = await rejection(
      retrying.model('overloaded-once').infer({ x: new Float32Array(1) }),
    );
    expect(error).toMatchObject({ code: 'INFER_CLIENT_ERR_GRPC', grpcCode: 14 });
    expect(Date.now() - started).toBeLessThan(500);
  });

  it('UNAVAILABLE without retry-after is retried with exponential backoff', async () => {
    let calls = 0;
    fake.answer('ModelInfer', () => {
      calls += 1;
      if (calls < 3) return { error: { code: 14, details: 'warming up' } };
      return {
        response: {
          model_name: 'm',
          outputs: [
            { name: 'y', datatype: 'INT32', shape: ['1'], contents: { int_contents: [7] } },
          ],
        },
      };
    });
    const retrying = createGrpcClient({
      address: fake.address,
      retry: { retries: 3, minDelayMs: 60, maxDelayMs: 200 },
    });
    opened.push(retrying);
    const started = Date.now();
    const result = await retrying.model('m').infer({ x: new Int32Array([1]) });
    expect(result.outputs['y']!.data).toEqual(new Int32Array([7]));
    expect(calls).toBe(3);
    // Equal jitter: the first wait is 30-60 ms, the second 60-120 ms.
    expect(Date.now() - started).toBeGreaterThanOrEqual(90);
  });

  it('a refused connection is INFER_CLIENT_ERR_NETWORK after retries + 1 attempts', async () => {
    const address = `127.0.0.1:${await closedPort()}`;
    const refused = createGrpcClient({
      address,
      retry: { retries: 2, minDelayMs: 10, maxDelayMs: 20 },
    });
    opened.push(refused);
    const error = await rejection(refused.live());
    expect(error).toMatchObject({ code: 'INFER_CLIENT_ERR_NETWORK', attempts: 3, url: address });
    expect(error.message).toMatch(/ECONNREFUSED|No connection established/);
  });

  it('retries until a server comes up on the port', async () => {
    const port = await closedPort();
    const late = createGrpcClient({
      address: `127.0.0.1:${port}`,
      retry: { retries: 20, minDelayMs: 100, maxDelayMs: 200 },
      timeoutMs: 15_000,
    });
    opened.push(late);
    let started: InferServer | undefined;
    const starting = new Promise<void>((resolve) =>
      setTimeout(async () => {
        started = await serve({
          models: testModels().slice(0, 3),
          port: 0,
          host: '127.0.0.1',
          grpc: { port },
          shutdownGraceMs: 200,
        });
        resolve();
      }, 300),
    );
    try {
      const result = await late.model('echo-bool').infer({ x: [true] });
      expect(result.outputs['y']!.data).toEqual(new Uint8Array([1]));
    } finally {
      await starting;
      await started?.close();
    }
  });

  it('health probes read a status as "no" and do not retry it; a server status is not a network error', async () => {
    fake.answer('ServerReady', () => ({ error: { code: 14, details: 'draining' } }));
    fake.answer('ServerLive', () => ({ response: { live: true } }));
    fake.answer('ModelMetadata', () => ({ error: { code: 14, details: 'not ready' } }));
    const probing = createGrpcClient({
      address: fake.address,
      retry: { retries: 3, minDelayMs: 1, maxDelayMs: 1 },
    });
    opened.push(probing);
    const before = fake.calls.length;
    expect(await probing.ready()).toBe(false);
    expect(await probing.live()).toBe(true);
    expect(fake.calls.length - before).toBe(2);
    const error = await rejection(probing.model('m').metadata());
    expect(error).toMatchObject({ code: 'INFER_CLIENT_ERR_GRPC', grpcCode: 14, attempts: 4 });
  });
});

describe('deadline and AbortSignal', () => {
  it('timeoutMs is the gRPC deadline: INFER_CLIENT_ERR_TIMEOUT and the server stops the work', async () => {
    const timed = grpcClient({ timeoutMs: 200 });
    const seen = grpcProbe.holdSignals.length;
    const started = Date.now();
    const error = await rejection(
      timed.model('hold').infer({ x: new Float32Array(1) }, { parameters: { ms: 5000 } }),
    );
    expect(error).toMatchObject({ code: 'INFER_CLIENT_ERR_TIMEOUT', method: 'ModelInfer' });
    expect(error.message).toMatch(/timed out after 200 ms/);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(await eventually(() => grpcProbe.holdSignals[seen]?.aborted === true)).toBe(true);
  });

  it('a per-call timeoutMs overrides the client one', async () => {
    await expect(
      client
        .model('hold')
        .infer({ x: new Float32Array(1) }, { parameters: { ms: 5000 }, timeoutMs: 150 }),
    ).rejects.toMatchObject({ code: 'INFER_CLIENT_ERR_TIMEOUT' });
    const result = await client
      .model('hold')
      .infer({ x: new Float32Array([2]) }, { parameters: { ms: 10 }, timeoutMs: 5000 });
    expect(result.outputs['y']!.data).toEqual(new Float32Array([2]));
  });

  it('aborting cancels the call: INFER_CLIENT_ERR_ABORTED with the reason, and the server sees it cancelled', async () => {
    const seen = grpcProbe.holdSignals.length;
    const controller = new AbortController();
    const started = Date.now();
    setTimeout(() => controller.abort(new Error('user left')), 150);
    const error = await rejection(
      client
        .model('hold')
        .infer({ x: new Float32Array(1) }, { parameters: { ms: 5000 }, signal: controller.signal }),
    );
    expect(error.code).toBe('INFER_CLIENT_ERR_ABORTED');
    expect((error.cause as Error).message).toBe('user left');
    expect(Date.now() - started).toBeLessThan(2000);
    expect(await eventually(() => grpcProbe.holdSignals[seen]?.aborted === true)).toBe(true);
  });

  it('an already aborted signal rejects at once and sends nothing', async () => {
    const before = fake.calls.length;
    const quiet = createGrpcClient({ address: fake.address });
    opened.push(quiet);
    const error = await rejection(
      quiet.model('m').infer({ x: new Float32Array(1) }, { signal: AbortSignal.abort('gone') }),
    );
    expect(error).toMatchObject({ code: 'INFER_CLIENT_ERR_ABORTED', cause: 'gone', attempts: 0 });
    await expect(quiet.live({ signal: AbortSignal.abort() })).rejects.toMatchObject({
      code: 'INFER_CLIENT_ERR_ABORTED',
    });
    expect(fake.calls.length).toBe(before);
  });

  it('aborting stops a retry wait', async () => {
    const retrying = grpcClient({ retry: true });
    const started = Date.now();
    const error = await rejection(
      retrying
        .model('overloaded-once')
        .infer({ x: new Float32Array(1) }, { signal: AbortSignal.timeout(200) }),
    );
    expect(error.code).toBe('INFER_CLIENT_ERR_ABORTED');
    expect(Date.now() - started).toBeLessThan(900);
  });
});

describe('answers and clients that cannot be used', () => {
  it('a malformed ModelInferResponse is INFER_CLIENT_ERR_DECODE', async () => {
    fake.answer('ModelInfer', () => ({
      response: {
        model_name: 'm',
        outputs: [{ name: 'y', datatype: 'FP32', shape: ['3'] }],
        raw_output_contents: [Buffer.alloc(5)],
      },
    }));
    const decoding = createGrpcClient({ address: fake.address });
    opened.push(decoding);
    const error = await rejection(decoding.model('m').infer({ x: new Float32Array(1) }));
    expect(error.code).toBe('INFER_CLIENT_ERR_DECODE');
    expect(error.message).toMatch(/raw_output_contents\[0\].*5 bytes but 3 FP32 elements need 12/);
  });

  it.each([
    ['a new client, its channel not open yet', false, false],
    ['a connected client', true, false],
    ['a connected client with retries', true, true],
  ])(
    'close() lets a call made just before it finish (%s), then refuses calls',
    async (_case, warm, retry) => {
      const closing = createGrpcClient({ address: grpcAddress(server), retry });
      if (warm) expect(await closing.live()).toBe(true);
      let settled = false;
      const call = closing
        .model('hold')
        .infer({ x: new Float32Array([3]) }, { parameters: { ms: 100 } })
        .finally(() => {
          settled = true;
        });
      const closed = closing.close();
      await expect(closing.live()).rejects.toMatchObject({ code: 'INFER_CLIENT_ERR_CLOSED' });
      expect((await call).outputs['y']!.data).toEqual(new Float32Array([3]));
      await closed;
      expect(settled).toBe(true);
    },
  );

  it('a closed client rejects with INFER_CLIENT_ERR_CLOSED; close() is idempotent', async () => {
    const closing = createGrpcClient({ address: grpcAddress(server) });
    expect(await closing.live()).toBe(true);
    await closing.close();
    await closing.close();
    await expect(closing.live()).rejects.toMatchObject({ code: 'INFER_CLIENT_ERR_CLOSED' });
    await expect(
      closing.model('echo-fp32').infer({ x: new Float32Array(1) }),
    ).rejects.toMatchObject({ code: 'INFER_CLIENT_ERR_CLOSED' });
  });
});
