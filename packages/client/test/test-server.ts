/** A real `serve()` on 127.0.0.1 port 0 with small defineModel models for the client tests. */
import { readFileSync } from 'node:fs';
import { DATATYPES, type Datatype, type Tensor } from '@infer/codecs';
import { defineModel, type InferServer, OverloadedError, serve } from '@infer/core';
import type { SuiteHost } from './suites/suite-api';

/** Request headers the server saw on the last infer call, by model (lower-case names). */
export const seenHeaders = new Map<string, Record<string, string | undefined>>();

/** `echo-<datatype>`: returns input `x` as output `y` (same datatype, shape, data). */
function echoModel(datatype: Datatype) {
  return defineModel({
    name: `echo-${datatype.toLowerCase()}`,
    inputs: [{ name: 'x', datatype, shape: [-1] }],
    outputs: [{ name: 'y', datatype, shape: [-1] }],
    predict: (request) => {
      const x = request.inputs.find((input) => input.name === 'x')!;
      return [{ ...x, name: 'y', parameters: {} } as Tensor];
    },
  });
}

/** Calls of `slow` so far: started, and those whose signal aborted (the client went away). */
export const slowCalls = { started: 0, aborted: 0 };

/** Calls of `overloaded-once` so far; it answers 503 (Retry-After 1) on the first call of each pair. */
export const overloadedCalls = { count: 0 };

export function testModels() {
  return [
    ...DATATYPES.map(echoModel),
    // Two inputs, three outputs: requested outputs and typed schemas.
    defineModel({
      name: 'pair',
      inputs: [
        { name: 'a', datatype: 'FP32', shape: [-1, 2] },
        { name: 'tag', datatype: 'BYTES', shape: [-1] },
      ],
      outputs: [
        { name: 'sum', datatype: 'FP32', shape: [-1] },
        { name: 'label', datatype: 'BYTES', shape: [-1] },
        { name: 'count', datatype: 'INT64', shape: [1] },
      ],
      predict: (request) => {
        const a = request.inputs.find((input) => input.name === 'a') as Tensor<'FP32'>;
        const tag = request.inputs.find((input) => input.name === 'tag') as Tensor<'BYTES'>;
        const rows = a.shape[0] ?? 0;
        const sum = new Float32Array(rows);
        for (let r = 0; r < rows; r++) sum[r] = a.data[2 * r]! + a.data[2 * r + 1]!;
        return [
          { name: 'sum', datatype: 'FP32', shape: [rows], data: sum },
          { name: 'label', datatype: 'BYTES', shape: tag.shape, data: tag.data },
          { name: 'count', datatype: 'INT64', shape: [1], data: new BigInt64Array([BigInt(rows)]) },
        ];
      },
    }),
    // Sleeps `ms` (parameter, default 2000) unless aborted.
    defineModel({
      name: 'slow',
      inputs: [{ name: 'x', datatype: 'FP32', shape: [-1] }],
      outputs: [{ name: 'y', datatype: 'FP32', shape: [-1] }],
      predict: async (request, { signal }) => {
        const ms = Number(request.parameters?.['ms'] ?? 2000);
        slowCalls.started += 1;
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, ms);
          signal?.addEventListener('abort', () => {
            slowCalls.aborted += 1;
            clearTimeout(timer);
            resolve();
          });
        });
        return [{ ...request.inputs[0]!, name: 'y' } as Tensor];
      },
      serving: { batching: false, timeoutMs: 10_000 },
    }),
    defineModel({
      name: 'overloaded-once',
      inputs: [{ name: 'x', datatype: 'FP32', shape: [-1] }],
      outputs: [{ name: 'y', datatype: 'FP32', shape: [-1] }],
      predict: (request) => {
        overloadedCalls.count += 1;
        if (overloadedCalls.count % 2 === 1) throw new OverloadedError(1, 1);
        return [{ ...request.inputs[0]!, name: 'y' } as Tensor];
      },
      serving: { batching: false },
    }),
  ];
}

/**
 * Starts the test server; remembers the request headers of every call (CORS preflights
 * aside). `corsOrigin`: the origin allowed to call it from a browser. Default: no CORS.
 */
export async function startTestServer(corsOrigin?: string): Promise<InferServer> {
  const server = await serve({
    models: testModels(),
    port: 0,
    host: '127.0.0.1',
    ...(corsOrigin === undefined ? {} : { settings: { cors: { origin: corsOrigin } } }),
  });
  server.server.prependListener('request', (request) => {
    if (request.method === 'OPTIONS') return;
    const match = /\/v2\/models\/([^/]+)/.exec(request.url ?? '');
    if (match)
      seenHeaders.set(decodeURIComponent(match[1]!), { ...request.headers } as Record<
        string,
        string | undefined
      >);
  });
  return server;
}

/** `fixtures/finch.jpeg` (a house finch, MobileNet class 12). */
export const FINCH_PATH = new URL('../../../fixtures/finch.jpeg', import.meta.url);

/**
 * The shared suites' host in Node: the servers `current()` returns when a test runs (they
 * start in `beforeAll`, after the suites are defined) and this module's counters.
 */
export function nodeHost(
  current: () => { test?: InferServer; mobilenet?: InferServer },
): SuiteHost {
  const urlOf = (which: 'test' | 'mobilenet') => {
    const server = current()[which];
    if (server === undefined) throw new Error(`no ${which} server started for this test file`);
    return server.url;
  };
  return {
    get url() {
      return urlOf('test');
    },
    get mobilenetUrl() {
      return urlOf('mobilenet');
    },
    seenHeaders: async (model) => seenHeaders.get(model),
    resetOverloaded: async () => {
      overloadedCalls.count = 0;
    },
    slowCalls: async () => ({ ...slowCalls }),
    finch: async () => new Uint8Array(readFileSync(FINCH_PATH)),
  };
}
