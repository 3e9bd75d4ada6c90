/**
 * Deadlines and signals, REST and gRPC: a per-call `timeoutMs` is checked by every method;
 * waits past setTimeout's limit (a huge `timeoutMs`, `Retry-After` or backoff) are long
 * waits, not immediate ones; what the signal cannot cut itself (a slow `headers()` or
 * `metadata()` function, a `fetch` that ignores its signal) does not outlast the deadline
 * or the caller's signal.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGrpcClient, type GrpcClient } from '../src/grpc/index';
import type { OipClient } from '../src/index';
import { createClient } from '../src/node';
import { type FakeServer, startFakeServer } from './grpc-fake-server';
import { type RawServer, SERVER_METADATA, startRawServer } from './raw-server';

/** Answers server metadata after 50 ms. */
let slow: RawServer;
/** Answers 503, with `Retry-After: 2200000` (25 days) for `GET /v2`, else without one. */
let busy: RawServer;
let fake: FakeServer;
const opened: GrpcClient[] = [];

const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

beforeAll(async () => {
  slow = await startRawServer((_request, response) => {
    setTimeout(() => response.end(SERVER_METADATA), 50);
  });
  busy = await startRawServer((request, response) => {
    const retryAfter = request.url === '/v2' ? { 'retry-after': '2200000' } : undefined;
    response.writeHead(503, retryAfter).end('{"error":"maintenance"}');
  });
  fake = await startFakeServer();
  fake.answer('ServerMetadata', async () => {
    await wait(50);
    return { response: { name: 'fake', version: '1', extensions: [] } };
  });
});
afterAll(async () => {
  await Promise.all(opened.map((client) => client.close()));
  await Promise.all([slow?.close(), busy?.close(), fake?.close()]);
});

function grpcClient(options: Partial<Parameters<typeof createGrpcClient>[0]> = {}): GrpcClient {
  const client = createGrpcClient({ address: fake.address, ...options });
  opened.push(client);
  return client;
}

/** Every method that takes call options, with these options. */
function everyMethod(client: OipClient, options: object): Array<[string, () => Promise<unknown>]> {
  const model = client.model('m');
  return [
    ['live', () => client.live(options)],
    ['ready', () => client.ready(options)],
    ['metadata', () => client.metadata(options)],
    ['model.metadata', () => model.metadata(options)],
    ['model.ready', () => model.ready(options)],
    ['model.schema', () => model.schema(options)],
    ['model.infer', () => model.infer({ x: new Float32Array(1) }, options)],
  ];
}

const HUGE = [2 ** 31 - 1, 2 ** 31, Number.MAX_SAFE_INTEGER];

describe('timeoutMs past setTimeout (2^31-1 ms)', () => {
  it.each(HUGE)('REST: %d ms is a deadline far away, not an immediate timeout', async (ms) => {
    for (const sender of [{}, { fetch: globalThis.fetch }]) {
      await expect(
        createClient({ baseUrl: slow.url, ...sender, timeoutMs: ms }).metadata(),
      ).resolves.toMatchObject({ name: 'raw' });
      await expect(
        createClient({ baseUrl: slow.url, ...sender }).metadata({ timeoutMs: ms }),
      ).resolves.toMatchObject({ name: 'raw' });
    }
  });

  it.each(HUGE)('gRPC: %d ms is a deadline far away, a grpc-js server takes it', async (ms) => {
    await expect(grpcClient({ timeoutMs: ms }).metadata()).resolves.toMatchObject({
      name: 'fake',
    });
    await expect(grpcClient().metadata({ timeoutMs: ms })).resolves.toMatchObject({
      name: 'fake',
    });
  });

  it('a Retry-After past it is waited for (until the signal), not retried at once', async () => {
    const before = busy.hits;
    const client = createClient({ baseUrl: busy.url, retry: true });
    await expect(client.metadata({ signal: AbortSignal.timeout(200) })).rejects.toMatchObject({
      code: 'INFER_CLIENT_ERR_ABORTED',
      attempts: 1,
    });
    expect(busy.hits - before).toBe(1);
  });

  it('a backoff past it is waited for (until the signal), not retried at once', async () => {
    const before = busy.hits;
    const client = createClient({
      baseUrl: busy.url,
      retry: { retries: 1, minDelayMs: 2 ** 33, maxDelayMs: 2 ** 33 },
    });
    await expect(
      client.model('m').metadata({ signal: AbortSignal.timeout(200) }),
    ).rejects.toMatchObject({ code: 'INFER_CLIENT_ERR_ABORTED', attempts: 1 });
    expect(busy.hits - before).toBe(1);
  });
});

