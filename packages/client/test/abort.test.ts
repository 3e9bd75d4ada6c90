import type { InferServer } from '@infer/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { abortSuite } from './suites/abort.suite';
import { nodeHost, startTestServer } from './test-server';

let server: InferServer;

beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

// The suite body is shared with the headless Chromium run (test/browser/).
abortSuite(
  { describe, it, expect },
  nodeHost(() => ({ test: server })),
);
