/**
 * Outputs JSON cannot carry (NaN, Infinity) for a small request that went as JSON: the
 * server answers 500 "... ask for binary output", and the client asks again, once, for
 * binary outputs, unless the call forced JSON.
 */
import { defineModel, type InferServer, serve } from '@infer/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FetchLike, InferClientError } from '../src/index';
import { createClient } from '../src/node';

let server: InferServer;
/** Requests `log` received: true for those that asked for binary outputs. */
const asked: boolean[] = [];

beforeAll(async () => {
  const log = defineModel({
    name: 'log',
    inputs: [{ name: 'x', datatype: 'FP32', shape: [-1] }],
    outputs: [{ name: 'y', datatype: 'FP32', shape: [-1] }],
    // Waits `ms` (request parameter, default 0) first.
    predict: async (request) => {
      asked.push(request.parameters?.['binary_data_output'] === true);
      await new Promise((resolve) => setTimeout(resolve, Number(request.parameters?.['ms'] ?? 0)));
      const x = request.input('x');
      return [{ name: 'y', datatype: 'FP32', shape: x.shape, data: x.typed('FP32').map(Math.log) }];
    },
    serving: { batching: false },
  });
  server = await serve({ models: [log], port: 0, host: '127.0.0.1' });
});
afterAll(() => server?.close());

const LOGS = new Float32Array([Number.NaN, Number.NEGATIVE_INFINITY, 0]);

describe('outputs JSON cannot carry', () => {
  it.each([
    ['node:http', {}],
    ['fetch', { fetch: globalThis.fetch }],
  ] as Array<[string, { fetch?: FetchLike }]>)(
    'a JSON request gets them by asking again for binary outputs (%s)',
    async (_name, sender) => {
      asked.length = 0;
      const client = createClient({ baseUrl: server.url, ...sender, retry: true });
      const result = await client.model('log').infer({ x: new Float32Array([-1, 0, 1]) });
      expect(result.outputs['y']!.data).toEqual(LOGS);
      expect(asked).toEqual([false, true]);
      // Outputs JSON carries need no second request.
      await client.model('log').infer({ x: new Float32Array([1]) });
      expect(asked).toEqual([false, true, false]);
    },
  );

  it('asks again within the same deadline', async () => {
    asked.length = 0;
    const client = createClient({ baseUrl: server.url, timeoutMs: 250 });
    const error = await client
      .model('log')
      .infer({ x: new Float32Array([-1]) }, { parameters: { ms: 150 } })
      .catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'INFER_CLIENT_ERR_TIMEOUT', attempts: 1 });
    expect(asked).toEqual([false, true]);
  });

  it('binary: false (JSON forced) rejects with the server message instead', async () => {
    asked.length = 0;
    const client = createClient({ baseUrl: server.url });
    const error = await client
      .model('log')
      .infer({ x: new Float32Array([-1]) }, { binary: false })
      .catch((caught: unknown) => caught);
    expect(InferClientError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ code: 'INFER_CLIENT_ERR_HTTP', status: 500, attempts: 1 });
    expect((error as InferClientError).serverMessage).toMatch(/NaN, which JSON cannot carry/);
    expect(asked).toEqual([false]);
  });
});