describe('a per-call timeoutMs is checked by every method', () => {
  it.each([-1, Number.NaN, 1.5, '100'])('REST and gRPC refuse %s without calling', async (ms) => {
    const before = { rest: slow.hits, grpc: fake.calls.length };
    const clients = [
      createClient({ baseUrl: slow.url, timeoutMs: 20 }),
      grpcClient({ timeoutMs: 20 }),
    ];
    for (const client of clients) {
      for (const [method, call] of everyMethod(client, { timeoutMs: ms })) {
        await expect(call(), method).rejects.toMatchObject({
          code: 'INFER_CLIENT_ERR_INVALID_OPTION',
          message: 'options.timeoutMs must be a non-negative integer (ms)',
        });
      }
    }
    expect({ rest: slow.hits, grpc: fake.calls.length }).toEqual(before);
  });

  it('infer checks it before its inputs (a call wrong in both names the option)', async () => {
    const client = createClient({ baseUrl: slow.url });
    await expect(client.model('m').infer(5 as never, { timeoutMs: -1 })).rejects.toMatchObject({
      code: 'INFER_CLIENT_ERR_INVALID_OPTION',
    });
  });
});

describe('the deadline and the signal cover the whole attempt', () => {
  /** A `headers()` / `metadata()` function that answers after a second. */
  const slowHeaders = () => wait(1000).then(() => ({ authorization: 'Bearer late' }));

  it('REST: a slow headers() function times out at the deadline', async () => {
    const started = Date.now();
    const client = createClient({ baseUrl: slow.url, timeoutMs: 100, headers: slowHeaders });
    await expect(client.metadata()).rejects.toMatchObject({ code: 'INFER_CLIENT_ERR_TIMEOUT' });
    expect(Date.now() - started).toBeLessThan(600);
  });

  it('REST: the caller signal aborts a slow headers() function', async () => {
    const started = Date.now();
    const client = createClient({ baseUrl: slow.url, headers: slowHeaders });
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('user left')), 50);
    const error = await client.metadata({ signal: controller.signal }).catch((caught) => caught);
    expect(error).toMatchObject({ code: 'INFER_CLIENT_ERR_ABORTED' });
    expect((error as Error).cause).toMatchObject({ message: 'user left' });
    expect(Date.now() - started).toBeLessThan(600);
  });

  it('REST: a fetch that ignores its signal does not outlast the deadline', async () => {
    const started = Date.now();
    const client = createClient({
      baseUrl: slow.url,
      timeoutMs: 100,
      fetch: async (url, init) => {
        await wait(1000);
        return fetch(url, { ...init, signal: null });
      },
    });
    await expect(client.metadata()).rejects.toMatchObject({ code: 'INFER_CLIENT_ERR_TIMEOUT' });
    expect(Date.now() - started).toBeLessThan(600);
  });

  it('gRPC: a slow metadata() function times out at the deadline, nothing sent', async () => {
    const before = fake.calls.length;
    const started = Date.now();
    const client = grpcClient({ timeoutMs: 100, metadata: slowHeaders });
    await expect(client.metadata()).rejects.toMatchObject({ code: 'INFER_CLIENT_ERR_TIMEOUT' });
    expect(Date.now() - started).toBeLessThan(600);
    await wait(1000);
    expect(fake.calls.length).toBe(before);
  });
});
