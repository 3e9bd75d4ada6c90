import type { InferServer } from '@infer/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { roundTripSuite } from './suites/round-trip.suite';
import { nodeHost, startTestServer } from './test-server';

let server: InferServer;

beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

// The suite body is shared with the headless Chromium run (test/browser/).
roundTripSuite(
  { describe, it, expect },
  nodeHost(() => ({ test: server })),
);
