import { describe, expect, it } from 'vitest';
import { type ClientOptions, createClient, defineSchema } from '../src/index';

function messageOf(options: unknown): string {
  try {
    createClient(options as ClientOptions);
  } catch (error) {
    expect(error).toMatchObject({ code: 'INFER_CLIENT_ERR_INVALID_OPTION' });
    return (error as Error).message;
  }
  throw new Error('createClient did not throw');
}

const baseUrl = 'http://127.0.0.1:1';

describe('createClient() options are checked at construction', () => {
  it.each([
    [undefined, 'options must be an object'],
    [{}, 'options.baseUrl must be a non-empty string (e.g. "http://localhost:8080")'],
    [{ baseUrl, headers: 'x' }, 'options.headers must be an object of strings or a function'],
    [{ baseUrl, headers: { a: 1 } }, 'options.headers.a must be a string'],
    [{ baseUrl, fetch: 'x' }, 'options.fetch must be a function'],
    [{ baseUrl, timeoutMs: -1 }, 'options.timeoutMs must be a non-negative integer (ms)'],
    [
      { baseUrl, binaryThreshold: 1.5 },
      'options.binaryThreshold must be a non-negative integer (bytes)',
    ],
    [{ baseUrl, retry: 3 }, 'options.retry must be an object or a boolean'],
    [
      { baseUrl, retry: { retries: -1 } },
      'options.retry.retries must be a non-negative integer (count)',
    ],
    [
      { baseUrl, retry: { minDelayMs: 'x' } },
      'options.retry.minDelayMs must be a non-negative integer (ms)',
    ],
    [
      { baseUrl, retry: { maxDelayMs: 0.5 } },
      'options.retry.maxDelayMs must be a non-negative integer (ms)',
    ],
    [
      { baseUrl, retry: { minDelayMs: 500, maxDelayMs: 100 } },
      'options.retry.maxDelayMs must be at least options.retry.minDelayMs',
    ],
  ])('%j -> %s', (options, message) => {
    expect(messageOf(options)).toBe(message);
  });

  it('accepts Infinity as binaryThreshold and a trailing slash on baseUrl', () => {
    const client = createClient({
      baseUrl: `${baseUrl}/ml//`,
      binaryThreshold: Number.POSITIVE_INFINITY,
    });
    expect(client.baseUrl).toBe(`${baseUrl}/ml`);
  });

  it('checks model() arguments and schemas', () => {
    const client = createClient({ baseUrl });
    expect(() => client.model('')).toThrow('name must be a non-empty string');
    expect(() => client.model('m', '')).toThrow('version must be a non-empty string');
    expect(() =>
      defineSchema({ inputs: { x: { datatype: 'FP31' as 'FP32' } }, outputs: {} }),
    ).toThrow('schema.inputs.x.datatype must be an OIP datatype (FP32, INT64, BYTES, ...)');
    expect(() =>
      client.model('m', { inputs: { x: { datatype: 'FP32', shape: [-2] } }, outputs: {} }),
    ).toThrow('schema.inputs.x.shape must be an array of integers >= -1');
    expect(() => client.model('m', { inputs: [], outputs: {} } as never)).toThrow(
      'schema.inputs must be an object of tensors by name',
    );
  });
});
