import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { InferServer } from '@infer/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, InferClientError } from '../src/index';
import { errorsSuite } from './suites/errors.suite';
import { nodeHost, startTestServer } from './test-server';

let server: InferServer;
let garbage: Server;
let garbageUrl: string;

beforeAll(async () => {
  server = await startTestServer();
  // A server that answers 200 with something that is not OIP.
  garbage = createServer((_request, response) => {
    response.setHeader('content-type', 'application/json');
    response.end('{"model_name": 42}');
  });
  await new Promise<void>((resolve) => garbage.listen(0, '127.0.0.1', resolve));
  garbageUrl = `http://127.0.0.1:${(garbage.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await server.close();
  await new Promise((resolve) => garbage.close(resolve));
});

// The suite body is shared with the headless Chromium run (test/browser/).
errorsSuite(
  { describe, it, expect },
  nodeHost(() => ({ test: server })),
);

describe('answers that are not OIP', () => {
  it('rejects an answer that is not OIP with INFER_CLIENT_ERR_DECODE', async () => {
    const other = createClient({ baseUrl: garbageUrl });
    const error = await other
      .model('m')
      .infer({ x: new Float32Array(1) })
      .catch((caught: unknown) => caught);
    expect(InferClientError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ code: 'INFER_CLIENT_ERR_DECODE' });
    expect((error as Error).message).toMatch(/model_name/);
    await expect(other.metadata()).rejects.toMatchObject({ code: 'INFER_CLIENT_ERR_DECODE' });
  });
});
