/**
 * Headers, REST and gRPC: a per-call header replaces a client header whatever the case of
 * its name; headers the caller got wrong (a `headers()` / `metadata()` function that
 * throws, a value with a line break, a gRPC key grpc-js refuses) fail at once as
 * `INFER_CLIENT_ERR_HEADERS`, never sent and never retried.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGrpcClient, type GrpcClient } from '../src/grpc/index';
import { type FetchLike, InferClientError } from '../src/index';
import { createClient } from '../src/node';
import { type FakeServer, startFakeServer } from './grpc-fake-server';
import { type RawServer, SERVER_METADATA, startRawServer } from './raw-server';

let server: RawServer;
let fake: FakeServer;
const opened: GrpcClient[] = [];

beforeAll(async () => {
  // Server metadata for GET; for an infer POST, an empty answer if the body came as JSON.
  server = await startRawServer((request, response) => {
    request.resume();
    if (request.method === 'GET') {
      response.end(SERVER_METADATA);
    } else if (request.headers['content-type'] === 'application/json') {
      response.end('{"model_name":"m","outputs":[]}');
    } else {
      response.writeHead(415).end(`{"error":"content-type ${request.headers['content-type']}"}`);
    }
  });
  fake = await startFakeServer();
  fake.answer('ServerLive', () => ({ response: { live: true } }));
});
afterAll(async () => {
  await Promise.all(opened.map((client) => client.close()));
  await Promise.all([server?.close(), fake?.close()]);
});

function grpcClient(options: Partial<Parameters<typeof createGrpcClient>[0]> = {}): GrpcClient {
  const client = createGrpcClient({ address: fake.address, ...options });
  opened.push(client);
  return client;
}

/** Node's default sender (`node:http`), and `fetch`. */
const senders: Array<[string, { fetch?: FetchLike }]> = [
  ['node:http', {}],
  ['fetch', { fetch: globalThis.fetch }],
];

async function rejection(promise: Promise<unknown>): Promise<InferClientError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (!InferClientError.isInstance(error)) throw new Error(`expected an InferClientError`);
  return error;
}

describe.each(senders)('REST headers (%s)', (_name, sender) => {
  it('a per-call header replaces a client header whose name differs in case only', async () => {
    const client = createClient({
      baseUrl: server.url,
      ...sender,
      headers: { Authorization: 'A' },
    });
    await client.metadata({ headers: { authorization: 'B' } });
    expect(server.lastHeaders?.authorization).toBe('B');
    const upper = createClient({
      baseUrl: server.url,
      ...sender,
      headers: () => ({ 'X-Id': '1' }),
    });
    await upper.metadata({ headers: { 'x-ID': '2', Accept: 'application/json' } });
    expect(server.lastHeaders).toMatchObject({ 'x-id': '2', accept: 'application/json' });
  });

  it('the body headers the client sets win over a per-call header in another case', async () => {
    const client = createClient({ baseUrl: server.url, fetch });
    const result = await client
      .model('m')
      .infer({ x: new Float32Array(1) }, { headers: { 'Content-Type': 'text/plain' } });
    expect(result.model_name).toBe('m');
    expect(server.lastHeaders?.['content-type']).toBe('application/json');
  });

  it.each([
    ['a value with a line break', { 'x-token': 'abc\ndef' }],
    ['a value with a control character', { 'x-token': 'abc\u0000' }],
    ['a value past U+00FF', { 'x-token': 'caf\u20ac' }],
    ['a name with a space', { 'x token': 'abc' }],
    ['an empty name', { '': 'abc' }],
  ])('%s is INFER_CLIENT_ERR_HEADERS, not sent nor retried', async (_case, headers) => {
    const before = server.hits;
    const client = createClient({ baseUrl: server.url, ...sender, retry: true });
    const error = await rejection(client.metadata({ headers }));
    expect(error).toMatchObject({ code: 'INFER_CLIENT_ERR_HEADERS', attempts: 1 });
    expect(error.message).toMatch(/ was not sent, a header is not valid HTTP: /);
    expect(server.hits).toBe(before);
  });

  it('a value with whitespace around it is sent trimmed, as fetch does', async () => {
    const client = createClient({ baseUrl: server.url, fetch });
    await client.metadata({ headers: { 'x-token': ' abc\n' } });
    expect(server.lastHeaders?.['x-token']).toBe('abc');
  });

  it('a headers() function that throws is INFER_CLIENT_ERR_HEADERS, called once', async () => {
    const before = server.hits;
    let calls = 0;
    const failure = new Error('token provider: invalid client secret');
    const client = createClient({
      baseUrl: server.url,
      ...sender,
      retry: true,
      headers: () => {
        calls += 1;
        throw failure;
      },
    });
    const error = await rejection(client.metadata());
    expect(error).toMatchObject({ code: 'INFER_CLIENT_ERR_HEADERS', attempts: 1, cause: failure });
    expect(error.message).toBe(
      `GET ${server.url}/v2 was not sent: token provider: invalid client secret`,
    );
    const rejecting = createClient({
      baseUrl: server.url,
      ...sender,
      retry: true,
      headers: () => Promise.reject(failure),
    });
    await expect(rejecting.model('m').infer({ x: [true] })).rejects.toMatchObject({
      code: 'INFER_CLIENT_ERR_HEADERS',
      attempts: 1,
    });
    expect(calls).toBe(1);
    expect(server.hits).toBe(before);
  });
});

describe('gRPC metadata', () => {
  it.each([
    ['a -bin key with a string value', { 'x-data-bin': 'abc' }, /-bin/],
    ['a key with a space', { 'x key': 'abc' }, /x key/],
    ['a value with a line break', { 'x-token': 'abc\ndef' }, /abc/],
  ])('%s is INFER_CLIENT_ERR_HEADERS, not sent nor retried', async (_case, headers, reason) => {
    const before = fake.calls.length;
    const client = grpcClient({ retry: true });
    const error = await rejection(client.live({ headers }));
    expect(error).toMatchObject({ code: 'INFER_CLIENT_ERR_HEADERS', attempts: 1 });
    expect(error.message).toMatch(/^ServerLive .* was not sent: /);
    expect(error.message).toMatch(reason);
    expect(fake.calls.length).toBe(before);
  });

  it('a metadata() function that throws is INFER_CLIENT_ERR_HEADERS, called once', async () => {
    const before = fake.calls.length;
    let calls = 0;
    const client = grpcClient({
      retry: true,
      metadata: async () => {
        calls += 1;
        throw new Error('token provider down');
      },
    });
    const error = await rejection(client.live());
    expect(error).toMatchObject({ code: 'INFER_CLIENT_ERR_HEADERS', attempts: 1 });
    expect(error.message).toMatch(/was not sent: token provider down/);
    expect(calls).toBe(1);
    expect(fake.calls.length).toBe(before);
  });

  it('a per-call key replaces a client key whose name differs in case only', async () => {
    const client = grpcClient({ metadata: { Authorization: 'A' } });
    expect(await client.live({ headers: { authorization: 'B' } })).toBe(true);
    expect(fake.calls.at(-1)?.metadata).toMatchObject({ authorization: 'B' });
  });
});
