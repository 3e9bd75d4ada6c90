/** `createGrpcClient()` checks its options at once; each message names the path. */
import * as grpc from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { createGrpcClient, GRPC_CLIENT_DEFAULTS, type GrpcClientOptions } from '../src/grpc/index';

const address = '127.0.0.1:1';

describe('createGrpcClient options', () => {
  it.each<[string, unknown, string]>([
    ['not an object', null, 'options must be an object'],
    ['no address', {}, 'options.address must be a non-empty string (e.g. "127.0.0.1:8081")'],
    [
      'a URL as address',
      { address: 'http://localhost:8081' },
      'options.address must be a gRPC target such as "host:8081", not a URL (http://localhost:8081)',
    ],
    [
      'credentials that are not grpc-js credentials',
      { address, credentials: { secure: true } },
      'options.credentials must be grpc-js ChannelCredentials (grpc.credentials.*)',
    ],
    [
      'metadata that is not an object',
      { address, metadata: 'token' },
      'options.metadata must be an object of strings or a function',
    ],
    [
      'a metadata value that is not a string',
      { address, metadata: { retries: 3 } },
      'options.metadata.retries must be a string',
    ],
    [
      'a negative timeoutMs',
      { address, timeoutMs: -1 },
      'options.timeoutMs must be a non-negative integer (ms)',
    ],
    ['a bad retry', { address, retry: 'yes' }, 'options.retry must be an object or a boolean'],
    [
      'a retry maxDelayMs below minDelayMs',
      { address, retry: { minDelayMs: 100, maxDelayMs: 10 } },
      'options.retry.maxDelayMs must be at least options.retry.minDelayMs',
    ],
    [
      'a zero maxMessageBytes',
      { address, maxMessageBytes: 0 },
      'options.maxMessageBytes must be a positive integer (bytes)',
    ],
    [
      'an unknown contents',
      { address, contents: 'json' },
      "options.contents must be 'raw' or 'typed'",
    ],
    [
      'channelOptions that are not an object',
      { address, channelOptions: [] },
      'options.channelOptions must be an object of grpc-js channel options',
    ],
  ])('rejects %s', (_, options, message) => {
    expect(() => createGrpcClient(options as GrpcClientOptions)).toThrow(message);
    try {
      createGrpcClient(options as GrpcClientOptions);
    } catch (error) {
      expect(error).toMatchObject({ code: 'INFER_CLIENT_ERR_INVALID_OPTION' });
    }
  });

  it('accepts grpc-js credentials, metadata functions and the defaults', async () => {
    const client = createGrpcClient({
      address,
      credentials: grpc.credentials.createInsecure(),
      metadata: async () => ({ authorization: 'Bearer x' }),
      retry: true,
    });
    expect(client.address).toBe(address);
    expect(GRPC_CLIENT_DEFAULTS).toMatchObject({
      timeoutMs: 0,
      maxMessageBytes: 64 * 1024 * 1024,
      contents: 'raw',
    });
    expect(() => client.model('')).toThrow('name must be a non-empty string');
    await client.close();
  });

  it('rejects a per-call timeoutMs that is not a count, without throwing synchronously', async () => {
    const client = createGrpcClient({ address });
    const promise = client.model('m').infer({ x: new Float32Array(1) }, { timeoutMs: -5 });
    await expect(promise).rejects.toThrow('options.timeoutMs must be a non-negative integer (ms)');
    await client.close();
  });
});
